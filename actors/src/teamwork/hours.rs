//! A number's business hours: its time zone, a weekly schedule of opening intervals and holidays. Pure
//! questions about an instant: is the business open, when did the closure that holds it begin (the
//! away message is sent once per closed period), and how much opening time lies between two instants
//! (response times counted in business hours).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How far back a closed period is looked for: a business closed for longer is taken as closed since
/// then.
const LOOK_BACK_DAYS: i64 = 14;
/// The longest span whose business time is counted day by day.
const MAX_COUNTED_DAYS: i64 = 400;
const MAX_INTERVALS_PER_DAY: usize = 8;
const MAX_HOLIDAYS: usize = 400;
const MAX_AWAY_CHARS: usize = 4096;

/// One opening interval of a day, in the number's local time: `"09:00"` to `"18:30"` (`"24:00"` is the
/// end of the day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(rename = "OpeningInterval"))]
pub struct Interval {
    pub open: String,
    pub close: String,
}

/// The week's opening intervals, by day; a day without intervals is closed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(rename = "WeeklySchedule"))]
pub struct Weekly {
    pub mon: Vec<Interval>,
    pub tue: Vec<Interval>,
    pub wed: Vec<Interval>,
    pub thu: Vec<Interval>,
    pub fri: Vec<Interval>,
    pub sat: Vec<Interval>,
    pub sun: Vec<Interval>,
}

impl Weekly {
    fn day(&self, day: Weekday) -> &[Interval] {
        match day {
            Weekday::Mon => &self.mon,
            Weekday::Tue => &self.tue,
            Weekday::Wed => &self.wed,
            Weekday::Thu => &self.thu,
            Weekday::Fri => &self.fri,
            Weekday::Sat => &self.sat,
            Weekday::Sun => &self.sun,
        }
    }

    fn days(&self) -> [(&'static str, &[Interval]); 7] {
        [
            ("mon", &self.mon),
            ("tue", &self.tue),
            ("wed", &self.wed),
            ("thu", &self.thu),
            ("fri", &self.fri),
            ("sat", &self.sat),
            ("sun", &self.sun),
        ]
    }
}

/// A number's business hours and what customers are told outside them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct BusinessHours {
    /// Whether the hours apply: off, the number is always open and no away message is sent.
    pub enabled: bool,
    /// An IANA time zone: `Europe/Paris`.
    pub time_zone: String,
    pub weekly: Weekly,
    /// Days closed all day, in the number's local calendar.
    pub holidays: Vec<NaiveDate>,
    /// Sent once per closed period to a customer who writes while the business is closed (inside
    /// WhatsApp's 24-hour window, which a customer's message opens). Empty: none is sent.
    pub away_message: String,
}

impl Default for BusinessHours {
    fn default() -> Self {
        BusinessHours {
            enabled: false,
            time_zone: "UTC".to_owned(),
            weekly: Weekly::default(),
            holidays: Vec::new(),
            away_message: String::new(),
        }
    }
}

/// A field of the hours that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct InvalidHours {
    pub field: String,
    pub problem: String,
}

fn invalid(field: impl Into<String>, problem: impl Into<String>) -> InvalidHours {
    InvalidHours {
        field: field.into(),
        problem: problem.into(),
    }
}

