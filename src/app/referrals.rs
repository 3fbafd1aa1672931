//! Referrals as units and the desk work them: a unit's inbox (its own referrals only, in a view
//! that cannot reach the citizen), acknowledge and answer by the unit, accept or return by the
//! desk. Each step is recorded in the request's history as a staff-only event.

use chrono::NaiveDateTime;

use crate::db::referrals::{self as repo, ReferralRow, UnitReferralRow};
use crate::db::requests as request_repo;
use crate::db::{DbConnection, write_transaction};
use crate::domain::citizen::RequestText;
use crate::domain::ids::{AttachmentId, ReferralId, RequestId, UnitId};
use crate::domain::referral::{self, ReferralReason, ReferralStatus, Step};
use crate::domain::request::{ActorKind, RequestKind, Subject};
use crate::domain::{Role, StaffUser, parse_field};

use super::attachments::{Files, Target, Uploader};
use super::page::{Page, PageRequest};
use super::{AppError, AppResult};

/// A referral as a unit sees it: no request id, tracking code, identity or original text.
#[derive(Debug, Clone, PartialEq)]
pub struct Referral {
    pub id: ReferralId,
    pub reference: String,
    pub unit_id: UnitId,
    pub reason: ReferralReason,
    pub kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub text: String,
    pub due_at: NaiveDateTime,
    pub status: ReferralStatus,
    pub answer: Option<String>,
    pub return_reason: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Past due and still the unit's to handle, when it was read; never while the unit waits
    /// for the citizen's answer to a question asked before the due time (the clock's pause).
    pub overdue: bool,
    /// The unit asked the citizen and no answer has come since (the deadline clock's pause).
    pub awaiting_citizen: bool,
    /// Since when, if so: the unit's first question after the citizen's last answer.
    pub awaiting_citizen_since: Option<NaiveDateTime>,
    /// The citizen's answers to it that wait for the desk to release them.
    pub replies_waiting_for_desk: i64,
}

