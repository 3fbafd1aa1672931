//! Queries on `webhook_subscriptions` and `webhook_deliveries` (the webhooks' outbox): who
//! hears of an event, the deliveries a change writes in its own transaction, and the
//! dispatcher's side: claim under a lease, record the outcome, disable a subscription that
//! keeps failing. Every write after a claim is guarded by it (`claimed_by`, still pending),
//! so a worker whose lease ran out cannot overwrite what the new owner recorded.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::schema::{portals, webhook_deliveries, webhook_subscriptions};
use super::{DbConnection, write_transaction};
use crate::domain::ids::{PortalId, RequestId, SubscriptionId};
use crate::domain::webhook::{DeliveryState, EventType, type_pattern};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_subscriptions)]
#[diesel(treat_none_as_default_value = false)]
pub struct SubscriptionRow {
    pub id: SubscriptionId,
    pub portal_id: PortalId,
    pub url: String,
    /// `domain::webhook::stored_types`.
    pub events: String,
    /// The signing secret (`whsec_…`), sealed by the vault.
    pub secret: String,
    pub active: bool,
    /// Failed attempts in a row.
    pub failures: i32,
    pub disabled_at: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = webhook_deliveries)]
#[diesel(treat_none_as_default_value = false)]
pub struct DeliveryRow {
    /// The `webhook-id` (a UUID), the same on every attempt.
    pub id: String,
    pub subscription_id: SubscriptionId,
    pub event_type: EventType,
    pub request_id: Option<RequestId>,
    /// The JSON body, exactly as signed and sent.
    pub payload: String,
    pub status: DeliveryState,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub locked_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub last_error: Option<String>,
    /// The HTTP status of the last answer, if there was one.
    pub response_code: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

impl DeliveryRow {
    /// A delivery due now, not yet tried.
    pub fn pending(
        subscription_id: SubscriptionId,
        event_type: EventType,
        request_id: Option<RequestId>,
        payload: String,
        at: NaiveDateTime,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            subscription_id,
            event_type,
            request_id,
            payload,
            status: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: at,
            locked_until: None,
            claimed_by: None,
            last_error: None,
            response_code: None,
            created_at: at,
            updated_at: at,
            delivered_at: None,
        }
    }
}

/// An active subscription of an active portal that asks for an event type.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct Candidate {
    pub id: SubscriptionId,
    pub portal_id: PortalId,
    /// The portal's scopes as stored.
    pub scopes: String,
}

/// The active subscriptions (of active portals) asking for `event`.
pub fn candidates(conn: &mut DbConnection, event: EventType) -> QueryResult<Vec<Candidate>> {
    webhook_subscriptions::table
        .inner_join(portals::table)
        .filter(webhook_subscriptions::active.eq(true))
        .filter(portals::active.eq(true))
        .filter(webhook_subscriptions::events.like(type_pattern(event)))
        .select((
            webhook_subscriptions::id,
            webhook_subscriptions::portal_id,
            portals::scopes,
        ))
        .order(webhook_subscriptions::id.asc())
        .load(conn)
}

