//! Every error the API gives, rendered as `application/problem+json` (RFC 9457). Use-case
//! errors, extractor errors (JSON, path, query), unknown routes and wrong methods all pass
//! through `ApiError`, so a client never meets a plain-text error body.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppError;
use crate::domain::FieldError;

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of every problem `type`: a URN, stable and never fetched.
const TYPE_PREFIX: &str = "urn:mardom:problem:";

/// An error as the client receives it (RFC 9457).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "urn:mardom:problem:validation",
    "title": "The input is not valid",
    "status": 422,
    "detail": "1 field is not valid",
    "errors": [{"field": "password", "code": "weak_password", "message": "a password has 10 to 128 characters and is not one character repeated"}]
}))]
pub struct Problem {
    /// A stable identifier of the kind of problem, `urn:mardom:problem:<name>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// A short, human summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong this time, for a person.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For validation problems: every offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The kinds of problem, each with its status, `type` name and title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MalformedJson,
    BadParameter,
    Unauthenticated,
    InvalidCredentials,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    Conflict(&'static str),
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    Validation,
    TooManyRequests,
    Internal,
    Unavailable,
    /// Any other HTTP error, e.g. from middleware outside our handlers.
    Other(StatusCode),
}

impl Kind {
    pub fn status(self) -> StatusCode {
        match self {
            Kind::MalformedJson | Kind::BadParameter => StatusCode::BAD_REQUEST,
            Kind::Unauthenticated | Kind::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Kind::Forbidden => StatusCode::FORBIDDEN,
            Kind::NotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::Conflict(_) => StatusCode::CONFLICT,
            Kind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::Validation => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Kind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Kind::Other(status) => status,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::MalformedJson => "malformed-json",
            Kind::BadParameter => "bad-parameter",
            Kind::Unauthenticated => "unauthenticated",
            Kind::InvalidCredentials => "invalid-credentials",
            Kind::Forbidden => "forbidden",
            Kind::NotFound => "not-found",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::Conflict(name) => name,
            Kind::PreconditionFailed => "precondition-failed",
            Kind::PayloadTooLarge => "payload-too-large",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::Validation => "validation",
            Kind::TooManyRequests => "too-many-requests",
            Kind::Internal => "internal",
            Kind::Unavailable => "unavailable",
            Kind::Other(_) => "http-error",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::MalformedJson => "The body is not well-formed JSON",
            Kind::BadParameter => "A path or query parameter is not valid",
            Kind::Unauthenticated => "Sign-in required",
            Kind::InvalidCredentials => "Wrong username or password",
            Kind::Forbidden => "Your role may not do this",
            Kind::NotFound => "Not found",
            Kind::MethodNotAllowed => "Method not allowed here",
            Kind::Conflict(_) => "Conflict with the current state",
            Kind::PreconditionFailed => "The resource changed since you read it",
            Kind::PayloadTooLarge => "The body is too large",
            Kind::UnsupportedMediaType => "The body must be application/json",
            Kind::Validation => "The input is not valid",
            Kind::TooManyRequests => "Too many requests",
            Kind::Internal => "Internal error",
            Kind::Unavailable => "Service temporarily unavailable",
            Kind::Other(status) => status.canonical_reason().unwrap_or("HTTP error"),
        }
    }

    pub fn type_uri(self) -> String {
        format!("{TYPE_PREFIX}{}", self.name())
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    kind: Kind,
    detail: Option<String>,
    errors: Vec<FieldError>,
    headers: Vec<(header::HeaderName, String)>,
}

impl ApiError {
    pub fn new(kind: Kind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: Some(detail.into()),
            errors: Vec::new(),
            headers: Vec::new(),
        }
    }

    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = match errors.len() {
            1 => "1 field is not valid".to_owned(),
            n => format!("{n} fields are not valid"),
        };
        Self {
            errors,
            ..Self::new(Kind::Validation, detail)
        }
    }

    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(Kind::Unauthenticated, detail).with_header(header::WWW_AUTHENTICATE, "Bearer")
    }

    pub fn forbidden() -> Self {
        Self::new(Kind::Forbidden, "this endpoint is not open to your role")
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(Kind::NotFound, format!("no such {what}"))
    }

    /// A 500 whose cause goes to the log, never to the client.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(%cause, "internal error");
        Self::new(
            Kind::Internal,
            "an unexpected error occurred; it has been logged",
        )
    }

    /// 429 with `Retry-After` in whole seconds.
    pub fn too_many_requests(retry_after: std::time::Duration, what: &str) -> Self {
        // Rounded up: a client that waits the seconds it is told finds the window open.
        let seconds = (retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0)).max(1);
        ApiError::new(
            Kind::TooManyRequests,
            format!("{what}; try again in {seconds} seconds"),
        )
        .with_header(header::RETRY_AFTER, seconds.to_string())
    }

    pub fn with_header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn kind(&self) -> Kind {
        self.kind
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: self.kind.type_uri(),
            title: self.kind.title().to_owned(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            errors: self.errors.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}",
            self.kind.name(),
            self.detail.as_deref().unwrap_or("")
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.kind.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
        for (name, value) in &self.headers {
            if let Ok(value) = HeaderValue::from_str(value) {
                response.insert_header((name.clone(), value));
            }
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        response.body(body)
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotFound(what) => ApiError::not_found(what),
            AppError::Invalid(errors) => ApiError::validation(errors),
            AppError::Conflict { code, detail } => ApiError::new(Kind::Conflict(code), detail),
            AppError::Forbidden(detail) => ApiError::new(Kind::Forbidden, detail),
            AppError::PreconditionFailed(detail) => ApiError::new(Kind::PreconditionFailed, detail),
            AppError::InvalidCredentials => ApiError::new(
                Kind::InvalidCredentials,
                "the username or password is wrong, or the account is deactivated",
            ),
            AppError::Limited { limit, retry_after } => {
                ApiError::too_many_requests(retry_after, limit.refusal())
            }
            AppError::UnsupportedFile(detail) => ApiError::new(Kind::UnsupportedMediaType, detail),
            AppError::FileTooLarge(detail) => ApiError::new(Kind::PayloadTooLarge, detail),
            AppError::Unavailable(cause) => {
                tracing::warn!(%cause, "service unavailable");
                ApiError::new(
                    Kind::Unavailable,
                    "the service is busy or its database is unreachable; retry shortly",
                )
                .with_header(header::RETRY_AFTER, "1")
            }
            AppError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        ApiError::internal(error)
    }
}

/// Rejections by actix's own query and path extractors, as problems.
pub fn query_error(
    error: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(Kind::BadParameter, format!("query: {error}")).into()
}

pub fn path_error(
    error: actix_web::error::PathError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::new(Kind::BadParameter, format!("path: {error}")).into()
}
