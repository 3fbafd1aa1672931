//! Webhook subscriptions and the events they hear: subscribing (the target checked against
//! the SSRF rules, the secret shown once), the delivery log and its retry, and `announce`,
//! which every change of a request calls in its own transaction so that its deliveries are
//! committed with it or not at all.

use std::net::{IpAddr, ToSocketAddrs};

use chrono::NaiveDateTime;

use super::{AppError, AppResult};
use crate::db::portals as portal_repo;
use crate::db::public_view;
use crate::db::requests::{self as requests_repo, RequestRow};
use crate::db::webhooks::{self as repo, DeliveryRow, SubscriptionRow};
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::ids::{PortalId, RequestId, SubscriptionId};
use crate::domain::portal::{Scope, Scopes};
use crate::domain::request::Status;
use crate::domain::webhook::payload::{self, Snapshot};
use crate::domain::webhook::target::{Allowlist, BadUrl, TargetUrl, check};
use crate::domain::webhook::{
    Audience, DeliveryState, EventType, event_of, stored_types, types_from_stored,
};
use crate::vault::{Field, Vault};

/// A subscription as shown (never its secret after the first answer).
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub portal_id: PortalId,
    pub url: String,
    pub events: Vec<EventType>,
    pub active: bool,
    pub failures: i32,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<SubscriptionRow> for Subscription {
    fn from(row: SubscriptionRow) -> Self {
        Self {
            events: types_from_stored(&row.events),
            id: row.id,
            portal_id: row.portal_id,
            url: row.url,
            active: row.active,
            failures: row.failures,
            disabled_at: row.disabled_at,
            disabled_reason: row.disabled_reason,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// One delivery as its log shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: String,
    pub event_type: EventType,
    pub request_id: Option<RequestId>,
    pub status: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub response_code: Option<i32>,
    pub created_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
    /// The JSON body, as signed and sent.
    pub payload: String,
}

impl From<DeliveryRow> for Delivery {
    fn from(row: DeliveryRow) -> Self {
        Self {
            id: row.id,
            event_type: row.event_type,
            request_id: row.request_id,
            status: row.status,
            attempts: row.attempts,
            next_attempt_at: row.next_attempt_at,
            last_error: row.last_error,
            response_code: row.response_code,
            created_at: row.created_at,
            delivered_at: row.delivered_at,
            payload: row.payload,
        }
    }
}

/// Checks a subscription's URL: its form, then every address its host resolves to (a
/// literal address as it is), against the SSRF rules. Resolving is the only I/O: no
/// connection is made to the target. Refusals are 422 naming `url`.
pub fn check_target(text: &str, allow: &Allowlist) -> AppResult<TargetUrl> {
    let target = TargetUrl::parse(text).map_err(|error| {
        let code = match error {
            BadUrl::Scheme => "scheme",
            BadUrl::Credentials => "credentials",
            BadUrl::TooLong => "length",
            BadUrl::Unparsable | BadUrl::NoHost => "format",
        };
        AppError::invalid("url", code, error.to_string())
    })?;
    let addresses: Vec<IpAddr> = match target.literal_address() {
        Some(ip) => vec![ip],
        None => {
            let host = target.url.host_str().unwrap_or_default().to_owned();
            let port = target.url.port_or_known_default().unwrap_or(443);
            (host.as_str(), port)
                .to_socket_addrs()
                .map_err(|e| AppError::invalid("url", "unresolvable", format!("{host}: {e}")))?
                .map(|a| a.ip())
                .collect()
        }
    };
    if addresses.is_empty() {
        return Err(AppError::invalid(
            "url",
            "unresolvable",
            "the host has no address",
        ));
    }
    for ip in &addresses {
        check(*ip, allow).map_err(|refused| {
            AppError::invalid(
                "url",
                "address_refused",
                format!("{refused}: webhooks go to public addresses only"),
            )
        })?;
    }
    if !target.plain_http_allowed(&addresses, allow) {
        return Err(AppError::invalid(
            "url",
            "scheme",
            "plain http is for allowlisted receivers only; use https",
        ));
    }
    Ok(target)
}

/// A new signing secret in the Standard Webhooks form: `whsec_` and 32 random bytes, base64.
fn new_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn check_events(events: &[EventType], scopes: &Scopes) -> AppResult<()> {
    if events.is_empty() {
        return Err(AppError::invalid(
            "events",
            "empty",
            "name at least one event type",
        ));
    }
    if let Some(center) = events
        .iter()
        .find(|e| e.audience() == Audience::Center && !scopes.has(Scope::Center))
    {
        return Err(AppError::invalid(
            "events",
            "scope",
            format!("{} is for portals with the `center` scope", center.as_str()),
        ));
    }
    Ok(())
}

/// Subscribes `portal` (which must hold the `webhooks` scope) to `events` at `target`.
/// Answers the subscription and its secret, which is shown this once.
pub fn subscribe(
    conn: &mut DbConnection,
    vault: &Vault,
    portal: &PortalId,
    target: &TargetUrl,
    events: &[EventType],
) -> AppResult<(Subscription, String)> {
    write_transaction(conn, |conn| {
        let owner = portal_repo::find(conn, portal)?.ok_or(AppError::NotFound("portal"))?;
        let scopes = Scopes::from_stored(&owner.scopes);
        if !scopes.has(Scope::Webhooks) {
            return Err(AppError::conflict(
                "portal-lacks-scope",
                "the portal does not hold the `webhooks` scope",
            ));
        }
        check_events(events, &scopes)?;
        let secret = new_secret();
        let now = db::now();
        let row = SubscriptionRow {
            id: SubscriptionId::generate(),
            portal_id: portal.clone(),
            url: target.url.to_string(),
            events: stored_types(events),
            secret: vault.seal(Field::WebhookSecret, &secret),
            active: true,
            failures: 0,
            disabled_at: None,
            disabled_reason: None,
            created_at: now,
            updated_at: now,
        };
        repo::insert_subscription(conn, &row)?;
        Ok((Subscription::from(row), secret))
    })
}

pub fn subscriptions(
    conn: &mut DbConnection,
    portal: Option<&PortalId>,
) -> AppResult<Vec<Subscription>> {
    Ok(repo::subscriptions(conn, portal)?
        .into_iter()
        .map(Subscription::from)
        .collect())
}

pub fn subscription(conn: &mut DbConnection, id: &SubscriptionId) -> AppResult<Subscription> {
    repo::find_subscription(conn, id)?
        .map(Subscription::from)
        .ok_or(AppError::NotFound("subscription"))
}

/// A change to a subscription; what is absent stays. Turning it on again clears its run of
/// failures and why it was disabled.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionChanges {
    pub target: Option<TargetUrl>,
    pub events: Option<Vec<EventType>>,
    pub active: Option<bool>,
}

pub fn update_subscription(
    conn: &mut DbConnection,
    id: &SubscriptionId,
    changes: SubscriptionChanges,
) -> AppResult<Subscription> {
    write_transaction(conn, |conn| {
        let mut row =
            repo::find_subscription(conn, id)?.ok_or(AppError::NotFound("subscription"))?;
        if let Some(events) = &changes.events {
            let owner =
                portal_repo::find(conn, &row.portal_id)?.ok_or(AppError::NotFound("portal"))?;
            check_events(events, &Scopes::from_stored(&owner.scopes))?;
            row.events = stored_types(events);
        }
        if let Some(target) = &changes.target {
            row.url = target.url.to_string();
        }
        match changes.active {
            Some(true) if !row.active => {
                row.active = true;
                row.failures = 0;
                row.disabled_at = None;
                row.disabled_reason = None;
            }
            Some(false) => row.active = false,
            _ => {}
        }
        row.updated_at = db::now();
        repo::update_subscription(conn, &row)?;
        Ok(Subscription::from(row))
    })
}

/// A subscription's delivery log, newest first.
pub fn deliveries(
    conn: &mut DbConnection,
    id: &SubscriptionId,
    state: Option<DeliveryState>,
    limit: i64,
) -> AppResult<Vec<Delivery>> {
    repo::find_subscription(conn, id)?.ok_or(AppError::NotFound("subscription"))?;
    Ok(repo::deliveries(conn, id, state, limit)?
        .into_iter()
        .map(Delivery::from)
        .collect())
}

/// Makes a delivery of `subscription` due again now; one that was delivered is 409.
pub fn retry(
    conn: &mut DbConnection,
    subscription: &SubscriptionId,
    delivery: &str,
) -> AppResult<Delivery> {
    write_transaction(conn, |conn| {
        let row = repo::find_delivery(conn, delivery)?
            .filter(|row| &row.subscription_id == subscription)
            .ok_or(AppError::NotFound("delivery"))?;
        if row.status == DeliveryState::Delivered {
            return Err(AppError::conflict(
                "delivered-already",
                "the receiver answered this delivery with 2xx; it is not sent again",
            ));
        }
        repo::retry_delivery(conn, delivery, db::now())?;
        repo::find_delivery(conn, delivery)?
            .map(Delivery::from)
            .ok_or(AppError::NotFound("delivery"))
    })
}

/// Who of `candidates` hears of an event of `audience` about a request filed by `filer`,
/// and whether each is that filer.
fn receivers(
    candidates: Vec<repo::Candidate>,
    audience: Audience,
    filer: Option<&PortalId>,
) -> Vec<(SubscriptionId, bool)> {
    candidates
        .into_iter()
        .filter_map(|c| {
            let is_filer = Some(&c.portal_id) == filer;
            audience
                .hears(is_filer, &Scopes::from_stored(&c.scopes))
                .then_some((c.id, is_filer))
        })
        .collect()
}

/// One change of a request, as its history entry records it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Change<'a> {
    pub request_id: &'a RequestId,
    pub action: &'a str,
    pub from: Option<Status>,
    pub to: Status,
    pub public: bool,
    pub at: NaiveDateTime,
}

