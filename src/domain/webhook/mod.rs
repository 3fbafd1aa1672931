//! Webhooks: which change of a request is which event, who hears of it, and what it says.
//! What a receiver is sent follows the public view (`GET /public/requests/{code}`): never a
//! name, a mobile number, a national ID, an email or the request's text, because the types
//! below have no field that could hold one; the tracking code only to the portal that filed
//! the request.

pub mod payload;
pub mod target;

use crate::domain::labels::labels;
use crate::domain::request::Status;

labels! {
    /// Where one delivery of one event to one subscription stands.
    pub enum DeliveryState {
        /// Not yet answered with a 2xx: due at `next_attempt_at`.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Given up after its attempts, or its subscription was deleted.
        Failed = "failed",
    }
}

/// The event types a subscription can ask for. One change of a request is one event.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
pub enum EventType {
    /// A request was filed (by any channel).
    #[serde(rename = "request.registered")]
    RequestRegistered,
    /// Its status changed, and no more particular event below says how (classified, reopened
    /// by an objection, a meeting held with follow-ups).
    #[serde(rename = "request.status_changed")]
    RequestStatusChanged,
    /// Referred to a unit (by name), or a meeting request redirected to one.
    #[serde(rename = "request.referred")]
    RequestReferred,
    /// Closed, with its resolution.
    #[serde(rename = "request.closed")]
    RequestClosed,
    /// A deadline the citizen was told of was extended.
    #[serde(rename = "request.deadline_extended")]
    RequestDeadlineExtended,
    #[serde(rename = "meeting.scheduled")]
    MeetingScheduled,
    #[serde(rename = "meeting.rescheduled")]
    MeetingRescheduled,
    #[serde(rename = "meeting.cancelled")]
    MeetingCancelled,
    /// The desk or a unit wrote to the citizen: a message waits behind the citizen's door.
    #[serde(rename = "message.available")]
    MessageAvailable,
    /// The Center's own systems (`center` scope) only: a unit acknowledged a referral.
    #[serde(rename = "referral.acknowledged")]
    ReferralAcknowledged,
    /// `center` only: a unit answered a referral.
    #[serde(rename = "referral.answered")]
    ReferralAnswered,
    /// `center` only: the desk accepted a unit's answer.
    #[serde(rename = "referral.accepted")]
    ReferralAccepted,
    /// `center` only: the desk returned an answer for more work.
    #[serde(rename = "referral.returned")]
    ReferralReturned,
    /// `center` only: an SMS was handed to the provider.
    #[serde(rename = "notification.sent")]
    NotificationSent,
    /// `center` only: the provider reported an SMS delivered.
    #[serde(rename = "notification.delivered")]
    NotificationDelivered,
    /// `center` only: an SMS failed for good (the desk can retry it in the outbox).
    #[serde(rename = "notification.failed")]
    NotificationFailed,
    /// One of this portal's subscriptions was disabled after failing too often (sent to its
    /// other subscriptions that ask for it).
    #[serde(rename = "webhook.disabled")]
    WebhookDisabled,
}

impl EventType {
    pub const ALL: [EventType; 17] = [
        EventType::RequestRegistered,
        EventType::RequestStatusChanged,
        EventType::RequestReferred,
        EventType::RequestClosed,
        EventType::RequestDeadlineExtended,
        EventType::MeetingScheduled,
        EventType::MeetingRescheduled,
        EventType::MeetingCancelled,
        EventType::MessageAvailable,
        EventType::ReferralAcknowledged,
        EventType::ReferralAnswered,
        EventType::ReferralAccepted,
        EventType::ReferralReturned,
        EventType::NotificationSent,
        EventType::NotificationDelivered,
        EventType::NotificationFailed,
        EventType::WebhookDisabled,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::RequestRegistered => "request.registered",
            EventType::RequestStatusChanged => "request.status_changed",
            EventType::RequestReferred => "request.referred",
            EventType::RequestClosed => "request.closed",
            EventType::RequestDeadlineExtended => "request.deadline_extended",
            EventType::MeetingScheduled => "meeting.scheduled",
            EventType::MeetingRescheduled => "meeting.rescheduled",
            EventType::MeetingCancelled => "meeting.cancelled",
            EventType::MessageAvailable => "message.available",
            EventType::ReferralAcknowledged => "referral.acknowledged",
            EventType::ReferralAnswered => "referral.answered",
            EventType::ReferralAccepted => "referral.accepted",
            EventType::ReferralReturned => "referral.returned",
            EventType::NotificationSent => "notification.sent",
            EventType::NotificationDelivered => "notification.delivered",
            EventType::NotificationFailed => "notification.failed",
            EventType::WebhookDisabled => "webhook.disabled",
        }
    }

    pub fn parse(value: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == value)
    }

    /// Who may hear of it.
    pub const fn audience(self) -> Audience {
        match self {
            EventType::ReferralAcknowledged
            | EventType::ReferralAnswered
            | EventType::ReferralAccepted
            | EventType::ReferralReturned
            | EventType::NotificationSent
            | EventType::NotificationDelivered
            | EventType::NotificationFailed => Audience::Center,
            EventType::WebhookDisabled => Audience::OwnPortal,
            _ => Audience::Public,
        }
    }
}

