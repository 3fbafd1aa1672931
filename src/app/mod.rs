//! Use cases: each public function is one transaction that loads, decides (with `domain`),
//! writes and returns. They take a connection and know nothing about HTTP.

pub mod attachments;
pub mod audit;
pub mod bootstrap;
pub mod citizen_door;
pub mod contacts;
pub mod conversation;
pub mod deadlines;
pub mod delivery_reports;
pub mod handling;
pub mod health;
pub mod history;
pub mod inbox;
pub mod limits;
pub mod meeting_day;
pub mod meeting_reminders;
pub mod meetings;
pub mod notifications;
pub mod objection;
pub mod page;
pub mod portals;
pub mod public;
pub mod referrals;
pub mod requests;
pub mod retention;
pub mod scorecard;
pub mod sealing;
pub mod sign_in;
pub mod state;
pub mod stats;
pub mod store;
pub mod units;
pub mod users;
pub mod webhooks;

use std::time::Duration;

use crate::domain::FieldError;

/// Why a use case did not do what it was asked. The API renders each as problem+json.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The named thing does not exist (or the caller may not know that it does).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The input breaks a rule; every offending field is named.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// The request conflicts with the current state; `code` is stable, `detail` explains.
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    /// The caller is known but may not do this (a citizen proving ownership with the wrong
    /// mobile number, for instance).
    #[error("{0}")]
    Forbidden(&'static str),
    /// The client's `If-Match` version is not the current one.
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("wrong username or password")]
    InvalidCredentials,
    /// An abuse limit is reached (`app::limits`): retry after the wait.
    #[error("{}", limit.refusal())]
    Limited {
        limit: crate::domain::limits::Limit,
        retry_after: Duration,
    },
    /// A file is not of a type that is accepted (decided by its content).
    #[error("{0}")]
    UnsupportedFile(String),
    /// A file is larger than a file may be.
    #[error("{0}")]
    FileTooLarge(String),
    /// The database is unreachable or saturated: retry later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or a broken invariant; the cause is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn invalid(field: &str, code: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(vec![FieldError::new(field, code, message)])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        AppError::Conflict {
            code,
            detail: detail.into(),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound("record"),
            // Another writer held the lock past the wait limit: a transient overload.
            other if crate::db::is_lock_timeout(&other) => AppError::Unavailable(other.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<crate::domain::lifecycle::Refusal> for AppError {
    fn from(refusal: crate::domain::lifecycle::Refusal) -> Self {
        use crate::domain::lifecycle::Refusal;
        match refusal {
            Refusal::Forbidden { .. } => AppError::Forbidden("your role may not do this"),
            Refusal::NotNow { .. } => {
                AppError::conflict("transition-not-allowed", refusal.to_string())
            }
            Refusal::ReferralsOpen => AppError::conflict("referrals-open", refusal.to_string()),
            Refusal::MeetingNotStarted { .. } => {
                AppError::conflict("meeting-not-started", refusal.to_string())
            }
            Refusal::ObjectedAlready => AppError::conflict("objected-already", refusal.to_string()),
            Refusal::ObjectionWindowClosed { .. } => {
                AppError::conflict("objection-window-closed", refusal.to_string())
            }
        }
    }
}

impl From<crate::storage::StoreError> for AppError {
    fn from(error: crate::storage::StoreError) -> Self {
        match error {
            crate::storage::StoreError::Database(e) => e.into(),
            unreachable @ crate::storage::StoreError::Unreachable(_) => {
                AppError::Unavailable(unreachable.to_string())
            }
        }
    }
}

impl From<crate::db::CorruptRow> for AppError {
    fn from(error: crate::db::CorruptRow) -> Self {
        AppError::Internal(error.to_string())
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Invalid(errors)
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid(vec![error])
    }
}

pub type AppResult<T> = Result<T, AppError>;
