//! Closed sets of values stored and sent as snake_case strings (channels, kinds, statuses…).
//! One macro so that every such enum has the same `ALL`, `as_str` and `parse`, and the stored
//! string can never drift from the JSON one.

/// Declares a `Copy` enum whose variants are stored and serialised as the given strings.
macro_rules! labels {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $($(#[$vmeta:meta])* $variant:ident = $label:literal,)+
        }
    ) => {
        $(#[$meta])*
        // `rename_all` rather than a `rename` per variant: utoipa does not read a literal that
        // arrives through a macro fragment, and the OpenAPI enum must show the wire values.
        // Every label is its variant's name in snake_case (a test below holds them equal).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)+
                }
            }

            pub fn parse(value: &str) -> Option<$name> {
                match value {
                    $($label => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use labels;

#[cfg(test)]
mod tests {
    use crate::domain::contact::{ContactChannel, ContactOutcome};
    use crate::domain::referral::{ReferralReason, ReferralStatus};
    use crate::domain::request::{ActorKind, Channel, RequestKind, Resolution, Status, Subject};

    fn same<T: serde::Serialize + Copy + std::fmt::Display>(all: &[T]) {
        for value in all {
            assert_eq!(
                serde_json::to_value(value).unwrap(),
                serde_json::json!(value.to_string())
            );
        }
    }

    #[test]
    fn the_wire_value_is_the_stored_label() {
        same(Channel::ALL);
        same(RequestKind::ALL);
        same(Subject::ALL);
        same(Status::ALL);
        same(Resolution::ALL);
        same(ActorKind::ALL);
        same(ContactChannel::ALL);
        same(ContactOutcome::ALL);
        same(ReferralReason::ALL);
        same(ReferralStatus::ALL);
        same(crate::domain::referral::Step::ALL);
        same(crate::domain::lifecycle::Action::ALL);
        same(crate::domain::notification::NotificationStatus::ALL);
        same(crate::domain::meeting::MeetingStatus::ALL);
    }

    #[test]
    fn the_openapi_enum_shows_the_wire_values() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(Resolution::schema()).unwrap();
        assert_eq!(
            schema["enum"],
            serde_json::json!([
                "thanked",
                "declined",
                "no_show",
                "meeting_no_action",
                "resolved",
                "withdrawn"
            ])
        );
    }
}