/// Who hears of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The portal that filed the request, and the Center's own systems.
    Public,
    /// The Center's own systems only (portals with the `center` scope).
    Center,
    /// The portal the event is about (its own subscriptions).
    OwnPortal,
}

impl Audience {
    /// Whether a subscription hears an event of this audience: by whether its portal filed the
    /// request the event is about, and whether that portal holds the `center` scope. (An
    /// `OwnPortal` event is addressed to its portal's subscriptions by whoever writes it.)
    pub fn hears(self, filed_it: bool, scopes: &crate::domain::portal::Scopes) -> bool {
        let center = scopes.has(crate::domain::portal::Scope::Center);
        match self {
            Audience::Public => filed_it || center,
            Audience::Center => center,
            Audience::OwnPortal => false,
        }
    }
}

/// The event a request's history entry is, if any: by its action, the status before and
/// after, and whether the citizen sees it. Staff-only entries are events only where listed
/// (a message to the citizen, a referral's step); the rest stay inside the Center.
pub fn event_of(action: &str, from: Option<Status>, to: Status, public: bool) -> Option<EventType> {
    let particular = match action {
        "registered" => Some(EventType::RequestRegistered),
        "referred" | "meeting_redirected" => Some(EventType::RequestReferred),
        "meeting_scheduled" => Some(EventType::MeetingScheduled),
        "meeting_rescheduled" => Some(EventType::MeetingRescheduled),
        "meeting_cancelled" => Some(EventType::MeetingCancelled),
        "deadline_extended" if public => Some(EventType::RequestDeadlineExtended),
        "message_to_citizen" | "question_from_unit" => Some(EventType::MessageAvailable),
        "referral_acknowledged" => Some(EventType::ReferralAcknowledged),
        "referral_answered" => Some(EventType::ReferralAnswered),
        "referral_accepted" => Some(EventType::ReferralAccepted),
        "referral_returned" => Some(EventType::ReferralReturned),
        _ => None,
    };
    particular.or(match (public, to) {
        (true, Status::Closed) => Some(EventType::RequestClosed),
        (true, to) if from != Some(to) => Some(EventType::RequestStatusChanged),
        _ => None,
    })
}

/// A subscription's event types as stored: each between spaces, sorted, once.
pub fn stored_types(types: &[EventType]) -> String {
    let mut sorted = types.to_vec();
    sorted.sort();
    sorted.dedup();
    let mut text = String::from(" ");
    for t in sorted {
        text.push_str(t.as_str());
        text.push(' ');
    }
    text
}

/// Read back; a word that is no event type (a later version's) is skipped.
pub fn types_from_stored(text: &str) -> Vec<EventType> {
    text.split_whitespace()
        .filter_map(EventType::parse)
        .collect()
}

