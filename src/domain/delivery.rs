//! What a provider says of one SMS it was handed (`DeliveryStatus`, asked for or pushed to us in
//! a `DeliveryReport`), and what that word makes of the message in our outbox: one rule for the
//! dispatcher that asks and for the callback that is told.

use super::notification::NotificationStatus;

/// What a provider knows of a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Accepted, not final yet.
    Queued,
    Delivered,
    /// Sent to the operator but not delivered to the phone (switched off, out of coverage).
    Undelivered(String),
    /// The provider gave up on it (rejected, cancelled, filtered).
    Failed(String),
    /// The provider never got it: safe to send.
    NotFound,
}

/// A delivery report pushed by a provider to our callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// Our notification id, when the provider echoes it back.
    pub notification_id: Option<String>,
    /// The provider's id for the message, as returned by `SendOutcome::Accepted`.
    pub provider_id: Option<String>,
    pub status: DeliveryStatus,
}

impl DeliveryStatus {
    /// The final status this word settles a sent message in, with the provider's reason; none
    /// for a word that is not final (`Queued`) or says nothing of a sent message (`NotFound`).
    pub fn settles(self) -> Option<(NotificationStatus, Option<String>)> {
        match self {
            DeliveryStatus::Delivered => Some((NotificationStatus::Delivered, None)),
            DeliveryStatus::Undelivered(reason) => {
                Some((NotificationStatus::Undelivered, Some(reason)))
            }
            DeliveryStatus::Failed(reason) => Some((NotificationStatus::Failed, Some(reason))),
            DeliveryStatus::Queued | DeliveryStatus::NotFound => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_final_words_settle_a_message() {
        let reason = || "switched off".to_owned();
        assert_eq!(
            DeliveryStatus::Delivered.settles(),
            Some((NotificationStatus::Delivered, None))
        );
        assert_eq!(
            DeliveryStatus::Undelivered(reason()).settles(),
            Some((NotificationStatus::Undelivered, Some(reason())))
        );
        assert_eq!(
            DeliveryStatus::Failed(reason()).settles(),
            Some((NotificationStatus::Failed, Some(reason())))
        );
        assert_eq!(DeliveryStatus::Queued.settles(), None);
        assert_eq!(DeliveryStatus::NotFound.settles(), None);
    }
}
