//! What citizens write: their name, the text of a request, an email address, and the summary an
//! operator notes of a contact; and the search key that lets staff find such text however its
//! Persian was typed. The mobile number and national id have modules of their own.

use validator::ValidateEmail;

use super::error::HasCode;
use super::text::{ascii_digits, char_len, normalise_line, normalise_text};

/// A citizen's name as they give it, normalised Persian, 2 to 100 characters. Not split into
/// first and last name: people give names in many shapes, and the desk only needs to address
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitizenName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a name has 2 to 100 characters")]
pub struct CitizenNameError;

impl HasCode for CitizenNameError {
    fn code(&self) -> &'static str {
        "length"
    }
}

impl CitizenName {
    pub fn parse(raw: &str) -> Result<Self, CitizenNameError> {
        let name = normalise_line(raw);
        if (2..=100).contains(&char_len(&name)) {
            Ok(Self(name))
        } else {
            Err(CitizenNameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// The text of a request, normalised, lines kept, 10 to 4000 characters: enough to say what the
/// matter is, and short enough to be read in one sitting by whoever it is referred to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the text of a request has 10 to 4000 characters")]
pub struct RequestTextError;

impl HasCode for RequestTextError {
    fn code(&self) -> &'static str {
        "length"
    }
}

impl RequestText {
    pub fn parse(raw: &str) -> Result<Self, RequestTextError> {
        let text = normalise_text(raw);
        if (10..=4000).contains(&char_len(&text)) {
            Ok(Self(text))
        } else {
            Err(RequestTextError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An email address, trimmed and lower-cased so that one address is stored one way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an email address such as name@example.com, at most 254 characters")]
pub struct EmailError;

impl HasCode for EmailError {
    fn code(&self) -> &'static str {
        "invalid_email"
    }
}

impl Email {
    /// The longest address that fits in an SMTP path (RFC 5321).
    pub const MAX: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let email = raw.trim().to_lowercase();
        // `validate_email` follows the HTML form rule, which allows a dotless domain such as
        // `name@localhost`; a citizen's address is never one, so a missing dot is a typo.
        let shape_ok = match email.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty() && !domain.contains('@') && domain.contains('.')
            }
            None => false,
        };
        let valid = shape_ok
            && char_len(&email) <= Self::MAX
            && !email.chars().any(char::is_whitespace)
            && email.validate_email();
        if valid {
            Ok(Self(email))
        } else {
            Err(EmailError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// What an operator notes of a walk-in or call, normalised, lines kept, 2 to 1000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSummary(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a contact summary has 2 to 1000 characters")]
pub struct ContactSummaryError;

impl HasCode for ContactSummaryError {
    fn code(&self) -> &'static str {
        "length"
    }
}

impl ContactSummary {
    pub fn parse(raw: &str) -> Result<Self, ContactSummaryError> {
        let summary = normalise_text(raw);
        if (2..=1000).contains(&char_len(&summary)) {
            Ok(Self(summary))
        } else {
            Err(ContactSummaryError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Whether a character is an Arabic-script mark that may or may not be typed: the harakat and
/// other combining marks (fatha, kasra, tanwin, shadda, sukun, hamza above…), the superscript
/// alef, and the tatweel that only stretches a word.
fn is_optional_mark(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0640}')
}

/// The form of a text used for searching, computed the same way for the stored text and for the
/// query so that they match however each was typed: Persian yeh and kaf, ASCII digits, lower
/// case, no optional marks, and ZWNJ as a space (people write «می‌خواهم», «می خواهم» and
/// «میخواهم»; with ZWNJ as a space the first two match, and a search for one part still finds
/// the word). Only for comparing: never shown or stored as the text itself.
pub fn search_key(text: &str) -> String {
    let plain: String = ascii_digits(&normalise_line(text))
        .chars()
        .filter(|&c| !is_optional_mark(c))
        .map(|c| if c == '\u{200C}' { ' ' } else { c })
        .collect::<String>()
        .to_lowercase();
    plain.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_and_bounded() {
        let name = CitizenName::parse("  علي   كريمي ").unwrap();
        assert_eq!(name.as_str(), "علی کریمی");
        assert_eq!(name.into_string(), "علی کریمی");
        assert!(CitizenName::parse("لی").is_ok());
        assert!(CitizenName::parse(&"ن".repeat(100)).is_ok());
        for bad in ["", "  ", "ع", " \u{200B}ع\u{200F} ", &"ن".repeat(101)] {
            assert_eq!(CitizenName::parse(bad), Err(CitizenNameError), "{bad:?}");
        }
        assert_eq!(CitizenNameError.code(), "length");
        assert_eq!(
            CitizenNameError.to_string(),
            "a name has 2 to 100 characters"
        );
    }

    #[test]
    fn request_text_keeps_lines_and_is_bounded() {
        let text = RequestText::parse("  سلام\r\n\n\n\nدرخواست ملاقات دارم  ").unwrap();
        assert_eq!(text.as_str(), "سلام\n\nدرخواست ملاقات دارم");
        assert!(RequestText::parse(&"ب".repeat(10)).is_ok());
        assert!(RequestText::parse(&"ب".repeat(4000)).is_ok());
        for bad in [
            String::new(),
            "ب".repeat(9),
            format!("  {}  \n\n", "ب".repeat(9)),
            "ب".repeat(4001),
        ] {
            assert_eq!(RequestText::parse(&bad), Err(RequestTextError));
        }
        assert_eq!(RequestTextError.code(), "length");
        assert_eq!(
            RequestTextError.to_string(),
            "the text of a request has 10 to 4000 characters"
        );
    }

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Reza.Karimi+desk@Example.IR ").unwrap();
        assert_eq!(email.as_str(), "reza.karimi+desk@example.ir");
        assert_eq!(email.into_string(), "reza.karimi+desk@example.ir");
        assert!(Email::parse("a@b.co").is_ok());
    }

    #[test]
    fn malformed_emails_are_refused() {
        // A domain label has at most 63 characters, so long addresses need several.
        let labels = ["b".repeat(60), "c".repeat(60), "d".repeat(60)].join(".");
        let longest = format!("{}@{labels}.exa.ir", "a".repeat(64));
        assert_eq!(char_len(&longest), 254);
        assert!(Email::parse(&longest).is_ok());
        let too_long = format!("{}@{labels}.exam.ir", "a".repeat(64));
        for bad in [
            "",
            "   ",
            "reza",
            "reza@",
            "@example.ir",
            "reza@@example.ir",
            "reza@karimi@example.ir",
            "reza@localhost",
            "reza karimi@example.ir",
            "reza@exa mple.ir",
            "reza@example.",
            "reza@.ir",
            "رضا@example.ir",
            "reza@example..ir",
            too_long.as_str(),
        ] {
            assert_eq!(Email::parse(bad), Err(EmailError), "{bad:?}");
        }
        assert_eq!(EmailError.code(), "invalid_email");
    }

    #[test]
    fn contact_summaries_are_bounded() {
        let summary = ContactSummary::parse(" راهنمایی\n\n\nشد ").unwrap();
        assert_eq!(summary.as_str(), "راهنمایی\n\nشد");
        assert_eq!(summary.into_string(), "راهنمایی\n\nشد");
        assert!(ContactSummary::parse("ok").is_ok());
        assert!(ContactSummary::parse(&"x".repeat(1000)).is_ok());
        for bad in ["", " ", "x", &"x".repeat(1001)] {
            assert_eq!(ContactSummary::parse(bad), Err(ContactSummaryError));
        }
        assert_eq!(ContactSummaryError.code(), "length");
    }

    #[test]
    fn search_key_unifies_persian_spellings() {
        // Arabic yeh and kaf.
        assert_eq!(search_key("علي كريمي"), search_key("علی کریمی"));
        // Harakat, shadda, tanwin, superscript alef and tatweel.
        assert_eq!(search_key("مُحَمَّد"), "محمد");
        assert_eq!(search_key("حتماً"), "حتما");
        assert_eq!(search_key("رحمٰن"), "رحمن");
        assert_eq!(search_key("ســلام"), "سلام");
        // ZWNJ becomes a space.
        assert_eq!(search_key("می\u{200C}خواهم"), "می خواهم");
        // Digits of every script, case, and whitespace, including line breaks.
        assert_eq!(search_key("  شکایت  ۱۲۳\n٤٥ ABC\t"), "شکایت 123 45 abc");
        // Invisible characters go.
        assert_eq!(search_key("سل\u{200B}ام\u{200F}"), "سلام");
        assert_eq!(search_key(""), "");
    }

    #[test]
    fn search_key_is_idempotent() {
        for text in ["علي كريمي", "مُحَمَّد\u{200C}رضا ۱۲", "Hello  World"] {
            let once = search_key(text);
            assert_eq!(search_key(&once), once, "{text}");
        }
    }
}