pub fn insert_subscription(conn: &mut DbConnection, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(webhook_subscriptions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// A portal's subscriptions (every portal's when `portal` is none), oldest first.
pub fn subscriptions(
    conn: &mut DbConnection,
    portal: Option<&PortalId>,
) -> QueryResult<Vec<SubscriptionRow>> {
    let mut query = webhook_subscriptions::table
        .select(SubscriptionRow::as_select())
        .order((
            webhook_subscriptions::created_at.asc(),
            webhook_subscriptions::id.asc(),
        ))
        .into_boxed();
    if let Some(portal) = portal {
        query = query.filter(webhook_subscriptions::portal_id.eq(portal));
    }
    query.load(conn)
}

pub fn find_subscription(
    conn: &mut DbConnection,
    id: &SubscriptionId,
) -> QueryResult<Option<SubscriptionRow>> {
    webhook_subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

/// Writes a subscription's changeable fields back.
pub fn update_subscription(conn: &mut DbConnection, row: &SubscriptionRow) -> QueryResult<usize> {
    diesel::update(webhook_subscriptions::table.find(&row.id))
        .set((
            webhook_subscriptions::url.eq(&row.url),
            webhook_subscriptions::events.eq(&row.events),
            webhook_subscriptions::active.eq(row.active),
            webhook_subscriptions::failures.eq(row.failures),
            webhook_subscriptions::disabled_at.eq(row.disabled_at),
            webhook_subscriptions::disabled_reason.eq(&row.disabled_reason),
            webhook_subscriptions::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

pub fn insert_deliveries(conn: &mut DbConnection, rows: &[DeliveryRow]) -> QueryResult<()> {
    // One statement per row: a multi-row insert is not portable over the two-backend
    // connection, and an event has a handful of subscribers at most.
    for row in rows {
        diesel::insert_into(webhook_deliveries::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// A subscription's deliveries, newest first, at most `limit`, optionally of one state.
pub fn deliveries(
    conn: &mut DbConnection,
    subscription: &SubscriptionId,
    state: Option<DeliveryState>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = webhook_deliveries::table
        .filter(webhook_deliveries::subscription_id.eq(subscription))
        .select(DeliveryRow::as_select())
        .order((
            webhook_deliveries::created_at.desc(),
            webhook_deliveries::id.desc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(state) = state {
        query = query.filter(webhook_deliveries::status.eq(state));
    }
    query.load(conn)
}

pub fn find_delivery(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table
        .find(id)
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// Makes a failed (or waiting) delivery due now with a fresh budget of attempts. A delivered
/// one is left alone (0 rows): the receiver has it.
pub fn retry_delivery(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::status.ne(DeliveryState::Delivered)),
    )
    .set((
        webhook_deliveries::status.eq(DeliveryState::Pending),
        webhook_deliveries::attempts.eq(0),
        webhook_deliveries::next_attempt_at.eq(now),
        webhook_deliveries::updated_at.eq(now),
    ))
    .execute(conn)
}

/// A claimed delivery with where it goes.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery: DeliveryRow,
    pub url: String,
    /// Sealed.
    pub secret: String,
}

#[derive(QueryableByName)]
struct Due {
    #[diesel(sql_type = Text)]
    id: String,
}

/// Claims up to `limit` due deliveries of active subscriptions for `worker` until
/// `lease_until`, counting the attempt. PostgreSQL skips rows another claim holds (`FOR
/// UPDATE SKIP LOCKED`); SQLite serialises claims under `BEGIN IMMEDIATE`.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    write_transaction(conn, |conn| {
        let lock = match conn {
            DbConnection::Postgresql(_) => "FOR UPDATE OF d SKIP LOCKED",
            DbConnection::Sqlite(_) => "",
        };
        let pending = DeliveryState::Pending;
        let due: Vec<Due> = diesel::sql_query(format!(
            "SELECT d.id FROM webhook_deliveries d \
             JOIN webhook_subscriptions s ON s.id = d.subscription_id \
             WHERE d.status = '{pending}' AND d.next_attempt_at <= $1 \
               AND (d.locked_until IS NULL OR d.locked_until < $1) AND s.active \
             ORDER BY d.next_attempt_at, d.id LIMIT $2 {lock}"
        ))
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
        if due.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = due.into_iter().map(|d| d.id).collect();
        diesel::update(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
            .set((
                webhook_deliveries::claimed_by.eq(worker),
                webhook_deliveries::locked_until.eq(lease_until),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::updated_at.eq(now),
            ))
            .execute(conn)?;
        let rows: Vec<(DeliveryRow, String, String)> = webhook_deliveries::table
            .inner_join(webhook_subscriptions::table)
            .filter(webhook_deliveries::id.eq_any(&ids))
            .select((
                DeliveryRow::as_select(),
                webhook_subscriptions::url,
                webhook_subscriptions::secret,
            ))
            .order((
                webhook_deliveries::next_attempt_at.asc(),
                webhook_deliveries::id.asc(),
            ))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(delivery, url, secret)| Claimed {
                delivery,
                url,
                secret,
            })
            .collect())
    })
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered { code: i32 },
    /// Try again at `at`.
    RetryAt {
        at: NaiveDateTime,
        error: String,
        code: Option<i32>,
    },
    /// Given up.
    Failed { error: String, code: Option<i32> },
}

/// What recording an outcome did.
#[derive(Debug, Clone, Default)]
pub struct Recorded {
    /// False when this worker no longer held the delivery (nothing written).
    pub recorded: bool,
    /// The subscription, if this failure was the one that disabled it.
    pub disabled: Option<SubscriptionRow>,
}

/// Records `outcome` of the delivery `id` if `worker` still holds it, and counts it on its
/// subscription: a success clears the run of failures; a failure adds to it, and the
/// `disable_after`-th in a row disables the subscription, writing `announce(subscription)`'s
/// deliveries (the portal told) in the same transaction.
pub fn record(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    outcome: &Outcome,
    now: NaiveDateTime,
    disable_after: i32,
    announce: &dyn Fn(&mut DbConnection, &SubscriptionRow) -> QueryResult<Vec<DeliveryRow>>,
) -> QueryResult<Recorded> {
    write_transaction(conn, |conn| {
        let held = webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::claimed_by.eq(worker))
            .filter(webhook_deliveries::status.eq(DeliveryState::Pending));
        let (status, next, error, code, delivered_at) = match outcome {
            Outcome::Delivered { code } => {
                (DeliveryState::Delivered, None, None, Some(*code), Some(now))
            }
            Outcome::RetryAt { at, error, code } => (
                DeliveryState::Pending,
                Some(*at),
                Some(error.clone()),
                *code,
                None,
            ),
            Outcome::Failed { error, code } => (
                DeliveryState::Failed,
                None,
                Some(error.clone()),
                *code,
                None,
            ),
        };
        // A success keeps the last failure's error: the log shows why it took several tries.
        let written = diesel::update(held)
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::next_attempt_at.eq(next.unwrap_or(now)),
                webhook_deliveries::locked_until.eq(None::<NaiveDateTime>),
                webhook_deliveries::response_code.eq(code),
                webhook_deliveries::delivered_at.eq(delivered_at),
                webhook_deliveries::updated_at.eq(now),
            ))
            .execute(conn)?;
        if written > 0 && error.is_some() {
            diesel::update(webhook_deliveries::table.find(id))
                .set(webhook_deliveries::last_error.eq(error))
                .execute(conn)?;
        }
        if written == 0 {
            return Ok(Recorded::default());
        }
        let subscription: SubscriptionId = webhook_deliveries::table
            .find(id)
            .select(webhook_deliveries::subscription_id)
            .first(conn)?;
        let disabled = count_on(conn, &subscription, outcome, now, disable_after)?;
        if let Some(row) = &disabled {
            let told = announce(conn, row)?;
            insert_deliveries(conn, &told)?;
        }
        Ok(Recorded {
            recorded: true,
            disabled,
        })
    })
}

/// Counts an outcome on its subscription: a success clears the run of failures; a failure adds
/// to it, and the `disable_after`-th in a row disables it (answered, to be announced).
fn count_on(
    conn: &mut DbConnection,
    subscription: &SubscriptionId,
    outcome: &Outcome,
    now: NaiveDateTime,
    disable_after: i32,
) -> QueryResult<Option<SubscriptionRow>> {
    let target = webhook_subscriptions::table.find(subscription);
    let error = match outcome {
        Outcome::Delivered { .. } => {
            diesel::update(target)
                .set(webhook_subscriptions::failures.eq(0))
                .execute(conn)?;
            return Ok(None);
        }
        Outcome::RetryAt { error, .. } | Outcome::Failed { error, .. } => error,
    };
    diesel::update(target)
        .set(webhook_subscriptions::failures.eq(webhook_subscriptions::failures + 1))
        .execute(conn)?;
    let reason = format!("{disable_after} failed attempts in a row; last: {error}");
    let disabling = diesel::update(
        target
            .filter(webhook_subscriptions::active.eq(true))
            .filter(webhook_subscriptions::failures.ge(disable_after.max(1))),
    )
    .set((
        webhook_subscriptions::active.eq(false),
        webhook_subscriptions::disabled_at.eq(now),
        webhook_subscriptions::disabled_reason.eq(reason),
        webhook_subscriptions::updated_at.eq(now),
    ))
    .execute(conn)?;
    match disabling {
        0 => Ok(None),
        _ => find_subscription(conn, subscription),
    }
}

/// Writes the `notification.*` deliveries of a message's new `status` (sent, delivered,
/// failed) to the Center's own systems, in the caller's transaction. One query when nobody
/// listens.
pub fn announce_notification(
    conn: &mut DbConnection,
    id: &crate::domain::ids::NotificationId,
    status: crate::domain::notification::NotificationStatus,
    now: NaiveDateTime,
) -> QueryResult<()> {
    use super::schema::notifications;
    use crate::domain::notification::NotificationStatus;
    use crate::domain::portal::Scopes;
    use crate::domain::webhook::payload::{NotificationChange, NotificationWebhook};
    let event = match status {
        NotificationStatus::Sent => EventType::NotificationSent,
        NotificationStatus::Delivered => EventType::NotificationDelivered,
        NotificationStatus::Failed => EventType::NotificationFailed,
        _ => return Ok(()),
    };
    let listening: Vec<Candidate> = candidates(conn, event)?
        .into_iter()
        .filter(|c| {
            event
                .audience()
                .hears(false, &Scopes::from_stored(&c.scopes))
        })
        .collect();
    if listening.is_empty() {
        return Ok(());
    }
    let (request_id, template): (Option<RequestId>, String) = notifications::table
        .find(id)
        .select((notifications::request_id, notifications::template))
        .first(conn)?;
    let body = NotificationWebhook {
        event_type: event,
        timestamp: now.and_utc(),
        data: NotificationChange {
            notification_id: id.to_string(),
            request_id: request_id.as_ref().map(ToString::to_string),
            template,
            status: status.as_str().to_owned(),
            at: now.and_utc(),
        },
    };
    let payload = serde_json::to_string(&body).unwrap_or_default();
    let rows: Vec<DeliveryRow> = listening
        .into_iter()
        .map(|c| DeliveryRow::pending(c.id, event, request_id.clone(), payload.clone(), now))
        .collect();
    insert_deliveries(conn, &rows)
}
