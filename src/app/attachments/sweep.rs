//! Uploads never attached within their time are deleted, and with them their content once no
//! other upload refers to it. Run periodically by `serve` and `mardom worker`; safe with any
//! number of instances (each deletion is one transaction under the content's lock, and an
//! upload already deleted or attached meanwhile is left alone).

use chrono::NaiveDateTime;

use crate::db::attachments as repo;
use crate::db::{DbConnection, write_transaction};

use super::Files;
use crate::app::{AppError, AppResult};

/// Uploads looked at per transaction batch.
const BATCH: i64 = 100;

/// Deletes the uploads unattached since before `now - upload_ttl`; returns how many.
pub fn sweep(conn: &mut DbConnection, files: &Files, now: NaiveDateTime) -> AppResult<usize> {
    let cutoff = now - files.upload_ttl;
    let mut deleted = 0;
    loop {
        let expired = repo::unattached_before(conn, cutoff, BATCH)?;
        let batch = expired.len();
        for upload in expired {
            let gone = write_transaction(conn, |conn| {
                repo::hold_content(conn, &upload.sha256)?;
                if !repo::delete_unattached(conn, &upload.id)? {
                    return Ok::<_, AppError>(false);
                }
                if !repo::content_in_use(conn, &upload.sha256)? {
                    files.store.delete(conn, &upload.sha256)?;
                }
                Ok(true)
            })?;
            deleted += usize::from(gone);
        }
        if batch < BATCH as usize {
            return Ok(deleted);
        }
    }
}