impl Referral {
    /// The referral a row holds, read at `now` (which decides whether it is overdue).
    fn read(row: UnitReferralRow, now: NaiveDateTime) -> Self {
        Referral {
            reason: row.reason,
            kind: row.kind,
            subject: row.subject,
            overdue: row.due_at < now && row.status.is_unanswered(),
            awaiting_citizen: false,
            awaiting_citizen_since: None,
            replies_waiting_for_desk: 0,
            status: row.status,
            id: row.id,
            reference: row.reference,
            unit_id: row.unit_id,
            text: row.body,
            due_at: row.due_at,
            answer: row.answer,
            return_reason: row.return_reason,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// Adds what the referrals' conversations say of them (one query for all of them).
fn with_activity(
    conn: &mut DbConnection,
    mut referrals: Vec<Referral>,
) -> AppResult<Vec<Referral>> {
    let ids: Vec<ReferralId> = referrals.iter().map(|r| r.id.clone()).collect();
    let activity = crate::db::messages::activity(conn, &ids)?;
    let paused = crate::db::deadlines::paused_since(conn, &ids)?;
    for referral in &mut referrals {
        if let Some(a) = activity.get(&referral.id) {
            referral.awaiting_citizen_since = a.awaiting_since();
            referral.awaiting_citizen = referral.awaiting_citizen_since.is_some();
            referral.replies_waiting_for_desk = a.held_replies;
        }
        // The deadline's clock stands still from the question to the citizen's answer: a
        // referral paused before its due time is not late (as the watch and the overdue list
        // judge it; the conversation may still hold the answer for the desk to release).
        if paused
            .get(&referral.id)
            .is_some_and(|since| *since < referral.due_at)
        {
            referral.overdue = false;
        }
    }
    Ok(referrals)
}

fn one_with_activity(conn: &mut DbConnection, referral: Referral) -> AppResult<Referral> {
    with_activity(conn, vec![referral])?
        .pop()
        .ok_or_else(|| AppError::Internal("a referral went missing".to_owned()))
}

/// Which referrals an inbox lists; `None` (or `false`) means "any". The unit is not chosen
/// here: unit staff always see their own unit's, the desk every unit's.
#[derive(Debug, Default, Clone)]
pub struct ReferralFilter {
    /// Only this request's (the desk only: unit staff never see request ids).
    pub request_id: Option<RequestId>,
    pub status: Option<ReferralStatus>,
    /// Only those past due and not yet answered, now.
    pub overdue: bool,
    /// Due at or after.
    pub due_from: Option<NaiveDateTime>,
    /// Due before.
    pub due_before: Option<NaiveDateTime>,
}

/// The unit whose referrals a staff member may see: their own for unit staff, any for the desk.
/// The handler refuses intake and operators first (`api::referrals::INBOX`); the use case
/// refuses them too, so that it is safe whoever calls it.
pub(crate) fn scope(staff: &StaffUser) -> AppResult<Option<UnitId>> {
    match staff.role {
        Role::UnitStaff => staff
            .unit_id
            .clone()
            .map(Some)
            .ok_or_else(|| AppError::Internal("unit staff without a unit".to_owned())),
        Role::Reviewer | Role::Head | Role::Admin => Ok(None),
        Role::Intake | Role::Operator => {
            Err(AppError::Forbidden("your role has no referral inbox"))
        }
    }
}

/// One page of the inbox `staff` may see, newest first. Overdue is judged at one instant, the
/// same for the filter and for every referral listed.
pub fn list(
    conn: &mut DbConnection,
    (staff, now): (&StaffUser, NaiveDateTime),
    filter: ReferralFilter,
    page: &PageRequest,
) -> AppResult<Page<Referral>> {
    let unit_id = scope(staff)?;
    if unit_id.is_some() && filter.request_id.is_some() {
        // Unit staff never see a request id, so they cannot have one to filter by.
        return Err(AppError::Forbidden(
            "unit staff cannot look referrals up by request",
        ));
    }
    let load = |before, limit| {
        let filter = repo::ReferralFilter {
            unit_id,
            request_id: filter.request_id,
            status: filter.status,
            overdue_at: filter.overdue.then_some(now),
            due_from: filter.due_from,
            due_before: filter.due_before,
            before,
        };
        repo::list(conn, &filter, limit)
    };
    let page = page.fetch(load, |row| Referral::read(row, now))?;
    Ok(Page {
        items: with_activity(conn, page.items)?,
        next: page.next,
    })
}

/// One referral, read at `now`; another unit's is "not found", exactly like a missing one.
pub fn get(
    conn: &mut DbConnection,
    staff: &StaffUser,
    id: &ReferralId,
    now: NaiveDateTime,
) -> AppResult<Referral> {
    let row = find_visible(conn, staff, id)?;
    one_with_activity(conn, Referral::read(row, now))
}

/// The referral `staff` may see (the inbox's one rule: another unit's is "not found").
pub(crate) fn find_visible(
    conn: &mut DbConnection,
    staff: &StaffUser,
    id: &ReferralId,
) -> AppResult<UnitReferralRow> {
    let found = match scope(staff)? {
        Some(unit) => repo::find_for_unit(conn, id, &unit)?,
        None => repo::find(conn, id)?.map(UnitReferralRow::from),
    };
    found.ok_or(AppError::NotFound("referral"))
}

/// What a step carries: the unit's answer, or the desk's reason to return it.
#[derive(Debug, Clone)]
pub enum StepInput {
    Acknowledge,
    /// The answer's text, and the unit's uploads that go with it (the desk reads them; the
    /// citizen does not: the answer is the desk's to pass on).
    Answer {
        text: String,
        attachments: Vec<AttachmentId>,
    },
    Accept,
    Return(String),
}

impl StepInput {
    pub fn step(&self) -> Step {
        match self {
            StepInput::Acknowledge => Step::Acknowledge,
            StepInput::Answer { .. } => Step::Answer,
            StepInput::Accept => Step::Accept,
            StepInput::Return(_) => Step::Return,
        }
    }
}

pub fn step(
    conn: &mut DbConnection,
    (files, rules): (&Files, &super::deadlines::Rules),
    staff: &StaffUser,
    (id, if_match): (&ReferralId, Option<i32>),
    input: StepInput,
) -> AppResult<Referral> {
    let (step, text) = input.parsed()?;
    write_transaction(conn, |conn| {
        let visible = find_visible(conn, staff, id)?;
        if if_match.is_some_and(|v| v != visible.version) {
            return Err(super::handling::stale_version("referral", visible.version));
        }
        let now = rules.now();
        let current = Referral::read(visible, now);
        let next = referral::apply(current.status, staff.role, step).map_err(refusal)?;
        let (answer, return_reason) = match (step, &text) {
            (Step::Answer, Some(t)) => (Some(t.as_str().to_owned()), None),
            (Step::Return, Some(t)) => (current.answer.clone(), Some(t.as_str().to_owned())),
            _ => (current.answer.clone(), current.return_reason.clone()),
        };
        if !repo::update_step(
            conn,
            id,
            current.version,
            next,
            answer.as_deref(),
            return_reason.as_deref(),
            now,
        )? {
            return Err(super::handling::concurrent_change("referral"));
        }
        let mut full = repo::find(conn, id)?.ok_or(AppError::NotFound("referral"))?;
        let on = (&full.id, &full.unit_id);
        // A returned answer owes a new one, due by the policy from now.
        if let Some(due) =
            super::deadlines::stepped(conn, rules, &full.request_id, on, full.kind, step, now)?
        {
            repo::set_due(conn, id, None, due, now)?;
            full = repo::find(conn, id)?.ok_or(AppError::NotFound("referral"))?;
        }
        if let StepInput::Answer { attachments, .. } = &input {
            let target = Target {
                request_id: &full.request_id,
                message_id: None,
                referral_id: Some(id),
            };
            super::attachments::attach(conn, files, attachments, Uploader::Staff(staff), target)?;
        }
        record_step(conn, &full, step, next, staff, now)?;
        one_with_activity(conn, Referral::read(UnitReferralRow::from(full), now))
    })
}

impl StepInput {
    /// The step and its text (the answer, or the reason for returning), parsed.
    fn parsed(&self) -> AppResult<(Step, Option<RequestText>)> {
        let text = |field: &str, raw: &str| parse_field(field, RequestText::parse(raw));
        Ok(match self {
            StepInput::Answer { text: answer, .. } => (Step::Answer, Some(text("answer", answer)?)),
            StepInput::Return(reason) => (Step::Return, Some(text("reason", reason)?)),
            StepInput::Acknowledge | StepInput::Accept => (self.step(), None),
        })
    }
}

/// A step the referral lifecycle refused, as an answer.
fn refusal(refused: referral::StepRefusal) -> AppError {
    match refused {
        referral::StepRefusal::Forbidden(_) => {
            AppError::Forbidden("your role may not do this to a referral")
        }
        other @ referral::StepRefusal::NotNow { .. } => {
            AppError::conflict("transition-not-allowed", other.to_string())
        }
    }
}

/// The request's history shows the step to the desk (never to the public or the unit).
fn record_step(
    conn: &mut DbConnection,
    referral: &ReferralRow,
    step: Step,
    next: ReferralStatus,
    staff: &StaffUser,
    now: NaiveDateTime,
) -> AppResult<()> {
    let request =
        request_repo::find(conn, &referral.request_id)?.ok_or(AppError::NotFound("request"))?;
    let status = request.status;
    let details = serde_json::json!({"referral": referral.reference, "unit_id": referral.unit_id, "status": next.as_str()});
    super::history::record(
        conn,
        &request.id,
        super::history::Entry::beside(status, step.history_action()),
        (ActorKind::Staff, Some(staff.id.clone())),
        details,
        now,
    )?;
    Ok(())
}

/// Referrals of one request, for the desk, read at `now`.
pub fn of_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
    now: NaiveDateTime,
) -> AppResult<Vec<Referral>> {
    let referrals = repo::for_request(conn, request_id)?
        .into_iter()
        .map(|row| Referral::read(UnitReferralRow::from(row), now))
        .collect();
    with_activity(conn, referrals)
}

impl From<crate::db::referrals::ReferralRow> for UnitReferralRow {
    fn from(row: crate::db::referrals::ReferralRow) -> Self {
        UnitReferralRow {
            id: row.id,
            reference: row.reference,
            unit_id: row.unit_id,
            reason: row.reason,
            kind: row.kind,
            subject: row.subject,
            body: row.body,
            due_at: row.due_at,
            status: row.status,
            answer: row.answer,
            return_reason: row.return_reason,
            version: row.version,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
