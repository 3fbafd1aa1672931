//! The identifiers of the things the desk stores, one type each, so that a referral's id can
//! no longer be passed where a request's is meant: the compiler refuses what a reviewer might
//! miss. Each is a UUID v4 held as its canonical text (lowercase, hyphenated), which is how the
//! database stores it and the API shows it.
//!
//! ```compile_fail
//! use mardom::domain::ids::{ReferralId, RequestId};
//! fn read_request(_: &RequestId) {}
//! read_request(&ReferralId::generate()); // a referral's id is not a request's
//! ```
//!
//! ```
//! use mardom::domain::ids::RequestId;
//! fn read_request(_: &RequestId) {}
//! read_request(&RequestId::generate());
//! ```

/// Declares an id type: generated at random, made from the `Uuid` a path or body parsed, or
/// taken back from storage as written.
macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident,)+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A new random id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// An id as it was stored: the database holds only what `generate` made.
            pub fn stored(text: String) -> Self {
                Self(text)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(id: uuid::Uuid) -> Self {
                Self(id.to_string())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    )+};
}

ids! {
    /// A request ("درخواست").
    RequestId,
    /// A referral of a request to a unit.
    ReferralId,
    /// A unit, deputy office or affiliated entity.
    UnitId,
    /// A staff account.
    UserId,
    /// A meeting on the head's calendar.
    MeetingId,
    /// One message in the outbox.
    NotificationId,
    /// An uploaded file, attached to a request or waiting to be.
    AttachmentId,
    /// A piece of work owed by a time (`deadline`).
    DeadlineId,
    /// One line of a staff member's inbox.
    StaffNotificationId,
    /// A portal: another system that files requests or hears of changes.
    PortalId,
    /// A portal's webhook subscription.
    SubscriptionId,
}

/// Hands every id type to `$apply` (a macro taking a list of types), so that what other layers
/// implement for ids (the database's text columns) covers each of them. An id declared above
/// and missing here cannot be stored: its row struct does not compile.
macro_rules! for_each_id {
    ($apply:ident) => {
        $apply!(
            $crate::domain::ids::RequestId,
            $crate::domain::ids::ReferralId,
            $crate::domain::ids::UnitId,
            $crate::domain::ids::UserId,
            $crate::domain::ids::MeetingId,
            $crate::domain::ids::NotificationId,
            $crate::domain::ids::AttachmentId,
            $crate::domain::ids::DeadlineId,
            $crate::domain::ids::StaffNotificationId,
            $crate::domain::ids::PortalId,
            $crate::domain::ids::SubscriptionId,
        );
    };
}

pub(crate) use for_each_id;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_from_a_parsed_uuid_is_its_canonical_text() {
        let parsed = uuid::Uuid::parse_str("6F9619FF-8B86-D011-B42D-00CF4FC964FF").unwrap();
        assert_eq!(
            RequestId::from(parsed).as_str(),
            "6f9619ff-8b86-d011-b42d-00cf4fc964ff"
        );
    }

    #[test]
    fn generated_ids_are_uuids_and_differ() {
        let (a, b) = (UnitId::generate(), UnitId::generate());
        assert_ne!(a, b);
        assert!(uuid::Uuid::parse_str(a.as_str()).is_ok());
        assert_eq!(
            serde_json::to_value(&a).unwrap(),
            serde_json::json!(a.as_str())
        );
    }
}
