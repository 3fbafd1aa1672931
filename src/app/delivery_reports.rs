//! Delivery reports pushed by SMS providers, applied to the outbox in one transaction. A report
//! is applied idempotently: one about an unknown message, or about a message already settled,
//! changes nothing, so that a provider retrying its callback gets its 2xx all the same. A word
//! that is not final (`Queued`) is not counted as received.

use crate::db::outbox;
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::delivery::DeliveryReport;
use crate::domain::ids::NotificationId;

use super::AppResult;

/// What a batch of reports did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Applied {
    /// The reports with a final word (delivered, undelivered, failed).
    pub received: usize,
    /// Those that settled a message.
    pub changed: usize,
}

/// Settles each message a final report is about, found by our id or else by the provider's.
pub fn apply(conn: &mut DbConnection, reports: Vec<DeliveryReport>) -> AppResult<Applied> {
    let settling: Vec<_> = reports
        .into_iter()
        .filter_map(|report| {
            let (status, reason) = report.status.settles()?;
            Some((report.notification_id, report.provider_id, status, reason))
        })
        .collect();
    let received = settling.len();
    write_transaction(conn, |conn| {
        let mut changed = 0;
        for (notification_id, provider_id, status, reason) in &settling {
            let id = match (notification_id, provider_id) {
                // The id we gave the provider, echoed back: looked up as it is (an id no message
                // has finds nothing).
                (Some(id), _) => Some(NotificationId::stored(id.clone())),
                (None, Some(provider_id)) => outbox::by_provider_id(conn, provider_id)?,
                (None, None) => None,
            };
            if let Some(id) = id
                && outbox::settle(conn, &id, *status, reason.as_deref(), db::now())?
            {
                changed += 1;
            }
        }
        Ok(Applied { received, changed })
    })
}
