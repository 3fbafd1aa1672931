//! `webhooks`: a portal's subscriptions (kept by an admin; read by the portal itself), their
//! delivery log and its retry. The secret that signs a subscription's deliveries is in the
//! answer that creates it and never again.

use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::error::{ApiError, Problem};
use super::json::ValidJson;
use super::portal_key::PortalCaller;
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::webhooks::{self, Delivery, Subscription, SubscriptionChanges};
use crate::domain::Role;
use crate::domain::ids::{PortalId, SubscriptionId};
use crate::domain::portal::Scope;
use crate::domain::webhook::{DeliveryState, EventType};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "5b1e9c1a-3f53-4c1e-8f0a-54a1c3d2e9b7", "portal_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10",
    "url": "https://portal.example/hooks/mardom", "events": ["request.registered", "request.closed"],
    "active": true, "failures": 0, "disabled_at": null, "disabled_reason": null,
    "created_at": "2026-12-03T08:30:00Z", "updated_at": "2026-12-03T08:30:00Z"
}))]
pub struct SubscriptionView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub portal_id: String,
    pub url: String,
    pub events: Vec<EventType>,
    /// Off when an admin turned it off, or when it failed `MARDOM_WEBHOOK_DISABLE_AFTER`
    /// attempts in a row (then `disabled_at` and `disabled_reason` say when and why).
    pub active: bool,
    /// Failed attempts in a row.
    pub failures: i32,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<Subscription> for SubscriptionView {
    fn from(s: Subscription) -> Self {
        Self {
            id: s.id.into(),
            portal_id: s.portal_id.into(),
            url: s.url,
            events: s.events,
            active: s.active,
            failures: s.failures,
            disabled_at: s.disabled_at.map(utc),
            disabled_reason: s.disabled_reason,
            created_at: utc(s.created_at),
            updated_at: utc(s.updated_at),
        }
    }
}

/// A subscription with its signing secret: the only answer that shows the secret.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "subscription": {"id": "5b1e9c1a-3f53-4c1e-8f0a-54a1c3d2e9b7", "portal_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10",
        "url": "https://portal.example/hooks/mardom", "events": ["request.registered"], "active": true, "failures": 0,
        "disabled_at": null, "disabled_reason": null, "created_at": "2026-12-03T08:30:00Z", "updated_at": "2026-12-03T08:30:00Z"},
    "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwXq3v9aK2m0pL"
}))]
pub struct CreatedSubscription {
    pub subscription: SubscriptionView,
    /// The Standard Webhooks signing secret (`whsec_` and base64): verify each delivery's
    /// `webhook-signature` with it, exactly as shown here, with any Standard Webhooks library.
    pub secret: String,
}

#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"portal_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "url": "https://portal.example/hooks/mardom", "events": ["request.registered", "request.status_changed", "request.closed"]}))]
pub struct NewSubscriptionBody {
    /// The portal that hears; it must hold the `webhooks` scope.
    pub portal_id: Uuid,
    /// `https` (plain `http` only to an allowlisted receiver). Every address the host resolves
    /// to must be public unless `MARDOM_WEBHOOK_ALLOW` names it.
    #[schema(max_length = 2000)]
    pub url: String,
    /// At least one; the `referral.*` types need the portal's `center` scope.
    pub events: Vec<EventType>,
}

/// A change to a subscription; absent fields stay. `active: true` turns a disabled one on
/// again, its run of failures cleared.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"active": true}))]
pub struct SubscriptionPatch {
    #[schema(max_length = 2000)]
    pub url: Option<String>,
    pub events: Option<Vec<EventType>>,
    pub active: Option<bool>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionView>,
}

