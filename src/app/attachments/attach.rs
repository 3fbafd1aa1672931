//! Attaching uploads to what they belong to, in the caller's transaction: all of them or none
//! (the caller's write is rolled back with them), and within the request's limits counted with
//! the files it already carries.

use std::collections::HashSet;

use crate::db::attachments::{self as repo, Attaching};
use crate::db::{self, DbConnection};
use crate::domain::ids::{AttachmentId, ReferralId, RequestId};

use super::{Files, Uploader, refused_by_limit};
use crate::app::{AppError, AppResult};

/// What the files are attached to: a request, and the message (and, for a unit's question or a
/// reply to one, the referral) that carried them.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub request_id: &'a RequestId,
    pub message_id: Option<&'a str>,
    pub referral_id: Option<&'a ReferralId>,
}

/// Attaches `ids`, each an upload of `uploader`'s still waiting, to `target`. Call it inside
/// the transaction that writes the target: an error leaves the caller to roll everything back.
pub fn attach(
    conn: &mut DbConnection,
    files: &Files,
    ids: &[AttachmentId],
    uploader: Uploader<'_>,
    target: Target<'_>,
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let distinct: HashSet<&str> = ids.iter().map(AttachmentId::as_str).collect();
    if distinct.len() != ids.len() {
        return Err(AppError::invalid(
            "attachments",
            "duplicate",
            "the same upload is listed twice",
        ));
    }
    let now = db::now();
    let attaching = Attaching {
        request_id: target.request_id,
        message_id: target.message_id,
        referral_id: target.referral_id,
        uploaded_after: now - files.upload_ttl,
        now,
    };
    let attached = repo::attach(conn, ids, uploader.repo(), &attaching)?;
    if attached != ids.len() {
        return Err(AppError::invalid(
            "attachments",
            "unknown_upload",
            format!(
                "an attachment is not an upload of yours waiting to be attached: it does not exist, \
                 is already attached, or is older than {} minutes; upload it again",
                files.upload_ttl.num_minutes()
            ),
        ));
    }
    let (count, bytes) = repo::totals(conn, target.request_id)?;
    files
        .limits
        .fits(count.unsigned_abs(), bytes.unsigned_abs())
        .map_err(refused_by_limit)
}
