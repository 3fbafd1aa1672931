//! Where one message to a citizen stands in the outbox: one named set of statuses for every
//! view and filter that carries it.

use super::labels::labels;

labels! {
    /// `pending` → `sent` → `delivered` | `undelivered`, or `failed` after its retries.
    pub enum NotificationStatus {
        /// Waiting for the dispatcher (or for its next attempt).
        Pending = "pending",
        /// The provider accepted it.
        Sent = "sent",
        /// The provider reports it reached the phone.
        Delivered = "delivered",
        /// The provider reports it could not reach the phone.
        Undelivered = "undelivered",
        /// Refused for good, or out of retries; see `last_error`.
        Failed = "failed",
    }
}
