//! Which files each party reads, by `domain::attachment::may_read`: the desk every file of the
//! request, a unit those released to its referral and its own, the citizen theirs and those
//! sent to them. A file someone may not read is "not found" to them, never "forbidden".

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::attachments::{self as repo, AttachmentRow};
use crate::db::requests::{self as request_repo, RequestRow};
use crate::domain::StaffUser;
use crate::domain::attachment::{FileReader, FileType, Filed, may_read, shown_name};
use crate::domain::conversation::AuthorKind;
use crate::domain::ids::{AttachmentId, ReferralId, RequestId};

use super::Files;
use crate::app::{AppError, AppResult};

/// An attached file as one reader sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub id: AttachmentId,
    /// A unit reads a citizen's file under a neutral name: the name a citizen gave a file
    /// ("ali-rezaei-id-card.jpg") can identify them.
    pub file_name: String,
    pub file_type: FileType,
    pub size: u64,
    pub author: AuthorKind,
    /// The message that carried it; none for the submission's own files.
    pub message_id: Option<String>,
    /// The referrals the desk released it to: the desk's to know, empty for anyone else.
    pub released_to: Vec<ReferralId>,
    pub created_at: NaiveDateTime,
    sha256: String,
}

/// Who reads, and through what.
#[derive(Debug, Clone, Copy)]
pub enum Reading<'a> {
    Desk {
        request_id: &'a RequestId,
    },
    /// A unit's staff (or the desk) through a referral.
    Unit {
        staff: &'a StaffUser,
        referral_id: &'a ReferralId,
    },
    /// The citizen, once they proved the request is theirs.
    Citizen {
        request: &'a RequestRow,
    },
}

/// The files `reading` may read, oldest first.
pub fn readable(conn: &mut DbConnection, reading: Reading<'_>) -> AppResult<Vec<Attachment>> {
    let (request_id, reader) = match reading {
        Reading::Desk { request_id } => {
            request_repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
            (request_id.clone(), FileReader::Desk)
        }
        Reading::Unit { staff, referral_id } => {
            let referral = crate::app::conversation::own_referral(conn, staff, referral_id)?;
            (referral.request_id, FileReader::Unit { referral_id })
        }
        Reading::Citizen { request } => (request.id.clone(), FileReader::Citizen),
    };
    let releases = repo::releases_of_request(conn, &request_id)?;
    Ok(repo::of_request(conn, &request_id)?
        .into_iter()
        .filter_map(|row| {
            let released_to: Vec<ReferralId> = releases
                .iter()
                .filter(|(file, _)| *file == row.id)
                .map(|(_, referral)| referral.clone())
                .collect();
            let filed = filed(&row, &released_to);
            if !may_read(&filed, reader) {
                return None;
            }
            let name = (row.id.as_str(), row.file_name.as_str(), row.file_type);
            let file_name = shown_name(&filed, reader, name);
            Some(shown(row, file_name, released_to, reader))
        })
        .collect())
}

/// What the access rules decide on, for one row.
pub(super) fn filed<'a>(row: &'a AttachmentRow, released_to: &'a [ReferralId]) -> Filed<'a> {
    Filed {
        author: row.author_kind,
        on_message: row.message_id.is_some(),
        sent_on: row.referral_id.as_ref(),
        released_to,
    }
}

fn shown(
    row: AttachmentRow,
    file_name: String,
    released_to: Vec<ReferralId>,
    reader: FileReader<'_>,
) -> Attachment {
    Attachment {
        file_name,
        file_type: row.file_type,
        size: row.size.unsigned_abs(),
        author: row.author_kind,
        message_id: row.message_id,
        released_to: match reader {
            FileReader::Desk => released_to,
            _ => Vec::new(),
        },
        created_at: row.created_at,
        id: row.id,
        sha256: row.sha256,
    }
}

/// One file `reading` may read, with its bytes.
pub fn download(
    conn: &mut DbConnection,
    files: &Files,
    reading: Reading<'_>,
    id: &AttachmentId,
) -> AppResult<(Attachment, Vec<u8>)> {
    let file = readable(conn, reading)?
        .into_iter()
        .find(|file| file.id == *id)
        .ok_or(AppError::NotFound("attachment"))?;
    let bytes = files
        .store
        .get(conn, &file.sha256)?
        .ok_or_else(|| AppError::Internal(format!("the content of attachment {id} is missing")))?;
    Ok((file, bytes))
}