/// Writes the deliveries of one change of a request, in the caller's transaction: one per
/// subscription that hears of it. Costs one query when nobody does.
pub(crate) fn announce(conn: &mut DbConnection, change: Change<'_>) -> AppResult<()> {
    let Some(event) = event_of(change.action, change.from, change.to, change.public) else {
        return Ok(());
    };
    let candidates = repo::candidates(conn, event)?;
    if candidates.is_empty() {
        return Ok(());
    }
    let filer = portal_repo::filer_of(conn, change.request_id)?;
    let receivers = receivers(candidates, event.audience(), filer.as_ref());
    if receivers.is_empty() {
        return Ok(());
    }
    let request =
        requests_repo::find(conn, change.request_id)?.ok_or(AppError::NotFound("request"))?;
    let view = public_view::of_request(conn, request)?;
    let snapshot = snapshot_of(&view.request, view.unit_names, view.meeting_at);
    let rows = deliveries_for(
        event,
        change.action,
        change.from,
        &snapshot,
        change.at,
        &receivers,
    );
    repo::insert_deliveries(conn, &rows)?;
    Ok(())
}

/// The deliveries announcing a request being registered (written with it: the request is not
/// in the database yet when they are made).
pub(crate) fn for_registration(
    conn: &mut DbConnection,
    request: &RequestRow,
    filer: Option<&PortalId>,
) -> AppResult<Vec<DeliveryRow>> {
    let event = EventType::RequestRegistered;
    let candidates = repo::candidates(conn, event)?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let receivers = receivers(candidates, event.audience(), filer);
    let snapshot = snapshot_of(request, Vec::new(), None);
    Ok(deliveries_for(
        event,
        "registered",
        None,
        &snapshot,
        request.created_at,
        &receivers,
    ))
}

fn snapshot_of(
    request: &RequestRow,
    referred_to: Vec<String>,
    meeting_at: Option<NaiveDateTime>,
) -> Snapshot<'_> {
    Snapshot {
        request_id: request.id.as_str(),
        tracking_code: &request.tracking_code,
        status: request.status,
        resolution: request.resolution,
        kind: request.kind,
        channel: request.channel,
        referred_to,
        meeting_at,
        submitted_at: request.created_at,
    }
}

fn deliveries_for(
    event: EventType,
    action: &str,
    from: Option<Status>,
    snapshot: &Snapshot<'_>,
    at: NaiveDateTime,
    receivers: &[(SubscriptionId, bool)],
) -> Vec<DeliveryRow> {
    let request_id = RequestId::stored(snapshot.request_id.to_owned());
    receivers
        .iter()
        .map(|(subscription, filer)| {
            let body = payload::request_event(event, action, from, snapshot, at, *filer);
            DeliveryRow::pending(
                subscription.clone(),
                event,
                Some(request_id.clone()),
                serde_json::to_string(&body).unwrap_or_default(),
                at,
            )
        })
        .collect()
}
