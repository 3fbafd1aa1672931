//! What a webhook says: the Standard Webhooks envelope (`type`, `timestamp`, `data`) around
//! the request's public view at the moment of the change. The structs have no field for a
//! name, a mobile number, a national ID, an email or the request's text; the tracking code is
//! filled only for the portal that filed the request.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::EventType;
use crate::domain::request::{Channel, RequestKind, Resolution, Status};

/// The body of every request event.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "request.referred", "timestamp": "2026-12-03T10:15:00Z",
    "data": {
        "request_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "tracking_code": "483920175523",
        "action": "referred", "previous_status": "in_review", "status": "referred", "resolution": null,
        "kind": "complaint", "channel": "online", "referred_to": ["واحد امور مالی"], "meeting": null,
        "submitted_at": "2026-12-01T08:30:00Z", "at": "2026-12-03T10:15:00Z"
    }
}))]
pub struct RequestWebhook {
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// When the event happened (RFC 3339, UTC).
    pub timestamp: DateTime<Utc>,
    pub data: RequestChange,
}

/// The request as its public view shows it, after the change.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "request_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "tracking_code": null,
    "action": "classified", "previous_status": "registered", "status": "in_review", "resolution": null,
    "kind": "complaint", "channel": "online", "referred_to": [], "meeting": null,
    "submitted_at": "2026-12-01T08:30:00Z", "at": "2026-12-03T10:15:00Z"
}))]
pub struct RequestChange {
    /// The request's id (not a tracking code: it opens nothing without a staff account).
    #[schema(format = Uuid)]
    pub request_id: String,
    /// The tracking code, only to the portal that filed the request; null for everyone else.
    pub tracking_code: Option<String>,
    /// What happened, as the request's history names it (`registered`, `referred`, …).
    pub action: String,
    pub previous_status: Option<Status>,
    pub status: Status,
    pub resolution: Option<Resolution>,
    /// The kind the desk set on review; null before.
    pub kind: Option<RequestKind>,
    pub channel: Channel,
    /// The units handling it, by name, each once.
    pub referred_to: Vec<String>,
    /// When a scheduled meeting with the head starts (UTC), if one is scheduled.
    pub meeting: Option<DateTime<Utc>>,
    pub submitted_at: DateTime<Utc>,
    pub at: DateTime<Utc>,
}

/// The body of `webhook.disabled`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "webhook.disabled", "timestamp": "2026-12-03T10:15:00Z",
    "data": {"subscription_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "url": "https://portal.example/hooks",
             "failures": 20, "reason": "20 failed attempts in a row; last: HTTP 503"}
}))]
pub struct DisabledWebhook {
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub timestamp: DateTime<Utc>,
    pub data: Disabled,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Disabled {
    #[schema(format = Uuid)]
    pub subscription_id: String,
    pub url: String,
    pub failures: i32,
    pub reason: String,
}

/// The body of the `notification.*` events (the Center's own systems only): which SMS, of
/// which request, from which template, and what became of it. Never its recipient or text
/// (a provider's error can quote the number: it is not passed on).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "notification.delivered", "timestamp": "2026-12-03T10:15:04Z",
    "data": {"notification_id": "7c1d9e2f-3a4b-4c5d-8e6f-9a0b1c2d3e4f", "request_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
             "template": "referred", "status": "delivered", "at": "2026-12-03T10:15:04Z"}
}))]
pub struct NotificationWebhook {
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub timestamp: DateTime<Utc>,
    pub data: NotificationChange,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct NotificationChange {
    #[schema(format = Uuid)]
    pub notification_id: String,
    /// Null for a message of no request (a one-time code, a staff notice).
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    /// The template's name (`tracking_code_issued`, `referred`, …).
    pub template: String,
    /// `sent`, `delivered` or `failed`.
    pub status: String,
    pub at: DateTime<Utc>,
}

/// The request's state after a change, as read for its event.
#[derive(Debug, Clone)]
pub struct Snapshot<'a> {
    pub request_id: &'a str,
    pub tracking_code: &'a str,
    pub status: Status,
    pub resolution: Option<Resolution>,
    pub kind: Option<RequestKind>,
    pub channel: Channel,
    pub referred_to: Vec<String>,
    pub meeting_at: Option<NaiveDateTime>,
    pub submitted_at: NaiveDateTime,
}

/// The event for one receiver: `filer` says whether it is the portal that filed the request
/// (the only one shown the tracking code).
pub fn request_event(
    event_type: EventType,
    action: &str,
    previous_status: Option<Status>,
    request: &Snapshot<'_>,
    at: NaiveDateTime,
    filer: bool,
) -> RequestWebhook {
    let mut referred_to: Vec<String> = Vec::new();
    for name in &request.referred_to {
        if !referred_to.contains(name) {
            referred_to.push(name.clone());
        }
    }
    RequestWebhook {
        event_type,
        timestamp: at.and_utc(),
        data: RequestChange {
            request_id: request.request_id.to_owned(),
            tracking_code: filer.then(|| request.tracking_code.to_owned()),
            action: action.to_owned(),
            previous_status,
            status: request.status,
            resolution: request.resolution,
            kind: request.kind,
            channel: request.channel,
            referred_to,
            meeting: request.meeting_at.map(|m| m.and_utc()),
            submitted_at: request.submitted_at.and_utc(),
            at: at.and_utc(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot() -> Snapshot<'static> {
        Snapshot {
            request_id: "6f9619ff-8b86-d011-b42d-00cf4fc964ff",
            tracking_code: "483920175523",
            status: Status::Referred,
            resolution: None,
            kind: Some(RequestKind::Complaint),
            channel: Channel::Online,
            referred_to: vec!["مالی".into(), "حقوقی".into(), "مالی".into()],
            meeting_at: None,
            submitted_at: chrono::DateTime::from_timestamp(1_764_000_000, 0)
                .unwrap()
                .naive_utc(),
        }
    }

    #[test]
    fn only_the_filer_is_shown_the_tracking_code() {
        let at = chrono::DateTime::from_timestamp(1_764_100_000, 0)
            .unwrap()
            .naive_utc();
        let own = request_event(
            EventType::RequestReferred,
            "referred",
            Some(Status::InReview),
            &snapshot(),
            at,
            true,
        );
        let other = request_event(
            EventType::RequestReferred,
            "referred",
            Some(Status::InReview),
            &snapshot(),
            at,
            false,
        );
        assert_eq!(own.data.tracking_code.as_deref(), Some("483920175523"));
        assert_eq!(other.data.tracking_code, None);
        assert_eq!(
            own.data.referred_to,
            vec!["مالی".to_owned(), "حقوقی".to_owned()]
        );
        let json = serde_json::to_value(&other).unwrap();
        assert_eq!(json["type"], "request.referred");
        assert_eq!(json["data"]["tracking_code"], serde_json::Value::Null);
        let keys: Vec<&str> = json["data"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for forbidden in ["name", "mobile", "national_id", "email", "text", "body"] {
            assert!(!keys.contains(&forbidden), "{forbidden}");
        }
    }
}
