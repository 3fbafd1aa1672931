//! Iranian mobile numbers: the many ways people write one, reduced to a single E.164 form so that
//! a number typed as «۰۹۱۲ ۱۲۳ ۴۵۶۷» on the portal and as `+989121234567` by an operator is one
//! number (it is how a citizen proves a request is theirs, and where text messages go).

use super::error::HasCode;
use super::text::{ascii_digits, normalise_line};

/// An Iranian mobile number in E.164 form: `+989` and nine digits, 13 characters.
///
/// Only mobiles are accepted, not landlines: the number receives text messages about the request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MobileNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an Iranian mobile number: 09xxxxxxxxx (11 digits), or +989xxxxxxxxx")]
pub struct MobileNumberError;

impl HasCode for MobileNumberError {
    fn code(&self) -> &'static str {
        "invalid_mobile"
    }
}

/// Country calling code of Iran.
const COUNTRY: &str = "98";

/// Characters people put inside a number to make it readable; they carry no meaning. Word
/// processors turn `-` into en or em dashes, so those count too.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '(' | ')' | '\u{2010}'..='\u{2015}' | '\u{2212}')
}

/// What `MobileNumber::parse` accepts, as an ECMA-262 pattern for the OpenAPI document: the five
/// spellings, in any of the three digit scripts, with separators anywhere. (The parser also
/// drops invisible marks around the number, which the pattern does not describe.)
pub const PATTERN: &str = concat!(
    r"^[\s\-()\u2010-\u2015\u2212]*",
    r"(\+[\s\-()\u2010-\u2015\u2212]*[9۹٩][\s\-()\u2010-\u2015\u2212]*[8۸٨][\s\-()\u2010-\u2015\u2212]*",
    r"|[0۰٠][\s\-()\u2010-\u2015\u2212]*[0۰٠][\s\-()\u2010-\u2015\u2212]*[9۹٩][\s\-()\u2010-\u2015\u2212]*[8۸٨][\s\-()\u2010-\u2015\u2212]*",
    r"|[9۹٩][\s\-()\u2010-\u2015\u2212]*[8۸٨][\s\-()\u2010-\u2015\u2212]*",
    r"|[0۰٠][\s\-()\u2010-\u2015\u2212]*)?",
    r"[9۹٩]([\s\-()\u2010-\u2015\u2212]*[0-9۰-۹٠-٩]){9}[\s\-()\u2010-\u2015\u2212]*$",
);

impl MobileNumber {
    /// Reads a mobile number written as `09xxxxxxxxx`, `9xxxxxxxxx`, `+989…`, `00989…` or
    /// `989…`, in ASCII, Persian or Arabic-Indic digits, with spaces, dashes or parentheses
    /// anywhere.
    pub fn parse(raw: &str) -> Result<Self, MobileNumberError> {
        // `normalise_line` first: numbers pasted from Persian text often carry invisible bidi
        // marks around them.
        let cleaned: String = ascii_digits(&normalise_line(raw))
            .chars()
            .filter(|&c| !is_separator(c))
            .collect();
        let (plus, digits) = match cleaned.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, cleaned.as_str()),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MobileNumberError);
        }
        // The national significant number: ten digits, which for a mobile start with 9 (a
        // landline starts with its area code, 1 to 8). Which prefix may precede it depends on
        // whether the number was written for international dialling.
        let national = if plus {
            digits.strip_prefix(COUNTRY)
        } else {
            digits
                .strip_prefix("00")
                .and_then(|d| d.strip_prefix(COUNTRY))
                .or_else(|| match digits.len() {
                    // The four spellings differ in length, so the length says which one this is.
                    10 => Some(digits),
                    11 => digits.strip_prefix('0'),
                    12 => digits.strip_prefix(COUNTRY),
                    _ => None,
                })
        };
        match national {
            Some(n) if n.len() == 10 && n.starts_with('9') => Ok(Self(format!("+{COUNTRY}{n}"))),
            _ => Err(MobileNumberError),
        }
    }

    /// A number read back from the database, where only the canonical form is ever written;
    /// anything else is `None` rather than silently re-interpreted.
    pub fn from_stored(stored: String) -> Option<Self> {
        let canonical = stored.len() == 13
            && stored.starts_with("+989")
            && stored[1..].bytes().all(|b| b.is_ascii_digit());
        canonical.then_some(Self(stored))
    }

    /// The E.164 form, `+989xxxxxxxxx`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The form dialled inside Iran and the one people recognise, `09xxxxxxxxx`.
    pub fn national(&self) -> String {
        // The field holds `+98` and ten ASCII digits, so byte 3 is a character boundary.
        format!("0{}", &self.0[3..])
    }
}

/// Spellings that must be refused, for tests here and in the integration tests.
#[doc(hidden)]
pub const INVALID_SAMPLES: &[&str] = &[
    "",
    "   ",
    "phone",
    "02188776655",
    "2188776655",
    "+982188776655",
    "0098 21 8877 6655",
    "0912123456",
    "091212345678",
    "912123456",
    "91212345678",
    "+98912123456",
    "+9891212345678",
    "+14155552671",
    "+44 7911 123456",
    "00447911123456",
    "0912abc4567",
    "۰۹۱۲۱۲۳۴۵۶۷۸",
    "٠٩١٢١٢٣",
    "0912+1234567",
    "++989121234567",
    "+09121234567",
    "0912_123_4567",
    "9121234567 ext 2",
];

