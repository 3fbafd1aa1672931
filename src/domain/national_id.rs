//! The Iranian national identification number (کد ملی): ten digits whose last is a check digit.
//! Checking it here catches most typing mistakes while the citizen is still at the desk or on
//! the form, instead of leaving a wrong number on the request.

use super::error::HasCode;
use super::text::{ascii_digits, normalise_line};

/// A national id: ten ASCII digits with a valid check digit, not one digit repeated.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NationalId(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a national id (کد ملی) has 10 digits, the last being a check digit")]
pub struct NationalIdError;

impl HasCode for NationalIdError {
    fn code(&self) -> &'static str {
        "invalid_national_id"
    }
}

/// Whether ten ASCII digits form a national id: the official check digit, and not one digit
/// repeated (all ten such numbers pass the checksum, yet none is ever issued and they are what
/// people type to get past a required field).
fn is_valid(digits: &[u8]) -> bool {
    let [body @ .., last] = digits else {
        return false;
    };
    if digits.len() != 10 || !digits.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if digits.iter().all(|&d| d == digits[0]) {
        return false;
    }
    check_digit(body) == last - b'0'
}

/// The official check digit of the first nine digits (ASCII): their sum weighted 10 down to 2,
/// modulo 11; a remainder below 2 is the check digit itself, otherwise 11 minus it.
fn check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip((2..=10).rev())
        .map(|(&d, weight)| u32::from(d - b'0') * weight)
        .sum();
    // `sum % 11` is below 11, so the narrowing cannot lose anything.
    let remainder = (sum % 11) as u8;
    if remainder < 2 {
        remainder
    } else {
        11 - remainder
    }
}

impl NationalId {
    /// Reads a national id in ASCII, Persian or Arabic-Indic digits; spaces and dashes anywhere
    /// are ignored (ids are often written in groups, e.g. `001-234567-9`).
    pub fn parse(raw: &str) -> Result<Self, NationalIdError> {
        let digits: String = ascii_digits(&normalise_line(raw))
            .chars()
            .filter(|&c| !(c.is_whitespace() || c == '-'))
            .collect();
        if is_valid(digits.as_bytes()) {
            Ok(Self(digits))
        } else {
            Err(NationalIdError)
        }
    }

    /// An id read back from the database, where only the canonical form is ever written;
    /// anything else is `None` rather than silently re-interpreted.
    pub fn from_stored(stored: String) -> Option<Self> {
        is_valid(stored.as_bytes()).then_some(Self(stored))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Ids with a correct check digit, for tests here and in the integration tests.
#[doc(hidden)]
pub const VALID_SAMPLES: &[&str] = &[
    "0012345679",
    "1234567891",
    "0081234562",
    "3728495611",
    "4987654326",
    "0654321094",
];

/// Ids that must be refused, for tests here and in the integration tests.
#[doc(hidden)]
pub const INVALID_SAMPLES: &[&str] = &[
    "",
    "0000000000",
    "1111111111",
    "9999999999",
    "0012345678",
    "1234567890",
    "001234567",
    "00123456790",
    "001234567X",
    "abcdefghij",
    "0012345679 1",
    "0012.345679",
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The check digit computed the way the rule is usually written, to check `check_digit`.
    fn reference_check(body: &str) -> u32 {
        let sum: u32 = body
            .chars()
            .enumerate()
            .map(|(i, c)| c.to_digit(10).unwrap() * (10 - i as u32))
            .sum();
        let r = sum % 11;
        if r < 2 { r } else { 11 - r }
    }

    #[test]
    fn valid_samples_have_correct_check_digits_and_parse() {
        assert!(VALID_SAMPLES.len() >= 5);
        for sample in VALID_SAMPLES {
            let (body, last) = sample.split_at(9);
            assert_eq!(reference_check(body).to_string(), last, "{sample}");
            let parsed = NationalId::parse(sample).map(NationalId::into_string);
            assert_eq!(parsed, Ok((*sample).to_owned()));
        }
    }

    #[test]
    fn invalid_samples_are_refused() {
        assert!(INVALID_SAMPLES.len() >= 8);
        for sample in INVALID_SAMPLES {
            assert_eq!(
                NationalId::parse(sample),
                Err(NationalIdError),
                "{sample:?}"
            );
        }
    }

    #[test]
    fn one_digit_repeated_passes_the_checksum_but_is_refused() {
        for d in 0..=9 {
            let id = d.to_string().repeat(10);
            assert_eq!(reference_check(&id[..9]), d, "{id}");
            assert_eq!(NationalId::parse(&id), Err(NationalIdError), "{id}");
        }
    }

    #[test]
    fn digit_scripts_spaces_and_dashes_are_normalised() {
        for written in [
            "۰۰۱۲۳۴۵۶۷۹",
            "٠٠١٢٣٤٥٦٧٩",
            " 0012345679 ",
            "001-234567-9",
            "۰۰۱-۲۳۴۵۶۷-۹",
            "001 234 567 9",
        ] {
            let parsed = NationalId::parse(written).map(NationalId::into_string);
            assert_eq!(parsed, Ok("0012345679".to_owned()), "{written:?}");
        }
    }

    #[test]
    fn the_error_has_its_code() {
        assert_eq!(NationalIdError.code(), "invalid_national_id");
    }

    #[test]
    fn from_stored_accepts_only_the_canonical_form() {
        assert_eq!(
            NationalId::from_stored("0012345679".into()).map(|n| n.as_str().to_owned()),
            Some("0012345679".to_owned())
        );
        for stored in ["001-234567-9", "۰۰۱۲۳۴۵۶۷۹", " 0012345679", "0012345678"] {
            assert_eq!(NationalId::from_stored(stored.into()), None, "{stored:?}");
        }
    }

    proptest! {
        #[test]
        fn generated_valid_ids_parse(body in "[0-9]{9}") {
            let id = format!("{body}{}", reference_check(&body));
            prop_assume!(!id.chars().all(|c| c == body.as_bytes()[0] as char));
            let parsed = NationalId::parse(&id).map(NationalId::into_string);
            prop_assert_eq!(parsed, Ok(id.clone()));
        }

        #[test]
        fn a_changed_check_digit_is_refused(body in "[0-9]{9}", shift in 1u32..10) {
            // The check digit is a function of the first nine, so every other last digit is wrong.
            let wrong = (reference_check(&body) + shift) % 10;
            let id = format!("{body}{wrong}");
            prop_assert_eq!(NationalId::parse(&id), Err(NationalIdError));
        }
    }
}
