//! A customer's number as an agent types it ("+33 6 12 34 56 78", "06 12 34 56 78", "0033612345678"),
//! made into the id WhatsApp knows the customer by: the E.164 number's digits, without the `+`
//! ("33612345678"). Numbers are checked against the numbering plans (libphonenumber's metadata): one whose
//! country code does not exist, or whose length no number of that country has, is refused before anything
//! is sent to Meta. A number of a possible length that matches no allocated range (a new range, or the
//! ranges kept for fiction and tests) is left for Meta to judge.

use phonenumber::metadata::DATABASE;
use phonenumber::{country, PhoneNumber};

/// Why a typed number cannot be a customer's WhatsApp number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidNumber {
    #[error("`{0}` is not a phone number")]
    Unreadable(String),
    #[error(
        "`{0}` has no country code, and the business number's country is not known: write it with its \
         country code (for example +33 6 12 34 56 78)"
    )]
    NoCountry(String),
    #[error("`{0}` is not a possible phone number")]
    Impossible(String),
}

/// The WhatsApp id of the number `typed`. A number without a country code (`+` or `00`) is read as a
/// number of the country of `home`, the business's own number, when that is known.
pub fn whatsapp_id(typed: &str, home: Option<&str>) -> Result<String, InvalidNumber> {
    let trimmed = typed.trim();
    let readable = !trimmed.is_empty()
        && trimmed.chars().any(|c| c.is_ascii_digit())
        && trimmed
            .chars()
            .all(|c| c.is_ascii_digit() || " +-.()/\u{a0}".contains(c));
    if !readable {
        return Err(InvalidNumber::Unreadable(trimmed.to_owned()));
    }
    let international = match trimmed.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => trimmed.to_owned(),
    };
    let region = match international.starts_with('+') {
        true => None,
        false => Some(
            home.and_then(country_of)
                .ok_or_else(|| InvalidNumber::NoCountry(trimmed.to_owned()))?,
        ),
    };
    let number = phonenumber::parse(region, &international)
        .map_err(|_| InvalidNumber::Impossible(trimmed.to_owned()))?;
    if !is_possible(&number) {
        return Err(InvalidNumber::Impossible(trimmed.to_owned()));
    }
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    Ok(e164.trim_start_matches('+').to_owned())
}

/// Whether some number of the country has this number's length (libphonenumber's "possible number").
fn is_possible(number: &PhoneNumber) -> bool {
    if phonenumber::is_valid(number) {
        return true;
    }
    let length = number.national().to_string().len();
    DATABASE
        .by_code(&number.country().code())
        .and_then(|regions| regions.into_iter().next())
        .is_some_and(|region| {
            let d = region.descriptors();
            [
                d.fixed_line(),
                d.mobile(),
                d.toll_free(),
                d.premium_rate(),
                d.shared_cost(),
                d.personal_number(),
                d.voip(),
                d.pager(),
                d.uan(),
            ]
            .into_iter()
            .flatten()
            .flat_map(|kind| kind.possible_length())
            .any(|l| usize::from(*l) == length)
        })
}

/// The country of a number written in full (`+33…`, or the digits of a WhatsApp id): the region its
/// number belongs to, or else the main region of its country code.
fn country_of(number: &str) -> Option<country::Id> {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let number = phonenumber::parse(None, format!("+{digits}")).ok()?;
    number.country().id().or_else(|| {
        DATABASE
            .by_code(&number.country().code())?
            .into_iter()
            .find(|region| region.is_main_country_for_code())
            .and_then(|region| region.id().parse().ok())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_agents_type_them_become_whatsapp_ids() {
        for typed in [
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033 6 12 34 56 78",
            "+33 (0)6 12.34.56.78",
        ] {
            assert_eq!(
                whatsapp_id(typed, None).as_deref(),
                Ok("33612345678"),
                "{typed}"
            );
        }
        assert_eq!(
            whatsapp_id("+44 7700 900123", None).as_deref(),
            Ok("447700900123")
        );
    }

    #[test]
    fn a_national_number_takes_the_business_numbers_country() {
        assert_eq!(
            whatsapp_id("06 12 34 56 78", Some("+33 1 23 45 67 89")).as_deref(),
            Ok("33612345678")
        );
        assert_eq!(
            whatsapp_id("07700 900123", Some("447700900456")).as_deref(),
            Ok("447700900123")
        );
        assert_eq!(
            whatsapp_id("06 12 34 56 78", None),
            Err(InvalidNumber::NoCountry("06 12 34 56 78".into()))
        );
    }

    #[test]
    fn impossible_and_unreadable_numbers_are_refused() {
        for typed in ["+33 1234", "+999 123456789", "+33 6 12 34 56 78 90 12"] {
            assert!(
                matches!(whatsapp_id(typed, None), Err(InvalidNumber::Impossible(_))),
                "{typed}"
            );
        }
        for typed in ["", "   ", "call me", "+33 6 12 34 56 7x", "+-()"] {
            assert!(
                matches!(whatsapp_id(typed, None), Err(InvalidNumber::Unreadable(_))),
                "{typed:?}"
            );
        }
    }
}
