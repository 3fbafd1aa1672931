//! What a parse or a rule says about one bad field, gathered so that a client learns of every
//! mistake in one answer rather than one at a time.

use serde::Serialize;
use utoipa::ToSchema;

/// One field that was refused, and why, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(example = json!({"field": "password", "code": "weak_password", "message": "a password has 10 to 128 characters and is not one character repeated"}))]
pub struct FieldError {
    /// The field's path in the request, e.g. `password` or `parent_id`.
    pub field: String,
    /// A stable machine-readable reason, e.g. `length`, `format`, `required`.
    pub code: String,
    pub message: String,
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
