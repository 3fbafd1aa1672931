//! Deadlines as the desk's work makes and meets them: started when work becomes someone's,
//! met when it is done, paused while a referral waits for the citizen, extended by the desk
//! (`extend`), and watched by the scheduler (`watch`), which reminds and escalates. The rules
//! are `domain::deadline`'s; this is where they meet the rows, always inside the transaction of
//! the change that caused them.

mod extend;
mod watch;

use std::sync::Arc;

use chrono::NaiveDateTime;

use crate::clock::Clock;
use crate::db::DbConnection;
use crate::db::deadlines::{self as repo, DeadlineRow};
use crate::domain::calendar::{Span, WorkingCalendar};
use crate::domain::deadline::{self, DeadlineKind, Policies, Stage, Steps};
use crate::domain::ids::{DeadlineId, ReferralId, RequestId, UnitId};
use crate::domain::lifecycle::Transition;
use crate::domain::referral::Step;
use crate::domain::request::RequestKind;

use super::AppResult;

pub use extend::{EXTENDERS, Extension, extend};
pub use watch::watch;

/// The calendar deadlines are counted on, the policies that give each its span, the citizen's
/// time to object to an outcome, and the clock they are decided at (which only tests move).
/// Beside them, the vault identities are sealed in: the use cases that read or write an
/// identity are the ones that already take the rules, so it travels with them.
#[derive(Debug, Clone)]
pub struct Rules {
    pub calendar: WorkingCalendar,
    pub policies: Policies,
    pub objection_window: Span,
    pub clock: Clock,
    pub vault: Arc<crate::vault::Vault>,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            calendar: WorkingCalendar::default(),
            policies: Policies::default(),
            objection_window: crate::domain::objection::DEFAULT_WINDOW,
            clock: Clock::default(),
            vault: Arc::new(crate::vault::Vault::ephemeral()),
        }
    }
}

/// Shared by the handlers and the scheduler.
pub type SharedRules = Arc<Rules>;

impl Rules {
    pub fn steps(&self, kind: Option<RequestKind>, unit: Option<&UnitId>) -> Steps {
        self.policies.steps(kind, unit)
    }

    /// Now, on the deadlines' clock.
    pub fn now(&self) -> NaiveDateTime {
        self.clock.now()
    }

    /// When a span started at `start` ends.
    pub fn due(&self, start: NaiveDateTime, span: Span) -> NaiveDateTime {
        self.calendar.add(start, span)
    }
}

fn row(
    request_id: &RequestId,
    referral: Option<(&ReferralId, &UnitId)>,
    kind: DeadlineKind,
    due_at: NaiveDateTime,
    now: NaiveDateTime,
) -> DeadlineRow {
    DeadlineRow {
        id: DeadlineId::generate(),
        request_id: request_id.clone(),
        referral_id: referral.map(|(r, _)| r.clone()),
        unit_id: referral.map(|(_, u)| u.clone()),
        kind,
        started_at: now,
        due_at,
        stage: Stage::Running,
        paused_since: None,
        met_at: None,
        extensions: 0,
        updated_at: now,
    }
}

/// The classification a new request is owed, written with it (`db::registration`).
pub(crate) fn classify(rules: &Rules, request_id: &RequestId, now: NaiveDateTime) -> DeadlineRow {
    let due = rules.due(now, rules.steps(None, None).classify);
    row(request_id, None, DeadlineKind::Classify, due, now)
}

/// What a transition of the request does to its deadlines (`deadline::after_transition`).
pub(crate) fn follow(
    conn: &mut DbConnection,
    rules: &Rules,
    request_id: &RequestId,
    kind: Option<RequestKind>,
    transition: &Transition,
    now: NaiveDateTime,
) -> AppResult<()> {
    let follows = deadline::after_transition(transition.from, transition.to, kind);
    if follows.meet_all {
        repo::meet_all(conn, request_id, now)?;
        return Ok(());
    }
    if !follows.meet.is_empty() {
        repo::meet(conn, request_id, None, &follows.meet, now)?;
    }
    if let Some(owed) = follows.start {
        // An outcome is owed from the meeting's end; everything else from now.
        let from = match owed {
            DeadlineKind::Outcome => crate::db::meetings::scheduled_for(conn, request_id)?
                .map_or(now, |meeting| meeting.ends_at),
            _ => now,
        };
        let due = rules.due(from, rules.steps(kind, None).span(owed));
        repo::start(conn, &row(request_id, None, owed, due, now))?;
    }
    Ok(())
}

/// The answer's due time of a new referral to `unit` when the reviewer gives none: the policy's.
pub(crate) fn answer_due(
    rules: &Rules,
    kind: Option<RequestKind>,
    unit: &UnitId,
    now: NaiveDateTime,
) -> NaiveDateTime {
    rules.due(now, rules.steps(kind, Some(unit)).answer)
}

