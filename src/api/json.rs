//! The JSON body extractor. Beside what `web::Json` does, it names the offending field of a
//! type error (with `serde_path_to_error`), refuses unknown fields by the DTO's
//! `deny_unknown_fields`, runs the DTO's `validator` rules, and answers every failure as a problem:
//! 415 for another media type, 413 over the size limit, 400 for broken JSON, 422 for a
//! well-formed body with wrong content. The bytes are read by `body::RawBody`.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::body::{RawBody, SizeLimit};
use super::error::{ApiError, Kind};
use crate::domain::FieldError;

/// The largest body accepted, in bytes; set once in `app_data`, 64 KiB when absent.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

impl SizeLimit for BodyLimit {
    fn bytes(req: &HttpRequest) -> usize {
        req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0)
    }
    fn too_large(limit: usize) -> String {
        format!("the body is larger than {limit} bytes")
    }
    const NAME: &'static str = "the body";
}

/// A JSON body that parsed and passed its `validator` rules — or why it did not. The error is
/// handed over only when the handler asks for the body, after its authorisation check, so a
/// caller without the right role gets 403 and learns nothing about what a valid body is.
#[derive(Debug)]
pub struct ValidJson<T>(Result<T, ApiError>);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let media_type = check_media_type(req);
        // Takes the payload now; it is read only if the media type passed.
        let body = RawBody::<BodyLimit>::from_request(req, payload);
        Box::pin(async move {
            let parsed = async {
                media_type?;
                let body = body.await?;
                let value: T = parse(&body)?;
                value
                    .validate()
                    .map_err(|errors| ApiError::validation(field_errors(&errors)))?;
                Ok::<T, ApiError>(value)
            };
            Ok(ValidJson(parsed.await))
        })
    }
}

/// 415 unless the body is declared as JSON (`application/json` or `application/…+json`).
fn check_media_type(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence != "application/json"
        && !(essence.starts_with("application/") && essence.ends_with("+json"))
    {
        return Err(ApiError::new(
            Kind::UnsupportedMediaType,
            format!(
                "send the body as application/json, not {:?}",
                if content_type.is_empty() {
                    "nothing"
                } else {
                    content_type
                }
            ),
        ));
    }
    Ok(())
}

/// Parses in two steps so that the answer says the right thing: first the syntax (400 for
/// anything that is not one well-formed JSON value, trailing bytes included), then the shape
/// (422 naming the field whose value has the wrong type, is missing or is unknown).
fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::new(
            Kind::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        ApiError::validation(vec![FieldError::new(
            field_of(&path, &message),
            "invalid",
            message,
        )])
    })
}

/// The field a shape error is about. serde reports a missing field at the path of the object
/// that should hold it, naming the field only in its message (`missing field `kind``); an
/// unknown field's path already ends in its name.
fn field_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match missing {
        Some(name) if parent.is_empty() => name.to_owned(),
        Some(name) => format!("{parent}.{name}"),
        None => parent.to_owned(),
    }
}

/// Flattens `validator`'s nested errors into one list of fields with dotted paths.
pub fn field_errors(errors: &ValidationErrors) -> Vec<FieldError> {
    let mut out = Vec::new();
    collect(errors, "", &mut out);
    out
}

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() {
            field.to_string()
        } else {
            format!("{prefix}.{field}")
        };
        match kind {
            ValidationErrorsKind::Field(list) => {
                for error in list {
                    let message = error.message.as_ref().map_or_else(
                        || format!("failed the {} rule", error.code),
                        |m| m.to_string(),
                    );
                    out.push(FieldError::new(
                        path.clone(),
                        error.code.to_string(),
                        message,
                    ));
                }
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Outer {
        name: String,
        inner: Option<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        size: u8,
    }

    fn field(body: &str) -> (u16, String) {
        match parse::<Outer>(&Bytes::copy_from_slice(body.as_bytes())) {
            Ok(_) => (200, String::new()),
            Err(error) => {
                let problem = error.problem();
                let fields: Vec<_> = problem.errors.iter().map(|e| e.field.as_str()).collect();
                (problem.status, fields.join(","))
            }
        }
    }

    #[test]
    fn shape_errors_name_the_field_at_its_path() {
        assert_eq!(field(r#"{"name": "a"}"#), (200, String::new()));
        assert_eq!(field(r#"{}"#), (422, "name".into()));
        assert_eq!(field(r#"{"name": 1}"#), (422, "name".into()));
        assert_eq!(field(r#"{"name": "a", "extra": 1}"#), (422, "extra".into()));
        assert_eq!(
            field(r#"{"name": "a", "inner": {"size": 300}}"#),
            (422, "inner.size".into())
        );
        assert_eq!(
            field(r#"{"name": "a", "inner": {"colour": 1}}"#),
            (422, "inner.colour".into())
        );
        assert_eq!(
            field(r#"{"name": "a", "inner": {}}"#),
            (422, "inner.size".into())
        );
    }

    #[test]
    fn syntax_errors_are_malformed_json() {
        for body in ["", "{", r#"{"name": "a"} x"#, "{name: 1}", "[1,]"] {
            assert_eq!(field(body), (400, String::new()), "{body:?}");
        }
    }
}