/// A local time of day in minutes from midnight; `24:00` is 1440.
fn minutes(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl BusinessHours {
    /// The hours, or the first field that cannot be used (an unknown time zone, a time that is not
    /// `HH:MM`, an interval that closes before it opens or overlaps another, too many of anything).
    pub fn validated(self) -> Result<BusinessHours, InvalidHours> {
        self.time_zone.parse::<Tz>().map_err(|_| {
            invalid(
                "time_zone",
                format!(
                    "{:?} is not an IANA time zone such as Europe/Paris",
                    self.time_zone
                ),
            )
        })?;
        for (day, intervals) in self.weekly.days() {
            if intervals.len() > MAX_INTERVALS_PER_DAY {
                return Err(invalid(
                    format!("weekly.{day}"),
                    format!("at most {MAX_INTERVALS_PER_DAY} intervals"),
                ));
            }
            let mut spans = Vec::new();
            for (i, interval) in intervals.iter().enumerate() {
                let field = format!("weekly.{day}[{i}]");
                let open = minutes(&interval.open)
                    .filter(|m| *m < 1440)
                    .ok_or_else(|| {
                        invalid(
                            format!("{field}.open"),
                            "must be a time HH:MM from 00:00 to 23:59",
                        )
                    })?;
                let close = minutes(&interval.close).ok_or_else(|| {
                    invalid(
                        format!("{field}.close"),
                        "must be a time HH:MM from 00:01 to 24:00",
                    )
                })?;
                if close <= open {
                    return Err(invalid(field, "closes before it opens"));
                }
                spans.push((open, close));
            }
            spans.sort_unstable();
            if spans.windows(2).any(|w| w[1].0 < w[0].1) {
                return Err(invalid(format!("weekly.{day}"), "intervals overlap"));
            }
        }
        if self.holidays.len() > MAX_HOLIDAYS {
            return Err(invalid("holidays", format!("at most {MAX_HOLIDAYS}")));
        }
        if self.away_message.chars().count() > MAX_AWAY_CHARS {
            return Err(invalid(
                "away_message",
                format!("at most {MAX_AWAY_CHARS} characters"),
            ));
        }
        Ok(self)
    }

    fn zone(&self) -> Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// The day's opening intervals as instants, in order (none on a holiday).
    fn openings(&self, zone: Tz, day: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&day) {
            return Vec::new();
        }
        let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = self
            .weekly
            .day(day.weekday())
            .iter()
            .filter_map(|i| {
                let (open, close) = (minutes(&i.open)?, minutes(&i.close)?);
                Some((instant(zone, day, open), instant(zone, day, close)))
            })
            .filter(|(open, close)| open < close)
            .collect();
        out.sort_unstable();
        out
    }

    /// Whether the business is open at `at`. Hours that are not enabled are always open.
    pub fn is_open(&self, at: DateTime<Utc>) -> bool {
        if !self.enabled {
            return true;
        }
        let zone = self.zone();
        let today = at.with_timezone(&zone).date_naive();
        // An interval of yesterday may end after midnight in UTC terms only; today's and yesterday's
        // cover every case.
        [today.pred_opt(), Some(today)]
            .into_iter()
            .flatten()
            .flat_map(|d| self.openings(zone, d))
            .any(|(open, close)| open <= at && at < close)
    }

    /// When the closed period holding `at` began (the last closing time before it); `None` while open.
    /// A business closed for longer than two weeks is taken as closed since two weeks before `at`.
    pub fn closed_since(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_open(at) {
            return None;
        }
        let zone = self.zone();
        let today = at.with_timezone(&zone).date_naive();
        let mut day = today;
        for _ in 0..=LOOK_BACK_DAYS {
            let closed_at = self
                .openings(zone, day)
                .into_iter()
                .map(|(_, close)| close)
                .filter(|close| *close <= at)
                .max();
            if closed_at.is_some() {
                return closed_at;
            }
            day = day.pred_opt()?;
        }
        Some(instant(zone, day.succ_opt()?, 0))
    }

    /// How much of `from..to` the business was open (all of it when the hours are not enabled).
    pub fn open_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        if !self.enabled {
            return to - from;
        }
        let zone = self.zone();
        let first = from
            .with_timezone(&zone)
            .date_naive()
            .pred_opt()
            .unwrap_or(NaiveDate::MIN);
        let last = to.with_timezone(&zone).date_naive();
        let mut total = Duration::zero();
        let mut day = first;
        let mut counted = 0;
        while day <= last && counted < MAX_COUNTED_DAYS + 2 {
            for (open, close) in self.openings(zone, day) {
                let (start, end) = (open.max(from), close.min(to));
                if start < end {
                    total += end - start;
                }
            }
            day = match day.succ_opt() {
                Some(next) => next,
                None => break,
            };
            counted += 1;
        }
        total
    }
}

