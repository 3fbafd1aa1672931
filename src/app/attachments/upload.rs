//! An upload: the type decided from the first bytes (refused at once if it is not accepted),
//! the size checked as the bytes arrive (refused at the limit, never read further), then the
//! whole file checked, its image metadata removed, and what remains kept under its SHA-256.

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::db::attachments::{self as repo, AttachmentRow};
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::attachment::{self, FileType, SNIFF_LEN};
use crate::domain::ids::AttachmentId;

use super::{Files, Uploader, refused_by_limit, refused_file};
use crate::app::AppResult;

/// An upload waiting to be attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Upload {
    pub id: AttachmentId,
    pub file_name: String,
    pub file_type: FileType,
    pub size: u64,
    pub sha256: String,
    /// After this it can no longer be attached, and is deleted.
    pub expires_at: NaiveDateTime,
}

/// The type of an upload from its first bytes (`head`: at least `SNIFF_LEN` of them, or the
/// whole file if it is shorter), if it is one these limits accept: what the streaming reader
/// asks before it reads on.
pub fn check_start(files: &Files, head: &[u8]) -> AppResult<FileType> {
    let kind = attachment::sniff(head)
        .ok_or(attachment::AttachmentError::UnsupportedType)
        .map_err(refused_file)?;
    files
        .limits
        .admit(0, 0, 0, kind)
        .map_err(refused_by_limit)?;
    Ok(kind)
}

/// Whether `received` bytes of a file of `kind` are still within the limit per file.
pub fn check_size(files: &Files, kind: FileType, received: u64) -> AppResult<()> {
    files
        .limits
        .admit(0, 0, received, kind)
        .map_err(refused_by_limit)
}

/// How many first bytes `check_start` needs.
pub const HEAD_LEN: usize = SNIFF_LEN;

/// Keeps a whole uploaded file: checked, stripped of image metadata, stored by content address
/// with its row in one transaction (on the database store, the bytes too).
pub fn upload(
    conn: &mut DbConnection,
    files: &Files,
    uploader: Uploader<'_>,
    given_name: Option<&str>,
    bytes: Vec<u8>,
) -> AppResult<Upload> {
    let kind = attachment::identify(&bytes).map_err(refused_file)?;
    check_size(files, kind, bytes.len() as u64)?;
    let kept = if kind.is_image() {
        attachment::strip_metadata(kind, bytes).map_err(refused_file)?
    } else {
        bytes
    };
    let sha256 = hex(&Sha256::digest(&kept));
    let now = db::now();
    let row = AttachmentRow {
        id: AttachmentId::generate(),
        sha256: sha256.clone(),
        size: i64::try_from(kept.len()).unwrap_or(i64::MAX),
        file_type: kind,
        file_name: attachment::file_name(given_name, kind),
        author_kind: uploader.author(),
        uploaded_by: match uploader {
            Uploader::Citizen => None,
            Uploader::Staff(staff) => Some(staff.id.clone()),
        },
        request_id: None,
        message_id: None,
        referral_id: None,
        created_at: now,
        attached_at: None,
    };
    write_transaction(conn, |conn| {
        // Under the address's lock, so that the sweep cannot delete the content between the
        // check and the row that makes it used again.
        repo::hold_content(conn, &sha256)?;
        if !repo::content_in_use(conn, &sha256)? {
            files.store.put(conn, &sha256, &kept)?;
        }
        repo::insert(conn, &row)?;
        Ok::<_, crate::app::AppError>(())
    })?;
    Ok(Upload {
        id: row.id,
        file_name: row.file_name,
        file_type: kind,
        size: kept.len() as u64,
        sha256,
        expires_at: now + files.upload_ttl,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
