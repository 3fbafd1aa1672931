//! The desk lets a unit read one of the citizen's files: a scanned ID card or a signed letter
//! identifies the citizen as surely as a name, so no file reaches a unit without this act.

use crate::db::attachments as repo;
use crate::db::referrals as referral_repo;
use crate::db::requests as request_repo;
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::StaffUser;
use crate::domain::attachment::{ReleaseRefusal, may_release};
use crate::domain::ids::{AttachmentId, ReferralId, RequestId};
use crate::domain::request::ActorKind;

use super::read::{Attachment, Reading, filed, readable};
use crate::app::{AppError, AppResult};

/// Releases `attachment_id` of `request_id` to `referral_id` (one of the same request's);
/// releasing it again changes nothing. A staff-only history event records who did it.
pub fn release(
    conn: &mut DbConnection,
    staff: &StaffUser,
    request_id: &RequestId,
    attachment_id: &AttachmentId,
    referral_id: &ReferralId,
) -> AppResult<Attachment> {
    write_transaction(conn, |conn| {
        let request = request_repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
        let row = repo::find(conn, attachment_id)?
            .filter(|row| row.request_id.as_ref() == Some(request_id))
            .ok_or(AppError::NotFound("attachment"))?;
        let referral = referral_repo::find(conn, referral_id)?
            .filter(|referral| referral.request_id == *request_id)
            .ok_or_else(|| {
                AppError::invalid(
                    "referral_id",
                    "unknown_referral",
                    "no referral of this request has this id",
                )
            })?;
        may_release(&filed(&row, &[]), referral.status.is_finished()).map_err(refused)?;
        let now = db::now();
        if repo::release(conn, attachment_id, referral_id, &staff.id, now)? {
            let details = serde_json::json!({
                "attachment": attachment_id, "referral": referral.reference,
            });
            let actor = (ActorKind::Staff, Some(staff.id.clone()));
            crate::app::conversation::record(
                conn,
                &request,
                "attachment_released",
                actor,
                details,
                now,
            )?;
        }
        readable(conn, Reading::Desk { request_id })?
            .into_iter()
            .find(|file| file.id == *attachment_id)
            .ok_or(AppError::NotFound("attachment"))
    })
}

fn refused(refusal: ReleaseRefusal) -> AppError {
    let code = match refusal {
        ReleaseRefusal::NotTheCitizens => "not-the-citizens",
        ReleaseRefusal::ReferralFinished => "referral-finished",
    };
    AppError::conflict(code, refusal.to_string())
}
