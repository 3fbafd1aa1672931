//! The retention sweep (`domain::retention`): each closed request is announced to its citizen
//! (the SMS `retention_notice`, through the outbox) a notice period before its retention ends,
//! and erased once both have passed — identity, own text, messages, comment, objection — in one
//! transaction per request, recorded in `request_erasures` and as a staff-only history event.
//! Walk-in and call contacts lose their name and number after the same period, and spent
//! one-time codes after a day. `plan` says what a sweep would do without doing it
//! (`mardom retention --dry-run`); `sweep` is the scheduler's job (`retention`, hourly).
//! Every write is guarded on what was read, so two instances sweeping at once do each thing once.

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::retention::{self as repo, ErasureRow};
use crate::db::{DbConnection, write_transaction};
use crate::domain::ids::RequestId;
use crate::domain::lifecycle::Template;
use crate::domain::request::ActorKind;
use crate::domain::retention::{Retention, Step};

use super::AppResult;
use super::deadlines::Rules;

/// Requests read at once.
const BATCH: i64 = 200;

/// One request the sweep owes a step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Due {
    pub request_id: String,
    pub tracking_code: String,
    pub closed_at: NaiveDateTime,
    /// `announce` or `erase`.
    pub step: &'static str,
    pub erase_on: Option<NaiveDateTime>,
}

/// What a sweep did, or (a plan) would do.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Swept {
    pub announced: Vec<Due>,
    pub erased: Vec<Due>,
    pub contacts_forgotten: usize,
    pub codes_forgotten: usize,
}

/// What a sweep at `now` would do, writing nothing.
pub fn plan(
    conn: &mut DbConnection,
    retention: &Retention,
    now: NaiveDateTime,
) -> AppResult<Swept> {
    let mut planned = Swept::default();
    each_due(conn, retention, now, |_, due| {
        match due.step {
            "erase" => planned.erased.push(due),
            _ => planned.announced.push(due),
        }
        Ok(())
    })?;
    Ok(planned)
}

/// Does what is owed at `now`.
pub fn sweep(
    conn: &mut DbConnection,
    (rules, retention): (&Rules, &Retention),
    now: NaiveDateTime,
) -> AppResult<Swept> {
    let mut swept = Swept::default();
    each_due(conn, retention, now, |conn, due| {
        let id = RequestId::stored(due.request_id.clone());
        let done = write_transaction(conn, |conn| match due.step {
            "erase" => erase(conn, rules, &id, now),
            _ => announce(conn, &id, &due, now),
        })?;
        if done {
            match due.step {
                "erase" => swept.erased.push(due),
                _ => swept.announced.push(due),
            }
        }
        Ok(())
    })?;
    let contacts_before = now
        .checked_sub_months(retention.keep)
        .unwrap_or(NaiveDateTime::MIN);
    swept.contacts_forgotten = repo::erase_contacts(conn, contacts_before)?;
    swept.codes_forgotten = repo::forget_codes(conn, now - TimeDelta::days(1))?;
    Ok(swept)
}

/// Calls `each` for every closed request owed a step at `now`, in batches.
fn each_due(
    conn: &mut DbConnection,
    retention: &Retention,
    now: NaiveDateTime,
    mut each: impl FnMut(&mut DbConnection, Due) -> AppResult<()>,
) -> AppResult<()> {
    let bound = retention.announce_closed_before(now);
    let mut after: Option<RequestId> = None;
    loop {
        let batch = repo::due(conn, bound, after.as_ref(), BATCH)?;
        let Some((last, _)) = batch.last() else {
            return Ok(());
        };
        after = Some(last.id.clone());
        for (request, erasure) in batch {
            let Some(closed_at) = request.closed_at else {
                continue;
            };
            let (step, erase_on) =
                match retention.step(closed_at, erasure.map(|e| e.noticed_at), now) {
                    Step::Keep | Step::Wait { .. } => continue,
                    Step::Announce { erase_on } => ("announce", Some(erase_on)),
                    Step::Erase => ("erase", None),
                };
            let due = Due {
                request_id: request.id.to_string(),
                tracking_code: request.tracking_code,
                closed_at,
                step,
                erase_on,
            };
            each(conn, due)?;
        }
    }
}

/// Records the announcement and enqueues its SMS (to the number as sealed); false if another
/// sweep announced it first.
fn announce(
    conn: &mut DbConnection,
    id: &RequestId,
    due: &Due,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let erase_on = due.erase_on.unwrap_or(now);
    let row = ErasureRow {
        request_id: id.clone(),
        noticed_at: now,
        erase_on,
        erased_at: None,
    };
    if !repo::announce(conn, &row)? {
        return Ok(false);
    }
    // The citizen reads the last day their details are kept.
    let until = erase_on - TimeDelta::seconds(1);
    let params = serde_json::json!({
        "tracking_code": due.tracking_code,
        "until": until.and_utc().to_rfc3339(),
    });
    let recipient = super::requests::recipient(conn, id)?;
    outbox::insert(
        conn,
        &NotificationRow::pending(
            Some(id.clone()),
            Template::RetentionNotice,
            &recipient,
            params.to_string(),
            // The outbox runs on the system clock (the dispatcher's).
            crate::db::now(),
        ),
    )?;
    Ok(true)
}

/// Erases one request and records it; false if another sweep came first.
fn erase(
    conn: &mut DbConnection,
    rules: &Rules,
    id: &RequestId,
    now: NaiveDateTime,
) -> AppResult<bool> {
    if !repo::mark_erased(conn, id, now)? {
        return Ok(false);
    }
    repo::erase_request(conn, id)?;
    let seq = crate::db::requests::next_seq(conn, id)?;
    let event = crate::db::requests::EventRow {
        id: crate::db::new_id(),
        request_id: id.clone(),
        seq,
        at: rules.now(),
        actor_kind: ActorKind::System,
        actor_id: None,
        action: "identity_erased".to_owned(),
        from_status: None,
        to_status: None,
        public: false,
        details: serde_json::json!({
            "erased": ["identity", "text", "citizen_messages", "rating_comment", "objection", "contacts"]
        })
        .to_string(),
    };
    crate::db::requests::insert_event(conn, &event)?;
    Ok(true)
}
