//! What a transition leaves behind beside the status: its event in the request's history and
//! the messages it sends (into the outbox, in the same transaction). Every change of a
//! request's state, registration included, writes these two through here; and the webhooks
//! announcing it (`app::webhooks::announce`; registration writes its own with the request).

use chrono::NaiveDateTime;

use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::requests::{self as repo, EventRow, RequestRow};
use crate::db::{self, DbConnection};
use crate::domain::ids::{RequestId, UserId};
use crate::domain::lifecycle::Transition;
use crate::domain::request::{ActorKind, Status};

use super::AppResult;
use super::requests::Event;

/// What one history event says happened: an action, the status before and after, and
/// whether the citizen sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub action: &'static str,
    pub from: Option<Status>,
    pub to: Status,
    pub public: bool,
}

impl Entry {
    /// The event of a request's transition.
    pub fn of(transition: &Transition) -> Self {
        Self {
            action: transition.action,
            from: transition.from,
            to: transition.to,
            public: transition.public,
        }
    }

    /// A staff-only event beside the request's status, which it does not change (a referral's
    /// step, for instance).
    pub fn beside(status: Status, action: &'static str) -> Self {
        Self {
            action,
            from: Some(status),
            to: status,
            public: false,
        }
    }
}

/// Appends one history event, next in the request's sequence.
pub(crate) fn record(
    conn: &mut DbConnection,
    request_id: &RequestId,
    entry: Entry,
    actor: (ActorKind, Option<UserId>),
    details: serde_json::Value,
    at: NaiveDateTime,
) -> AppResult<Event> {
    let seq = repo::next_seq(conn, request_id)?;
    let row = event_row(request_id, seq, entry, actor, details, at);
    repo::insert_event(conn, &row)?;
    super::webhooks::announce(
        conn,
        super::webhooks::Change {
            request_id,
            action: entry.action,
            from: entry.from,
            to: entry.to,
            public: entry.public,
            at,
        },
    )?;
    Ok(Event::try_from(row)?)
}

/// The stored row of a history event.
pub(crate) fn event_row(
    request_id: &RequestId,
    seq: i32,
    entry: Entry,
    (actor_kind, actor_id): (ActorKind, Option<UserId>),
    details: serde_json::Value,
    at: NaiveDateTime,
) -> EventRow {
    EventRow {
        id: db::new_id(),
        request_id: request_id.to_owned(),
        seq,
        at,
        actor_kind,
        actor_id,
        action: entry.action.to_owned(),
        from_status: entry.from,
        to_status: Some(entry.to),
        public: entry.public,
        details: details.to_string(),
    }
}

/// Writes the messages a transition sends, in the caller's transaction.
pub(crate) fn enqueue(
    conn: &mut DbConnection,
    request: &RequestRow,
    recipient: &str,
    transition: &Transition,
    extra: serde_json::Value,
    at: NaiveDateTime,
) -> AppResult<()> {
    for message in messages(request, recipient, transition, extra, at) {
        outbox::insert(conn, &message)?;
    }
    Ok(())
}

/// The messages a transition sends. Every message carries the tracking code; `extra` adds the
/// command's own parameters (unit name, meeting time…).
pub(crate) fn messages(
    request: &RequestRow,
    recipient: &str,
    transition: &Transition,
    extra: serde_json::Value,
    at: NaiveDateTime,
) -> Vec<NotificationRow> {
    let mut params = serde_json::json!({ "tracking_code": request.tracking_code });
    if let (Some(params), serde_json::Value::Object(extra)) = (params.as_object_mut(), extra) {
        params.extend(extra);
    }
    let params = params.to_string();
    transition
        .notify
        .iter()
        .map(|template| {
            NotificationRow::pending(
                Some(request.id.clone()),
                *template,
                recipient,
                params.clone(),
                at,
            )
        })
        .collect()
}