/// How a stored list is searched for one type.
pub fn type_pattern(event: EventType) -> String {
    format!("% {} %", event.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn each_change_is_one_event() {
        let cases = [
            (
                "registered",
                None,
                Registered,
                true,
                Some(EventType::RequestRegistered),
            ),
            (
                "classified",
                Some(Registered),
                InReview,
                true,
                Some(EventType::RequestStatusChanged),
            ),
            ("reclassified", Some(InReview), InReview, false, None),
            (
                "referred",
                Some(InReview),
                Referred,
                true,
                Some(EventType::RequestReferred),
            ),
            (
                "referred",
                Some(Referred),
                Referred,
                true,
                Some(EventType::RequestReferred),
            ),
            (
                "meeting_redirected",
                Some(InReview),
                Referred,
                true,
                Some(EventType::RequestReferred),
            ),
            (
                "meeting_scheduled",
                Some(InReview),
                MeetingScheduled,
                true,
                Some(EventType::MeetingScheduled),
            ),
            (
                "meeting_rescheduled",
                Some(MeetingScheduled),
                MeetingScheduled,
                true,
                Some(EventType::MeetingRescheduled),
            ),
            (
                "meeting_cancelled",
                Some(MeetingScheduled),
                InReview,
                true,
                Some(EventType::MeetingCancelled),
            ),
            (
                "thanked",
                Some(InReview),
                Closed,
                true,
                Some(EventType::RequestClosed),
            ),
            (
                "withdrawn",
                Some(Referred),
                Closed,
                true,
                Some(EventType::RequestClosed),
            ),
            (
                "resolved",
                Some(FollowUp),
                Closed,
                true,
                Some(EventType::RequestClosed),
            ),
            (
                "objected",
                Some(Closed),
                InReview,
                true,
                Some(EventType::RequestStatusChanged),
            ),
            (
                "meeting_held_follow_up",
                Some(MeetingScheduled),
                FollowUp,
                true,
                Some(EventType::RequestStatusChanged),
            ),
            (
                "deadline_extended",
                Some(Referred),
                Referred,
                true,
                Some(EventType::RequestDeadlineExtended),
            ),
            ("deadline_extended", Some(Referred), Referred, false, None),
            (
                "message_to_citizen",
                Some(InReview),
                InReview,
                false,
                Some(EventType::MessageAvailable),
            ),
            (
                "question_from_unit",
                Some(Referred),
                Referred,
                false,
                Some(EventType::MessageAvailable),
            ),
            (
                "referral_answered",
                Some(Referred),
                Referred,
                false,
                Some(EventType::ReferralAnswered),
            ),
            ("reply_released", Some(Referred), Referred, false, None),
            ("identity_revealed", Some(Referred), Referred, false, None),
            (
                "meeting_arrived",
                Some(MeetingScheduled),
                MeetingScheduled,
                false,
                None,
            ),
        ];
        for (action, from, to, public, expected) in cases {
            assert_eq!(event_of(action, from, to, public), expected, "{action}");
        }
    }

    #[test]
    fn referral_and_notification_events_are_for_the_center_only() {
        for t in EventType::ALL {
            let center =
                t.as_str().starts_with("referral.") || t.as_str().starts_with("notification.");
            assert_eq!(t.audience() == Audience::Center, center, "{t:?}");
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).unwrap(),
                serde_json::json!(t.as_str())
            );
        }
    }

    #[test]
    fn the_filer_and_the_center_hear_public_events_only_the_center_hears_its_own() {
        use crate::domain::portal::{Scope, Scopes};
        let center = Scopes::new(vec![Scope::Center, Scope::Webhooks]);
        let portal = Scopes::new(vec![Scope::Webhooks]);
        let cases = [
            (Audience::Public, true, &portal, true),
            (Audience::Public, false, &portal, false),
            (Audience::Public, false, &center, true),
            (Audience::Center, true, &portal, false),
            (Audience::Center, false, &center, true),
            (Audience::OwnPortal, true, &center, false),
        ];
        for (audience, filed_it, scopes, hears) in cases {
            assert_eq!(
                audience.hears(filed_it, scopes),
                hears,
                "{audience:?} {filed_it}"
            );
        }
    }

    #[test]
    fn stored_types_are_found_by_their_pattern_only() {
        let stored = stored_types(&[
            EventType::RequestClosed,
            EventType::RequestRegistered,
            EventType::RequestClosed,
        ]);
        assert_eq!(stored, " request.registered request.closed ");
        assert_eq!(
            types_from_stored(&stored),
            vec![EventType::RequestRegistered, EventType::RequestClosed]
        );
        let like = |pattern: &str| stored.contains(pattern.trim_matches('%'));
        assert!(like(&type_pattern(EventType::RequestClosed)));
        assert!(!like(&type_pattern(EventType::RequestReferred)));
    }
}
