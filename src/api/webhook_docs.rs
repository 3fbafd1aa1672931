//! The OpenAPI document's `webhooks`: one entry per event type, each the POST a receiver gets,
//! with the Standard Webhooks headers and the payload's schema.

use serde_json::{Value, json};
use utoipa::openapi::OpenApi;

use crate::domain::webhook::EventType;

/// What each event type is, for its entry.
fn summary(event: EventType) -> &'static str {
    match event {
        EventType::RequestRegistered => "A request was filed",
        EventType::RequestStatusChanged => {
            "A request's status changed (classified, reopened by an objection, a meeting held with follow-ups)"
        }
        EventType::RequestReferred => {
            "A request was referred to a unit (or a meeting request redirected to one)"
        }
        EventType::RequestClosed => "A request was closed, with its resolution",
        EventType::RequestDeadlineExtended => "A deadline the citizen was told of was extended",
        EventType::MeetingScheduled => "A meeting with the head was scheduled",
        EventType::MeetingRescheduled => "A meeting was moved",
        EventType::MeetingCancelled => "A meeting was cancelled (the request is back in review)",
        EventType::MessageAvailable => "The desk or a unit wrote to the citizen",
        EventType::ReferralAcknowledged => "A unit acknowledged a referral (`center` scope only)",
        EventType::ReferralAnswered => "A unit answered a referral (`center` scope only)",
        EventType::ReferralAccepted => "The desk accepted a unit's answer (`center` scope only)",
        EventType::ReferralReturned => {
            "The desk returned an answer for more work (`center` scope only)"
        }
        EventType::NotificationSent => "An SMS was handed to the provider (`center` scope only)",
        EventType::NotificationDelivered => {
            "The provider reported an SMS delivered (`center` scope only)"
        }
        EventType::NotificationFailed => "An SMS failed for good (`center` scope only)",
        EventType::WebhookDisabled => {
            "One of this portal's subscriptions was disabled after failing too often"
        }
    }
}

const DESCRIPTION: &str = "Sent by POST to each active subscription that asks for this type. Signed per the \
Standard Webhooks specification: `webhook-signature` is `v1,` and the base64 HMAC-SHA256, under the \
subscription's secret (the `whsec_…` value shown when it was created, prefix removed, base64-decoded), of \
`{webhook-id}.{webhook-timestamp}.{body}`. Refuse a timestamp more than five minutes from your clock, and \
dedupe by `webhook-id`: it is the same on every attempt, and an attempt may be repeated (a timeout after you \
answered, a worker that stopped). Answer 2xx within the timeout (10 s by default); anything else is retried \
with exponential backoff, and a run of failures disables the subscription. Redirects are not followed. The \
payload is the request's public view: no name, mobile, national ID, email or text; `tracking_code` only to \
the portal that filed the request.";

fn entry(event: EventType) -> Value {
    let schema = match event {
        EventType::WebhookDisabled => "#/components/schemas/DisabledWebhook",
        EventType::NotificationSent
        | EventType::NotificationDelivered
        | EventType::NotificationFailed => "#/components/schemas/NotificationWebhook",
        _ => "#/components/schemas/RequestWebhook",
    };
    let header = |name: &str, description: &str, example: &str| {
        json!({"name": name, "in": "header", "required": true, "description": description,
               "schema": {"type": "string"}, "example": example})
    };
    json!({
        "post": {
            "tags": ["webhooks"],
            "summary": summary(event),
            "description": DESCRIPTION,
            "operationId": format!("webhook_{}", event.as_str().replace('.', "_")),
            // The receiver's endpoint takes no credential of ours: it checks the signature.
            "security": [],
            "parameters": [
                header("webhook-id", "The delivery's id; the same on every attempt", "2d1f0c9e-8b7a-4c3d-9e1f-0a2b3c4d5e6f"),
                header("webhook-timestamp", "The attempt's Unix time, in seconds", "1764756900"),
                header("webhook-signature", "`v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="),
            ],
            "requestBody": {
                "required": true,
                "content": {"application/json": {"schema": {"$ref": schema}}}
            },
            "responses": {
                "2XX": {"description": "Received: not sent again"},
                "default": {"description": "Not received: retried with backoff"}
            }
        }
    })
}

/// Adds the `webhooks` section.
pub fn add(doc: OpenApi) -> OpenApi {
    let Ok(mut json) = serde_json::to_value(&doc) else {
        return doc;
    };
    let entries: serde_json::Map<String, Value> = EventType::ALL
        .into_iter()
        .map(|event| (event.as_str().to_owned(), entry(event)))
        .collect();
    if let Some(root) = json.as_object_mut() {
        root.insert("webhooks".to_owned(), Value::Object(entries));
    }
    serde_json::from_value(json).unwrap_or(doc)
}
