//! Opaque page cursors: a position in a keyset order (a time and a tie-breaker), base64url-encoded.

use super::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};

/// A point in an order by (time, key), exclusive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub key: String,
}

impl Cursor {
    pub fn new(at: DateTime<Utc>, key: impl Into<String>) -> Self {
        Self {
            at,
            key: key.into(),
        }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.at.timestamp_micros(), self.key))
    }

    pub fn decode(raw: &str) -> Result<Cursor, ApiError> {
        let invalid = invalid;
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (micros, key) = text.split_once('|').ok_or_else(invalid)?;
        if key.contains('\0') {
            return Err(invalid());
        }
        let at = micros
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_micros)
            .ok_or_else(invalid)?;
        storable_time(at, "the cursor's time")?;
        Ok(Cursor::new(at, key))
    }
}

/// A cursor this API did not give out (400 `invalid_cursor`); also for a cursor that decodes but whose key
/// is not of the list it is used with.
pub fn invalid() -> ApiError {
    ApiError::bad_request("invalid_cursor", "the cursor is not one this API gave out")
}

/// The earliest moment PostgreSQL's `timestamptz` holds (4714-11-24 BC), in microseconds since 1970. Its
/// latest (294276 AD) is past any time chrono can represent.
const EARLIEST_STORABLE_MICROS: i64 = -210_866_803_200_000_000;

/// Refuses a time taken from the request that the database could not hold or compare (400), so it never
/// reaches a query.
pub fn storable_time(at: DateTime<Utc>, what: &str) -> Result<DateTime<Utc>, ApiError> {
    if at.timestamp_micros() < EARLIEST_STORABLE_MICROS {
        return Err(ApiError::bad_request(
            "invalid_time",
            format!("{what} is before 4714 BC, earlier than any time the inbox holds"),
        ));
    }
    Ok(at)
}

/// A page size between 1 and `max`, `default` when absent.
pub fn limit(given: Option<u32>, default: u32, max: u32) -> Result<i64, ApiError> {
    match given {
        None => Ok(i64::from(default)),
        Some(n) if (1..=max).contains(&n) => Ok(i64::from(n)),
        Some(n) => Err(ApiError::bad_request(
            "invalid_limit",
            format!("limit must be between 1 and {max}, not {n}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_encoding() {
        let c = Cursor::new(
            DateTime::from_timestamp_micros(1_763_700_000_123_456).unwrap(),
            "1-2|x",
        );
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
    }

    #[test]
    fn times_the_database_cannot_hold_are_refused() {
        let earliest = DateTime::from_timestamp_micros(EARLIEST_STORABLE_MICROS).unwrap();
        let julian_day_zero = chrono::NaiveDate::from_ymd_opt(-4713, 11, 24).unwrap();
        assert_eq!(earliest.date_naive(), julian_day_zero);
        assert!(storable_time(earliest, "t").is_ok());
        let before = earliest - chrono::Duration::microseconds(1);
        assert!(storable_time(before, "t").is_err());
        assert!(storable_time(DateTime::<Utc>::MAX_UTC, "t").is_ok());
        let cursor = Cursor::new(before, "k").encode();
        assert!(Cursor::decode(&cursor).is_err());
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for raw in [
            "",
            "!!",
            "bm9waXBl",
            &URL_SAFE_NO_PAD.encode("abc|x"),
            &URL_SAFE_NO_PAD.encode("1700000000000000|a\0b"),
        ] {
            assert!(Cursor::decode(raw).is_err(), "{raw}");
        }
    }
}