/// A new referral owes its unit an acknowledgement (by the policy) and an answer (by `answer_due`).
pub(crate) fn referred(
    conn: &mut DbConnection,
    rules: &Rules,
    request_id: &RequestId,
    (referral, unit): (&ReferralId, &UnitId),
    kind: Option<RequestKind>,
    answer_due: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<()> {
    let acknowledge = rules
        .due(now, rules.steps(kind, Some(unit)).acknowledge)
        .min(answer_due);
    let on = Some((referral, unit));
    repo::start(
        conn,
        &row(request_id, on, DeadlineKind::Acknowledge, acknowledge, now),
    )?;
    repo::start(
        conn,
        &row(request_id, on, DeadlineKind::Answer, answer_due, now),
    )?;
    Ok(())
}

/// What a referral step does to its deadlines (`deadline::after_step`). A returned answer
/// owes a new one, due by the policy from now; returns that due time, which becomes the
/// referral's.
#[allow(clippy::too_many_arguments)]
pub(crate) fn stepped(
    conn: &mut DbConnection,
    rules: &Rules,
    request_id: &RequestId,
    (referral, unit): (&ReferralId, &UnitId),
    kind: Option<RequestKind>,
    step: Step,
    now: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    let (met, owes_answer) = deadline::after_step(step);
    if !met.is_empty() {
        repo::meet(conn, request_id, Some(referral), met, now)?;
    }
    if !owes_answer {
        return Ok(None);
    }
    let due = answer_due(rules, kind, unit, now);
    let on = Some((referral, unit));
    repo::start(conn, &row(request_id, on, DeadlineKind::Answer, due, now))?;
    Ok(Some(due))
}

/// The unit asked the citizen: the referral's clocks stop.
pub(crate) fn pause(
    conn: &mut DbConnection,
    referral: &ReferralId,
    now: NaiveDateTime,
) -> AppResult<()> {
    repo::pause(conn, referral, now)?;
    Ok(())
}

/// The citizen answered: the referral's clocks run again with the running time they had left.
/// Returns the answer's new due time, if it moved, for the referral to show.
pub(crate) fn resume(
    conn: &mut DbConnection,
    rules: &Rules,
    referral: &ReferralId,
    now: NaiveDateTime,
) -> AppResult<Option<NaiveDateTime>> {
    let mut answer_due = None;
    for open in repo::open_of_referral(conn, referral)? {
        let Some(since) = open.paused_since else {
            continue;
        };
        let due = deadline::resume(&rules.calendar, open.due_at, since, now);
        if repo::resume(conn, &open.id, since, due, now)? && open.kind == DeadlineKind::Answer {
            answer_due = Some(due);
        }
    }
    Ok(answer_due)
}

/// An open deadline past due, as a list shows it to `reader`: a unit's staff see their own
/// unit's only, with no request id.
#[derive(Debug, Clone, PartialEq)]
pub struct Overdue {
    pub id: DeadlineId,
    pub kind: DeadlineKind,
    pub stage: Stage,
    pub started_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub extensions: i32,
    pub request_id: Option<RequestId>,
    pub referral_id: Option<ReferralId>,
    pub reference: Option<String>,
    pub unit_id: Option<UnitId>,
}

/// The overdue list: a unit's (its own staff, or the desk naming it), the desk's own work
/// (`desk_only`), or everything (the desk). Oldest due first.
pub fn overdue(
    conn: &mut DbConnection,
    reader: &crate::domain::StaffUser,
    (unit, desk_only): (Option<UnitId>, bool),
    now: NaiveDateTime,
) -> AppResult<Vec<Overdue>> {
    // Who sees which unit's work is the referral inbox's rule: a unit's staff their own, the
    // desk any (and intake and operators none).
    let (unit, desk_only, for_unit) = match super::referrals::scope(reader)? {
        Some(own) => (Some(own), false, true),
        None => {
            let desk_only = desk_only && unit.is_none();
            (unit, desk_only, false)
        }
    };
    let mut listed = Vec::new();
    for row in repo::overdue(conn, now, unit.as_ref(), desk_only)? {
        let reference = match &row.referral_id {
            Some(id) => crate::db::referrals::find(conn, id)?.map(|r| r.reference),
            None => None,
        };
        listed.push(Overdue {
            id: row.id,
            kind: row.kind,
            stage: row.stage,
            started_at: row.started_at,
            due_at: row.due_at,
            extensions: row.extensions,
            request_id: (!for_unit).then_some(row.request_id),
            referral_id: row.referral_id,
            reference,
            unit_id: row.unit_id,
        });
    }
    Ok(listed)
}
