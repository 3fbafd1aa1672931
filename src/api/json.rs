//! The JSON body extractor. Beside what `web::Json` does, it names the offending field of a
//! type error (with `serde_path_to_error`), refuses unknown fields by the DTO's
//! `deny_unknown_fields`, runs the DTO's `validator` rules, and answers every failure as a problem:
//! 415 for another media type, 413 over the size limit, 400 for broken JSON, 422 for a
//! well-formed body with wrong content.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use super::error::{ApiError, Kind};
use crate::domain::FieldError;

/// The largest body accepted, in bytes; set once in `app_data`, 64 KiB when absent.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body that parsed and passed its `validator` rules.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T> ValidJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + Validate + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req.app_data::<BodyLimit>().map_or(64 * 1024, |l| l.0);
        let checked = check_headers(req, limit);
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| {
                    ApiError::new(
                        Kind::MalformedJson,
                        format!("the body could not be read: {e}"),
                    )
                })?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large(limit));
                }
                body.extend_from_slice(&chunk);
            }
            let value: T = parse(&body.freeze())?;
            value
                .validate()
                .map_err(|errors| ApiError::validation(field_errors(&errors)))?;
            Ok(ValidJson(value))
        })
    }
}

fn check_headers(req: &HttpRequest, limit: usize) -> Result<(), ApiError> {
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
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match declared {
        Some(length) if length > limit => Err(too_large(limit)),
        _ => Ok(()),
    }
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        Kind::PayloadTooLarge,
        format!("the body is larger than {limit} bytes"),
    )
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let field = if path == "." { String::new() } else { path };
                let message = strip_position(&inner.to_string());
                ApiError::validation(vec![FieldError::new(field, "invalid", message)])
            }
            _ => ApiError::new(
                Kind::MalformedJson,
                format!("the body is not valid JSON: {inner}"),
            ),
        }
    })?;
    deserializer.end().map_err(|e| {
        ApiError::new(
            Kind::MalformedJson,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// serde_json appends " at line L column C"; for a data error the field path says more.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
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
