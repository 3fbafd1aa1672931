//! A contact: one walk-in or one call, logged whatever came of it, because every one is part of
//! the desk's workload.

use super::labels::labels;
use super::request::Channel;

labels! {
    /// How the citizen reached the desk in person or by phone (online submissions are requests
    /// from the start, not contacts).
    pub enum ContactChannel {
        InPerson = "in_person",
        Phone = "phone",
    }
}

labels! {
    /// What came of a contact.
    pub enum ContactOutcome {
        /// Verbal guidance only; nothing registered.
        Guided = "guided",
        /// A call transferred to a unit, which is named.
        Transferred = "transferred",
        /// A request was registered; the contact links to it.
        Registered = "registered",
    }
}

impl ContactChannel {
    /// The request channel of a request registered during this contact.
    pub fn request_channel(self) -> Channel {
        match self {
            ContactChannel::InPerson => Channel::InPerson,
            ContactChannel::Phone => Channel::Phone,
        }
    }
}

/// Why a contact's outcome does not fit its other fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactRuleError {
    #[error("only a phone call can be transferred to a unit")]
    TransferNeedsPhone,
    #[error("a transferred call names the unit it was transferred to")]
    TransferNeedsUnit,
    #[error("only a transferred call names a unit")]
    UnitWithoutTransfer,
}

/// Checks that the outcome, the channel and the named unit fit together.
pub fn check_outcome(
    channel: ContactChannel,
    outcome: ContactOutcome,
    has_unit: bool,
) -> Result<(), ContactRuleError> {
    match (outcome, channel, has_unit) {
        (ContactOutcome::Transferred, ContactChannel::InPerson, _) => {
            Err(ContactRuleError::TransferNeedsPhone)
        }
        (ContactOutcome::Transferred, ContactChannel::Phone, false) => {
            Err(ContactRuleError::TransferNeedsUnit)
        }
        (ContactOutcome::Guided | ContactOutcome::Registered, _, true) => {
            Err(ContactRuleError::UnitWithoutTransfer)
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_phone_calls_are_transferred_and_only_they_name_a_unit() {
        use ContactChannel::*;
        use ContactOutcome::*;
        assert_eq!(check_outcome(Phone, Transferred, true), Ok(()));
        assert_eq!(
            check_outcome(InPerson, Transferred, true),
            Err(ContactRuleError::TransferNeedsPhone)
        );
        assert_eq!(
            check_outcome(Phone, Transferred, false),
            Err(ContactRuleError::TransferNeedsUnit)
        );
        assert_eq!(
            check_outcome(InPerson, Guided, true),
            Err(ContactRuleError::UnitWithoutTransfer)
        );
        assert_eq!(check_outcome(InPerson, Guided, false), Ok(()));
        assert_eq!(check_outcome(Phone, Registered, false), Ok(()));
    }
}