/// The instant a local time of a day names. In a spring-forward gap, the first instant after it; in an
/// autumn overlap, the first of the two.
fn instant(zone: Tz, day: NaiveDate, minutes: u32) -> DateTime<Utc> {
    if minutes >= 1440 {
        return match day.succ_opt() {
            Some(next) => instant(zone, next, 0),
            None => DateTime::<Utc>::MAX_UTC,
        };
    }
    let time = NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0).unwrap_or(NaiveTime::MIN);
    let local = day.and_time(time);
    for shift in 0..=3 {
        if let Some(at) = zone
            .from_local_datetime(&(local + Duration::minutes(30 * shift)))
            .earliest()
        {
            return at.with_timezone(&Utc);
        }
    }
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn interval(open: &str, close: &str) -> Interval {
        Interval {
            open: open.into(),
            close: close.into(),
        }
    }

    /// Paris, Monday to Friday 9:00-12:30 and 14:00-18:00, Saturday 10:00-13:00, Christmas off.
    fn paris() -> BusinessHours {
        let day = vec![interval("09:00", "12:30"), interval("14:00", "18:00")];
        BusinessHours {
            enabled: true,
            time_zone: "Europe/Paris".into(),
            weekly: Weekly {
                mon: day.clone(),
                tue: day.clone(),
                wed: day.clone(),
                thu: day.clone(),
                fri: day,
                sat: vec![interval("10:00", "13:00")],
                sun: vec![],
            },
            holidays: vec![NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()],
            away_message: "We are closed; we answer from 9:00.".into(),
        }
    }

    #[test]
    fn open_and_closed_follow_the_local_clock_and_the_holidays() {
        let h = paris();
        // Tuesday 1 December 2026, Paris is UTC+1.
        assert!(h.is_open(at("2026-12-01T08:00:00Z")), "9:00 in Paris");
        assert!(!h.is_open(at("2026-12-01T07:59:59Z")));
        assert!(!h.is_open(at("2026-12-01T12:00:00Z")), "13:00, lunch");
        assert!(!h.is_open(at("2026-12-01T17:00:00Z")), "18:00 closes");
        assert!(
            !h.is_open(at("2026-12-25T10:00:00Z")),
            "Christmas, a Friday"
        );
        assert!(!h.is_open(at("2026-12-06T10:00:00Z")), "a Sunday");
        // Summer time: 9:00 in Paris is 7:00 UTC.
        assert!(h.is_open(at("2026-07-01T07:00:00Z")));
        assert!(BusinessHours::default().is_open(at("2026-12-06T03:00:00Z")));
    }

    #[test]
    fn a_closed_period_begins_at_the_last_closing_time_across_nights_weekends_and_holidays() {
        let h = paris();
        assert_eq!(h.closed_since(at("2026-12-01T10:00:00Z")), None, "open");
        // Tuesday at lunch: closed since 12:30 Paris.
        assert_eq!(
            h.closed_since(at("2026-12-01T12:00:00Z")),
            Some(at("2026-12-01T11:30:00Z"))
        );
        // Tuesday night and Wednesday early morning: the same period, since Tuesday 18:00.
        let evening = h.closed_since(at("2026-12-01T21:00:00Z"));
        assert_eq!(evening, Some(at("2026-12-01T17:00:00Z")));
        assert_eq!(h.closed_since(at("2026-12-02T06:00:00Z")), evening);
        // Sunday: closed since Saturday 13:00.
        assert_eq!(
            h.closed_since(at("2026-12-06T15:00:00Z")),
            Some(at("2026-12-05T12:00:00Z"))
        );
        // Christmas (Friday): closed since Thursday 18:00.
        assert_eq!(
            h.closed_since(at("2026-12-25T10:00:00Z")),
            Some(at("2026-12-24T17:00:00Z"))
        );
    }

    #[test]
    fn open_time_between_two_instants_counts_only_the_intervals() {
        let h = paris();
        // Tuesday 17:30 Paris to Wednesday 9:30 Paris: 30 min Tuesday, 30 min Wednesday.
        assert_eq!(
            h.open_between(at("2026-12-01T16:30:00Z"), at("2026-12-02T08:30:00Z")),
            Duration::minutes(60)
        );
        // Saturday 12:00 to Monday 9:15: 1 h Saturday, 15 min Monday.
        assert_eq!(
            h.open_between(at("2026-12-05T11:00:00Z"), at("2026-12-07T08:15:00Z")),
            Duration::minutes(75)
        );
        assert_eq!(
            h.open_between(at("2026-12-02T08:30:00Z"), at("2026-12-01T16:30:00Z")),
            Duration::zero()
        );
        let always = BusinessHours::default();
        assert_eq!(
            always.open_between(at("2026-12-05T11:00:00Z"), at("2026-12-05T12:00:00Z")),
            Duration::hours(1)
        );
    }

    #[test]
    fn hours_that_cannot_be_used_say_which_field() {
        let mut h = paris();
        h.time_zone = "Mars/Olympus".into();
        assert_eq!(h.validated().unwrap_err().field, "time_zone");
        let mut h = paris();
        h.weekly.tue = vec![interval("18:00", "09:00")];
        assert_eq!(h.validated().unwrap_err().field, "weekly.tue[0]");
        let mut h = paris();
        h.weekly.wed = vec![interval("09:00", "12:00"), interval("11:00", "13:00")];
        assert_eq!(h.validated().unwrap_err().field, "weekly.wed");
        let mut h = paris();
        h.weekly.thu = vec![interval("9:00", "12:00")];
        assert_eq!(h.validated().unwrap_err().field, "weekly.thu[0].open");
        let mut h = paris();
        h.weekly.fri = vec![interval("22:00", "24:00")];
        assert!(
            h.validated().is_ok(),
            "24:00 is midnight at the end of the day"
        );
        let h = paris();
        assert!(h.validated().is_ok());
    }
}
