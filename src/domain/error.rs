//! What a parse or a rule says about one bad field, gathered so that a client learns of every
//! mistake in one answer rather than one at a time.

use serde::Serialize;
use utoipa::ToSchema;

use super::anonymise::FindingSpan;

/// One field that was refused, and why, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "password", "code": "weak_password", "message": "a password has 10 to 128 characters and is not one character repeated"}))]
pub struct FieldError {
    /// The field's path in the request, e.g. `password` or `parent_id`.
    pub field: String,
    /// A stable machine-readable reason, e.g. `length`, `format`, `required`.
    pub code: String,
    pub message: String,
    /// With code `identifies_citizen` only: the text the server checked, which is the submitted
    /// text normalised (Arabic ي/ك as Persian ی/ک, invisible and control characters removed,
    /// spaces, ZWNJ and empty lines tidied). It equals the submitted text when that was already
    /// normal, as a text edited from the proposed anonymised text is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checked_text: Option<String>,
    /// With code `identifies_citizen` only: each identifier found, in order and not
    /// overlapping, with its kind and its place in `checked_text` as offsets in Unicode code
    /// points (not bytes, not UTF-16 units), `start` inclusive and `end` exclusive.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(example = json!([{"kind": "tracking_code", "start": 34, "end": 48}]))]
    pub findings: Vec<FindingSpan>,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            checked_text: None,
            findings: Vec::new(),
        }
    }

    /// The same error, telling what was found where in the text that was checked.
    pub fn with_findings(self, checked_text: &str, findings: Vec<FindingSpan>) -> Self {
        Self {
            checked_text: Some(checked_text.to_owned()),
            findings,
            ..self
        }
    }
}

/// Names the field a parse belongs to: the value, or the field's error.
pub fn parse_field<T, E: std::fmt::Display + HasCode>(
    field: &str,
    parsed: Result<T, E>,
) -> Result<T, FieldError> {
    parsed.map_err(|error| FieldError::new(field, error.code(), error.to_string()))
}

/// A parse error's stable reason code.
pub trait HasCode {
    fn code(&self) -> &'static str;
}

/// The value of a parse, or `None` with its error added to `errors`: for inputs whose bad
/// fields are all named at once.
pub fn keep<T>(errors: &mut Vec<FieldError>, parsed: Result<T, FieldError>) -> Option<T> {
    parsed.map_err(|e| errors.push(e)).ok()
}