/// One event sent (or to be sent) to one subscription.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "2d1f0c9e-8b7a-4c3d-9e1f-0a2b3c4d5e6f", "event_type": "request.closed",
    "request_id": "6f9619ff-8b86-d011-b42d-00cf4fc964ff", "status": "pending", "attempts": 3,
    "next_attempt_at": "2026-12-03T09:01:20Z", "last_error": "HTTP 503: upstream unavailable",
    "response_code": 503, "created_at": "2026-12-03T09:00:00Z", "delivered_at": null,
    "payload": {"type": "request.closed", "timestamp": "2026-12-03T09:00:00Z", "data": {}}
}))]
pub struct DeliveryView {
    /// The `webhook-id` header: the same on every attempt.
    #[schema(format = Uuid)]
    pub id: String,
    pub event_type: EventType,
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    pub status: DeliveryState,
    pub attempts: i32,
    /// When it is tried next (while `pending`).
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed: the answer's status and its first bytes, or the
    /// connection's error.
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if any.
    pub response_code: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body, exactly as signed and sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

impl From<Delivery> for DeliveryView {
    fn from(row: Delivery) -> Self {
        Self {
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            id: row.id,
            event_type: row.event_type,
            request_id: row.request_id.map(Into::into),
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: utc(row.next_attempt_at),
            last_error: row.last_error,
            response_code: row.response_code,
            created_at: utc(row.created_at),
            delivered_at: row.delivered_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryList {
    pub items: Vec<DeliveryView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub status: Option<DeliveryState>,
    /// 1 to 200; 50 by default.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

const ADMIN: &[Role] = &[Role::Admin];

/// Subscribe a portal to events (admin).
///
/// The URL is checked before anything is stored: its host is resolved (no connection is made)
/// and every address must be public, unless allowlisted — loopback, private, link-local (cloud
/// metadata), shared and reserved addresses are 422 `address_refused` on `url`. Deliveries
/// are checked again on every connection, follow no redirect, and read at most 4 KiB of an
/// answer.
#[utoipa::path(
    tag = "webhooks", security(("bearer" = [])), request_body = NewSubscriptionBody,
    responses(
        (status = 201, description = "Subscribed; the secret is in this answer only", body = CreatedSubscription),
        (status = 404, description = "No such portal", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The portal lacks the `webhooks` scope (`portal-lacks-scope`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks")]
pub async fn subscribe(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<NewSubscriptionBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let body = body.into_inner()?;
    let portal: PortalId = body.portal_id.into();
    let (allow, vault) = (state.webhook_allow.clone(), state.vault());
    let (subscription, secret) = state
        .db(move |conn| {
            let target = webhooks::check_target(&body.url, &allow)?;
            webhooks::subscribe(conn, &vault, &portal, &target, &body.events)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/webhooks/{}", subscription.id),
        ))
        .json(CreatedSubscription {
            subscription: SubscriptionView::from(subscription),
            secret,
        }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SubscriptionQuery {
    /// Only this portal's subscriptions.
    pub portal_id: Option<Uuid>,
}

/// Subscriptions, oldest first: every portal's, or one's (admin).
#[utoipa::path(
    tag = "webhooks", security(("bearer" = [])), params(SubscriptionQuery),
    responses((status = 200, description = "The subscriptions, oldest first", body = SubscriptionList))
)]
#[get("/webhooks")]
pub async fn list_subscriptions(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<SubscriptionQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let portal: Option<PortalId> = query.into_inner().portal_id.map(Into::into);
    let found = state
        .db(move |conn| webhooks::subscriptions(conn, portal.as_ref()))
        .await?;
    Ok(list(found))
}

fn list(found: Vec<Subscription>) -> HttpResponse {
    HttpResponse::Ok().json(SubscriptionList {
        items: found.into_iter().map(SubscriptionView::from).collect(),
    })
}

/// Read one subscription (admin).
#[utoipa::path(
    tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The subscription's id")),
    responses(
        (status = 200, description = "The subscription", body = SubscriptionView),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}")]
pub async fn get_subscription(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id: SubscriptionId = id.into_inner().into();
    let found = state
        .db(move |conn| webhooks::subscription(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(SubscriptionView::from(found)))
}

/// Change a subscription: its URL, its events, on or off (admin).
#[utoipa::path(
    tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The subscription's id")),
    request_body = SubscriptionPatch,
    responses(
        (status = 200, description = "The changed subscription", body = SubscriptionView),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/webhooks/{id}")]
pub async fn update_subscription(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<SubscriptionPatch>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let id: SubscriptionId = id.into_inner().into();
    let body = body.into_inner()?;
    let allow = state.webhook_allow.clone();
    let changed = state
        .db(move |conn| {
            let target = body
                .url
                .as_deref()
                .map(|url| webhooks::check_target(url, &allow))
                .transpose()?;
            let changes = SubscriptionChanges {
                target,
                events: body.events,
                active: body.active,
            };
            webhooks::update_subscription(conn, &id, changes)
        })
        .await?;
    Ok(HttpResponse::Ok().json(SubscriptionView::from(changed)))
}

/// A subscription's delivery log, newest first (admin).
#[utoipa::path(
    tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The subscription's id"), DeliveryQuery),
    responses(
        (status = 200, description = "Its deliveries", body = DeliveryList),
        (status = 404, description = "No such subscription", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` is not 1 to 200", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    log(&state, id.into_inner().into(), None, query.into_inner()).await
}

/// Send a delivery again now, with a fresh budget of attempts (admin). One the receiver
/// answered with 2xx is 409.
#[utoipa::path(
    tag = "webhooks", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The subscription's id"), ("delivery" = Uuid, Path, description = "The delivery's id (its `webhook-id`)")),
    responses(
        (status = 200, description = "Due again now", body = DeliveryView),
        (status = 404, description = "No such delivery of this subscription", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Delivered already (`delivered-already`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/webhooks/{id}/deliveries/{delivery}/retry")]
pub async fn retry(
    state: web::Data<AppState>,
    staff: Staff,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    staff.require(ADMIN)?;
    let (id, delivery) = path.into_inner();
    retried(&state, id.into(), None, delivery.to_string()).await
}

/// The calling portal's own subscriptions (portal key, `webhooks` scope): how a portal sees
/// that one was disabled, and why.
#[utoipa::path(
    tag = "webhooks", security(("portal" = [])),
    responses((status = 200, description = "Its subscriptions, oldest first", body = SubscriptionList))
)]
#[get("/portal/webhooks")]
pub async fn own_subscriptions(
    state: web::Data<AppState>,
    portal: PortalCaller,
) -> Result<HttpResponse, ApiError> {
    portal.require(Scope::Webhooks)?;
    let id = portal.0.id.clone();
    let found = state
        .db(move |conn| webhooks::subscriptions(conn, Some(&id)))
        .await?;
    Ok(list(found))
}

/// The delivery log of one of the calling portal's subscriptions (portal key).
#[utoipa::path(
    tag = "webhooks", security(("portal" = [])),
    params(("id" = Uuid, Path, description = "The subscription's id"), DeliveryQuery),
    responses(
        (status = 200, description = "Its deliveries, newest first", body = DeliveryList),
        (status = 404, description = "No such subscription of this portal", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` is not 1 to 200", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/portal/webhooks/{id}/deliveries")]
pub async fn own_deliveries(
    state: web::Data<AppState>,
    portal: PortalCaller,
    id: web::Path<Uuid>,
    query: web::Query<DeliveryQuery>,
) -> Result<HttpResponse, ApiError> {
    portal.require(Scope::Webhooks)?;
    log(
        &state,
        id.into_inner().into(),
        Some(portal.0.id),
        query.into_inner(),
    )
    .await
}

/// Send one of the calling portal's deliveries again now (portal key).
#[utoipa::path(
    tag = "webhooks", security(("portal" = [])),
    params(("id" = Uuid, Path, description = "The subscription's id"), ("delivery" = Uuid, Path, description = "The delivery's id (its `webhook-id`)")),
    responses(
        (status = 200, description = "Due again now", body = DeliveryView),
        (status = 404, description = "No such delivery of this portal's subscription", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Delivered already (`delivered-already`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/portal/webhooks/{id}/deliveries/{delivery}/retry")]
pub async fn own_retry(
    state: web::Data<AppState>,
    portal: PortalCaller,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    portal.require(Scope::Webhooks)?;
    let (id, delivery) = path.into_inner();
    retried(&state, id.into(), Some(portal.0.id), delivery.to_string()).await
}

/// A subscription's log, for an admin (`owner` none) or for its own portal.
async fn log(
    state: &AppState,
    id: SubscriptionId,
    owner: Option<PortalId>,
    query: DeliveryQuery,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation(vec![crate::domain::FieldError::new(
            "limit", "range", "1 to 200",
        )]));
    }
    let rows = state
        .db(move |conn| {
            owned(conn, &id, owner.as_ref())?;
            webhooks::deliveries(conn, &id, query.status, limit)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryList {
        items: rows.into_iter().map(DeliveryView::from).collect(),
    }))
}

async fn retried(
    state: &AppState,
    id: SubscriptionId,
    owner: Option<PortalId>,
    delivery: String,
) -> Result<HttpResponse, ApiError> {
    let row = state
        .db(move |conn| {
            owned(conn, &id, owner.as_ref())?;
            webhooks::retry(conn, &id, &delivery)
        })
        .await?;
    Ok(HttpResponse::Ok().json(DeliveryView::from(row)))
}

/// 404 unless the subscription exists and, for a portal, is its own.
fn owned(
    conn: &mut crate::app::store::Conn,
    id: &SubscriptionId,
    owner: Option<&PortalId>,
) -> crate::app::AppResult<()> {
    let subscription = webhooks::subscription(conn, id)?;
    match owner {
        Some(owner) if &subscription.portal_id != owner => {
            Err(crate::app::AppError::NotFound("subscription"))
        }
        _ => Ok(()),
    }
}
