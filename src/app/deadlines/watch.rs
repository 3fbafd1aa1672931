//! The scheduler's deadline watch: every open deadline whose stage has come is moved on and
//! announced, once. The stage moves by a guarded update (from the stage read) in the same
//! transaction as the inbox lines and the history event, so an instance that loses the race,
//! or a run repeated after a crash, announces nothing a second time.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Duration, NaiveDateTime};

use crate::db::deadlines::{self as repo, DeadlineRow};
use crate::db::inbox::StaffNotificationRow;
use crate::db::{DbConnection, referrals, requests, units, users, write_transaction};
use crate::domain::Role;
use crate::domain::calendar::{Span, shown_due};
use crate::domain::deadline::{self, Audience, Clock, Stage};
use crate::domain::ids::{DeadlineId, RequestId, StaffNotificationId, UserId};
use crate::domain::request::{ActorKind, RequestKind};

use super::super::history::{self, Entry};
use super::super::{AppError, AppResult};
use super::Rules;

/// Deadlines read per query.
const BATCH: i64 = 500;

/// Moves every deadline whose stage has come at `now`; returns how many it announced.
pub fn watch(conn: &mut DbConnection, rules: &Rules, now: NaiveDateTime) -> AppResult<usize> {
    let horizon = now + lead(rules);
    let mut announced = 0;
    let mut after: Option<DeadlineId> = None;
    loop {
        let batch = repo::watched(conn, horizon, after.as_ref(), BATCH)?;
        let Some(last) = batch.last() else { break };
        after = Some(last.id.clone());
        let kinds = request_kinds(conn, &batch)?;
        for open in &batch {
            let kind = kinds.get(&open.request_id).copied().flatten();
            let thresholds = rules.steps(kind, open.unit_id.as_ref()).thresholds;
            let clock = Clock {
                started_at: open.started_at,
                due_at: open.due_at,
                stage: open.stage,
                paused_since: open.paused_since,
            };
            if let Some(stage) = deadline::next_stage(&rules.calendar, &clock, &thresholds, now)
                && write_transaction(conn, |conn| announce(conn, &rules.vault, open, stage, now))?
            {
                announced += 1;
            }
        }
        if batch.len() < BATCH as usize {
            break;
        }
    }
    Ok(announced)
}

/// How far ahead of its due time a deadline may need a reminder: the longest lead any policy
/// gives, in calendar time, with room for the longest run of days off (Nowruz and its
/// neighbours stretch one working day over a week).
fn lead(rules: &Rules) -> Duration {
    let longest = rules.policies.longest_lead();
    let days = match longest {
        Span::WorkingDays(days) => i64::from(days),
        Span::Hours(hours) => i64::from(hours.div_ceil(24)),
    };
    Duration::days(days * 3 + 15)
}

fn request_kinds(
    conn: &mut DbConnection,
    batch: &[DeadlineRow],
) -> AppResult<BTreeMap<RequestId, Option<RequestKind>>> {
    let ids: BTreeSet<RequestId> = batch.iter().map(|d| d.request_id.clone()).collect();
    Ok(requests::kinds(conn, &ids.into_iter().collect::<Vec<_>>())?)
}

