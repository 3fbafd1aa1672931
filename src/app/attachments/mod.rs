//! Files that travel with a request. A file is uploaded first, on its own (`upload`), and then
//! referenced by id from the submission or message it belongs to (`attach`), in that write's
//! transaction: the submission stays one JSON document, idempotent as before, and is atomic
//! with its files (an attach that fails rolls the submission back).
//!
//! Who reads a file is `domain::attachment::may_read`'s rule (`read`); the desk releases a
//! citizen's file to a referral (`release`); uploads never attached are swept (`sweep`).

mod attach;
mod read;
mod release;
mod sweep;
mod upload;

use std::sync::Arc;

use chrono::Duration;

pub use attach::{Target, attach};
pub use read::{Attachment, Reading, download, readable};
pub use release::release;
pub use sweep::sweep;
pub use upload::{HEAD_LEN, Upload, check_size, check_start, upload};

use crate::domain::StaffUser;
use crate::domain::attachment::{AttachmentError, AttachmentLimits, LimitRefusal};
use crate::domain::conversation::AuthorKind;
use crate::domain::role::Role;
use crate::storage::ContentStore;

use super::AppError;

/// What the attachment use cases share: the store of contents, the limits, and how long an
/// upload waits to be attached.
#[derive(Clone)]
pub struct Files {
    pub store: Arc<dyn ContentStore>,
    pub limits: AttachmentLimits,
    /// An upload not attached within this is past its time: it can no longer be attached, and
    /// the sweep deletes it.
    pub upload_ttl: Duration,
}

/// Who uploads or attaches: the citizen (an upload is theirs by knowing its random id), or a
/// staff member (only their own uploads).
#[derive(Debug, Clone, Copy)]
pub enum Uploader<'a> {
    Citizen,
    Staff(&'a StaffUser),
}

impl Uploader<'_> {
    fn author(&self) -> AuthorKind {
        match self {
            Uploader::Citizen => AuthorKind::Citizen,
            Uploader::Staff(staff) if staff.role == Role::UnitStaff => AuthorKind::Unit,
            Uploader::Staff(_) => AuthorKind::Desk,
        }
    }

    fn repo(&self) -> crate::db::attachments::Uploader<'_> {
        match self {
            Uploader::Citizen => crate::db::attachments::Uploader::Citizen,
            Uploader::Staff(staff) => crate::db::attachments::Uploader::Staff(&staff.id),
        }
    }
}

/// A file refused for what it is: 415 for a type, 422 (field `file`) for a broken file.
fn refused_file(error: AttachmentError) -> AppError {
    match error {
        AttachmentError::UnsupportedType => AppError::UnsupportedFile(error.to_string()),
        AttachmentError::Truncated { .. } => {
            AppError::invalid("file", "truncated", error.to_string())
        }
        AttachmentError::Malformed { .. } => {
            AppError::invalid("file", "malformed", error.to_string())
        }
    }
}

/// A file refused by the limits: 415 for a type not allowed here, 413 for a file too large,
/// 422 (field `attachments`) for what the request's files add up to.
fn refused_by_limit(refusal: LimitRefusal) -> AppError {
    match refusal {
        LimitRefusal::TypeNotAllowed { .. } => AppError::UnsupportedFile(refusal.to_string()),
        LimitRefusal::FileTooLarge { .. } => AppError::FileTooLarge(refusal.to_string()),
        LimitRefusal::TooManyFiles { .. } => {
            AppError::invalid("attachments", "too_many", refusal.to_string())
        }
        LimitRefusal::TotalTooLarge { .. } => {
            AppError::invalid("attachments", "too_large", refusal.to_string())
        }
    }
}