/// Spellings of the one number `+989121234567`, for tests here and in the integration tests.
#[doc(hidden)]
pub const VALID_FORMS_OF_09121234567: &[&str] = &[
    "09121234567",
    "9121234567",
    "+989121234567",
    "00989121234567",
    "989121234567",
    " 09121234567 ",
    "0912 123 4567",
    "0912-123-4567",
    "0912–123–4567",
    "(0912) 123-4567",
    "+98 912 123 4567",
    "+98 (912) 123-4567",
    "0098-912-123-4567",
    "0912\u{00A0}123\u{00A0}4567",
    "\u{200F}+98 912 123 4567\u{200E}",
    "۰۹۱۲۱۲۳۴۵۶۷",
    "۰۹۱۲ ۱۲۳ ۴۵۶۷",
    "+۹۸۹۱۲۱۲۳۴۵۶۷",
    "٠٩١٢١٢٣٤٥٦٧",
    "٠٠٩٨ ٩١٢ ١٢٣ ٤٥٦٧",
    "0912۱۲۳٤٥٦٧",
];

/// A number fit for a log line or a role that needs no more than its shape: `+98912***4567`.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() < 10 {
        return "***".to_owned();
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}***{tail}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn mask_keeps_the_operator_prefix_and_last_four_digits() {
        assert_eq!(super::mask("+989121234567"), "+98912***4567");
        assert_eq!(super::mask("12345"), "***");
    }

    use super::*;
    use proptest::prelude::*;

    /// Rewrites the ASCII digits of `s` in the script whose zero is `zero`.
    fn in_script(s: &str, zero: char) -> String {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if c.is_ascii_digit() => char::from_u32(zero as u32 + d).unwrap(),
                _ => c,
            })
            .collect()
    }

    const SCRIPTS: [char; 3] = ['0', '۰', '٠'];

    /// Every accepted spelling of the mobile whose nine digits after `9` are `rest`.
    fn ascii_forms(rest: &str) -> Vec<String> {
        let (a, b, c) = (&rest[..2], &rest[2..5], &rest[5..]);
        vec![
            format!("09{rest}"),
            format!("9{rest}"),
            format!("+989{rest}"),
            format!("00989{rest}"),
            format!("989{rest}"),
            format!("09{a} {b} {c}"),
            format!("09{a}-{b}-{c}"),
            format!("(09{a}) {b}-{c}"),
            format!("+98 9{a} {b} {c}"),
            format!("+98 (9{a}) {b}-{c}"),
            format!("0098-9{a}-{b}-{c}"),
            format!("  98 9{a}{b}{c}\t"),
        ]
    }

    #[test]
    fn every_form_in_every_script_is_one_number() {
        for form in ascii_forms("121234567") {
            for zero in SCRIPTS {
                let written = in_script(&form, zero);
                let parsed = MobileNumber::parse(&written).map(MobileNumber::into_string);
                assert_eq!(parsed, Ok("+989121234567".to_owned()), "{written:?}");
            }
        }
    }

    #[test]
    fn the_exported_valid_forms_are_one_number() {
        assert!(VALID_FORMS_OF_09121234567.len() >= 12);
        for form in VALID_FORMS_OF_09121234567 {
            let parsed = MobileNumber::parse(form).map(MobileNumber::into_string);
            assert_eq!(parsed, Ok("+989121234567".to_owned()), "{form:?}");
        }
    }

    #[test]
    fn invalid_forms_are_refused_in_every_script() {
        assert!(INVALID_SAMPLES.len() >= 15);
        for sample in INVALID_SAMPLES {
            for zero in SCRIPTS {
                let written = in_script(sample, zero);
                assert_eq!(
                    MobileNumber::parse(&written),
                    Err(MobileNumberError),
                    "{written:?}"
                );
            }
        }
    }

    #[test]
    fn the_error_says_what_is_accepted() {
        let error = MobileNumberError;
        assert_eq!(error.code(), "invalid_mobile");
        assert!(error.to_string().contains("09xxxxxxxxx"));
        assert!(error.to_string().contains("+989xxxxxxxxx"));
    }

    #[test]
    fn national_form_has_a_leading_zero() {
        let mobile = MobileNumber::parse("+989351112233").unwrap();
        assert_eq!(mobile.as_str(), "+989351112233");
        assert_eq!(mobile.national(), "09351112233");
    }

    #[test]
    fn from_stored_accepts_only_the_canonical_form() {
        assert_eq!(
            MobileNumber::from_stored("+989121234567".into()),
            MobileNumber::parse("09121234567").ok()
        );
        for stored in [
            "09121234567",
            "989121234567",
            "+98912123456",
            "+9891212345678",
            "+982188776655",
            "+۹۸۹۱۲۱۲۳۴۵۶۷",
            "+98912123456x",
            "+98 912123456",
            "",
        ] {
            assert_eq!(MobileNumber::from_stored(stored.into()), None, "{stored:?}");
        }
    }

    proptest! {
        #[test]
        fn all_forms_of_any_mobile_parse_to_one_value(rest in "[0-9]{9}") {
            let expected = format!("+989{rest}");
            for form in ascii_forms(&rest) {
                for zero in SCRIPTS {
                    let written = in_script(&form, zero);
                    let parsed = MobileNumber::parse(&written).map(MobileNumber::into_string);
                    prop_assert_eq!(parsed, Ok(expected.clone()), "{:?}", written);
                }
            }
            let stored = MobileNumber::from_stored(expected.clone());
            prop_assert_eq!(stored.map(|m| m.national()), Some(format!("09{rest}")));
        }
    }
}