/// Moves one deadline to `stage` and tells its audience, if no one did first. True when this
/// call did.
fn announce(
    conn: &mut DbConnection,
    vault: &crate::vault::Vault,
    open: &DeadlineRow,
    stage: Stage,
    now: NaiveDateTime,
) -> AppResult<bool> {
    if !repo::advance(conn, &open.id, open.stage, stage, now)? {
        return Ok(false);
    }
    let request = requests::find(conn, &open.request_id)?
        .ok_or_else(|| AppError::Internal("a deadline's request went missing".to_owned()))?;
    let reference = match &open.referral_id {
        Some(id) => Some(
            referrals::find(conn, id)?
                .ok_or_else(|| AppError::Internal("a deadline's referral went missing".to_owned()))?
                .reference,
        ),
        None => None,
    };
    let due = shown_due(open.due_at);
    let mut told = 0;
    for (user, role) in audience(conn, open, stage)? {
        let for_unit = role == Role::UnitStaff;
        let what = match &reference {
            Some(reference) => format!("ارجاع {reference}"),
            // The desk's own work is never a unit's to hear of; were a rule ever to say so,
            // the tracking code still would not reach it.
            None if for_unit => continue,
            None => format!("درخواست {}", request.tracking_code),
        };
        let line = deadline::notice(open.kind, stage, &what, &due);
        super::super::inbox::deliver(
            conn,
            vault,
            &inbox_row(
                open,
                stage,
                (user, for_unit),
                line,
                reference.as_deref(),
                now,
            ),
        )?;
        told += 1;
    }
    if deadline::audience(open.kind, stage).is_empty() {
        // A stage no one hears of (an outcome's reminder) is only the deadline's.
        return Ok(true);
    }
    history::record(
        conn,
        &request.id,
        Entry::beside(request.status, topic(stage)),
        (ActorKind::System, None),
        serde_json::json!({
            "deadline": open.kind.as_str(),
            "referral": reference,
            "unit_id": open.unit_id,
            "due_at": open.due_at.and_utc().to_rfc3339(),
            "extensions": open.extensions,
            "told": told,
        }),
        now,
    )?;
    Ok(true)
}

/// The inbox line of one member of staff. A unit's staff never get the way back to the
/// request: no request id, in the row or in its details.
fn inbox_row(
    open: &DeadlineRow,
    stage: Stage,
    (user, for_unit): (UserId, bool),
    message: String,
    reference: Option<&str>,
    now: NaiveDateTime,
) -> StaffNotificationRow {
    let mut details = serde_json::json!({
        "kind": open.kind.as_str(),
        "stage": stage.as_str(),
        "due_at": open.due_at.and_utc().to_rfc3339(),
        "referral_id": open.referral_id,
        "reference": reference,
    });
    if !for_unit {
        details["request_id"] = serde_json::json!(open.request_id);
    }
    StaffNotificationRow {
        id: StaffNotificationId::generate(),
        user_id: user,
        topic: topic(stage).to_owned(),
        request_id: (!for_unit).then(|| open.request_id.clone()),
        referral_id: open.referral_id.clone(),
        deadline_id: Some(open.id.clone()),
        round: open.extensions,
        message,
        details: details.to_string(),
        created_at: now,
        read_at: None,
    }
}

/// The inbox topic (and history action) of a stage.
fn topic(stage: Stage) -> &'static str {
    match stage {
        Stage::Running => "deadline_started",
        Stage::Reminded => "deadline_reminder",
        Stage::Overdue => "deadline_overdue",
        Stage::Escalated => "deadline_escalated",
    }
}

/// The members of staff who hear of `stage`, each once, with their role.
fn audience(
    conn: &mut DbConnection,
    open: &DeadlineRow,
    stage: Stage,
) -> AppResult<BTreeMap<UserId, Role>> {
    let mut members = BTreeMap::new();
    let mut add = |ids: Vec<UserId>, role: Role| {
        for id in ids {
            members.entry(id).or_insert(role);
        }
    };
    for who in deadline::audience(open.kind, stage) {
        match who {
            Audience::Desk => add(
                users::active_ids(conn, Role::Reviewer, None)?,
                Role::Reviewer,
            ),
            Audience::Head => add(users::active_ids(conn, Role::Head, None)?, Role::Head),
            Audience::Unit => {
                if let Some(unit) = &open.unit_id {
                    add(
                        users::active_ids(conn, Role::UnitStaff, Some(unit))?,
                        Role::UnitStaff,
                    );
                }
            }
            Audience::ParentUnit => {
                let parent = match &open.unit_id {
                    Some(unit) => units::find(conn, unit)?.and_then(|u| u.parent_id),
                    None => None,
                };
                if let Some(parent) = parent {
                    add(
                        users::active_ids(conn, Role::UnitStaff, Some(&parent))?,
                        Role::UnitStaff,
                    );
                }
            }
        }
    }
    Ok(members)
}
