//! The desk's commands on a request after registration: classify, refer, thank, close (and the
//! meeting commands). Each is one transaction: load, decide with `lifecycle::apply`, guarded
//! update, history event, notifications. A stale `If-Match` version is 412; a concurrent change
//! that slipped in between load and update is 409.

use chrono::NaiveDateTime;

use crate::db::meetings as meeting_repo;
use crate::db::referrals::{self as referral_repo, ReferralRow};
use crate::db::requests::{self as repo, RequestRow};
use crate::db::{DbConnection, units, write_transaction};
use crate::domain::anonymise::{self, CitizenIdentity};
use crate::domain::citizen::RequestText;
use crate::domain::ids::{ReferralId, RequestId, UnitId, UserId};
use crate::domain::lifecycle::{self, Actor, Command, Settlement, Transition};
use crate::domain::referral::{ReferralReason, ReferralStatus};
use crate::domain::request::{ActorKind, RequestKind, Subject};
use crate::domain::{FieldError, StaffUser, parse_field};
use crate::vault::{Field, Vault};

use super::deadlines::{Rules, SharedRules};
use super::requests::{self, Identity, Request, RequestDetail};
use super::{AppError, AppResult};

/// What every command carries besides its own data.
#[derive(Debug, Clone)]
pub struct Caller {
    pub staff: StaffUser,
    /// The version the client last read (`If-Match`), if it sent one.
    pub if_match: Option<i32>,
    /// The deadline rules and clock the command's deadlines follow.
    pub rules: SharedRules,
}

/// What a command's own effects add to its event and its messages.
pub(crate) struct Effects {
    pub details: serde_json::Value,
    pub params: serde_json::Value,
}

impl Effects {
    /// A command that adds nothing to its event or its messages.
    pub fn none() -> Self {
        Self {
            details: serde_json::json!({}),
            params: serde_json::json!({}),
        }
    }
}

/// Who gives a command, as the frame needs it: the actor the lifecycle decides for, how the
/// history records them, and the version they last read (`If-Match`), if they sent one.
pub(crate) struct Acting {
    pub actor: Actor,
    pub recorded_as: (ActorKind, Option<UserId>),
    pub if_match: Option<i32>,
    pub rules: SharedRules,
}

impl Acting {
    pub fn staff(caller: &Caller) -> Self {
        Self {
            actor: Actor::Staff(caller.staff.role),
            recorded_as: (ActorKind::Staff, Some(caller.staff.id.clone())),
            if_match: caller.if_match,
            rules: caller.rules.clone(),
        }
    }

    /// The citizen who filed the request, proven by the caller (tracking code and mobile).
    pub fn citizen(rules: SharedRules) -> Self {
        Self {
            actor: Actor::Citizen,
            recorded_as: (ActorKind::Citizen, None),
            if_match: None,
            rules,
        }
    }
}

/// Runs one staff command on the request `request_id`: the frame of [`decide_and_commit`] in a
/// write transaction, answered with the request's detail. `effects` does the command's own
/// writes (after the decision, before the guarded update, inside the transaction).
pub(crate) fn run(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    command: Command,
    effects: impl FnOnce(&mut DbConnection, &Request, &Identity, &Transition) -> AppResult<Effects>,
) -> AppResult<RequestDetail> {
    write_transaction(conn, |conn| {
        let row = repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
        decide_and_commit(conn, &row, &Acting::staff(caller), command, effects)?;
        requests::detail(conn, &row.id, caller.staff.role, &caller.rules)
    })
}

/// The frame every command on a request shares, the desk's and the citizen's, inside the
/// caller's transaction: a stale `If-Match` is 412; the decision is the lifecycle's for the
/// actor; then the command's own effects, and [`commit`].
pub(crate) fn decide_and_commit(
    conn: &mut DbConnection,
    row: &RequestRow,
    acting: &Acting,
    command: Command,
    effects: impl FnOnce(&mut DbConnection, &Request, &Identity, &Transition) -> AppResult<Effects>,
) -> AppResult<()> {
    if acting.if_match.is_some_and(|v| v != row.version) {
        return Err(stale_version("request", row.version));
    }
    let request = Request::from(row.clone());
    let state = super::state::of(conn, &request, &acting.rules)?;
    let transition = lifecycle::apply(state, acting.actor, command)?;
    // Opened once the command fits: a closed request (erased, perhaps) is refused first.
    let identity = requests::identity(conn, &acting.rules.vault, &row.id)?;
    let Effects { details, params } = effects(conn, &request, &identity, &transition)?;
    let kind = match command {
        Command::Classify(kind) => Some(kind),
        _ => row.kind,
    };
    let recipient = requests::recipient(conn, &row.id)?;
    commit(
        conn,
        row,
        &recipient,
        &transition,
        acting.recorded_as.clone(),
        (details, params),
        acting.rules.now(),
    )?;
    let now = acting.rules.now();
    super::deadlines::follow(conn, &acting.rules, &row.id, kind, &transition, now)
}

/// The 412 of a stale `If-Match`: `what` is at `version` now.
pub(crate) fn stale_version(what: &str, version: i32) -> AppError {
    AppError::PreconditionFailed(format!(
        "the {what} is at version {version}; read it again and retry"
    ))
}

/// Writes a decided transition, the same for every command, the desk's and the citizen's: the
/// status change guarded by the version read, what the change settles, the history event and
/// the messages. False guard (someone changed the request meanwhile): 409, nothing written.
fn commit(
    conn: &mut DbConnection,
    row: &RequestRow,
    recipient: &str,
    transition: &Transition,
    actor: (ActorKind, Option<UserId>),
    (mut details, params): (serde_json::Value, serde_json::Value),
    now: NaiveDateTime,
) -> AppResult<()> {
    if !repo::change_status(
        conn,
        &row.id,
        row.version,
        transition.to,
        transition.resolution,
        now,
    )? {
        return Err(concurrent_change("request"));
    }
    let settled = settle(conn, &row.id, transition.settle, now)?;
    if let (Some(details), serde_json::Value::Object(settled)) = (details.as_object_mut(), settled)
    {
        details.extend(settled);
    }
    let entry = super::history::Entry::of(transition);
    super::history::record(conn, &row.id, entry, actor, details, now)?;
    super::history::enqueue(conn, row, recipient, transition, params, now)
}

/// Does what a transition settles (`lifecycle::Settlement`); returns what it changed, for the
/// history event: `meetings_cancelled` (ids) and `referrals_withdrawn` (references).
fn settle(
    conn: &mut DbConnection,
    request_id: &RequestId,
    settlement: Settlement,
    now: NaiveDateTime,
) -> AppResult<serde_json::Value> {
    let mut settled = serde_json::Map::new();
    if settlement.cancel_scheduled_meeting {
        let cancelled = meeting_repo::cancel_scheduled_for(conn, request_id, now)?;
        if !cancelled.is_empty() {
            settled.insert("meetings_cancelled".to_owned(), cancelled.into());
        }
    }
    if settlement.withdraw_unfinished_referrals {
        let mut withdrawn = Vec::new();
        for referral in referral_repo::for_request(conn, request_id)? {
            let status = referral.status;
            let Some(next) = crate::domain::referral::settle(status) else {
                continue;
            };
            if !referral_repo::update_step(
                conn,
                &referral.id,
                referral.version,
                next,
                referral.answer.as_deref(),
                referral.return_reason.as_deref(),
                now,
            )? {
                return Err(concurrent_change("request"));
            }
            withdrawn.push(referral.reference);
        }
        if !withdrawn.is_empty() {
            settled.insert("referrals_withdrawn".to_owned(), withdrawn.into());
        }
    }
    Ok(serde_json::Value::Object(settled))
}

/// The 409 of a guarded update that found `what` changed since it was read.
pub(crate) fn concurrent_change(what: &str) -> AppError {
    AppError::conflict(
        "concurrent-change",
        format!("the {what} changed meanwhile; read it again and retry"),
    )
}

/// What review decides a request is.
#[derive(Debug, Clone)]
pub struct Classification {
    pub kind: RequestKind,
    pub subject: Option<Subject>,
    pub subject_unit_id: Option<UnitId>,
}

pub fn classify(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    input: Classification,
) -> AppResult<RequestDetail> {
    let meeting = input.kind == RequestKind::Meeting;
    if meeting && (input.subject.is_some() || input.subject_unit_id.is_some()) {
        return Err(FieldError::new(
            "subject",
            "not_for_meetings",
            "a meeting request has no subject; subjects are for feedback",
        )
        .into());
    }
    if input.subject_unit_id.is_some() && input.subject.is_none() {
        return Err(FieldError::new(
            "subject",
            "required",
            "name the subject when a unit is given",
        )
        .into());
    }
    run(
        conn,
        request_id,
        caller,
        Command::Classify(input.kind),
        |conn, _, _, _| {
            if let Some(unit) = &input.subject_unit_id {
                require_active_unit(conn, unit, "subject_unit_id")?;
            }
            repo::set_classification(
                conn,
                request_id,
                input.kind,
                input.subject,
                input.subject_unit_id.as_ref(),
            )?;
            Ok(Effects {
                details: serde_json::json!({
                    "kind": input.kind.as_str(),
                    "subject": input.subject.map(|s| s.as_str()),
                    "subject_unit_id": input.subject_unit_id,
                }),
                params: serde_json::json!({}),
            })
        },
    )
}

/// A referral to make: the unit, the anonymised text the reviewer approved, the due date.
#[derive(Debug, Clone)]
pub struct NewReferral {
    pub unit_id: UnitId,
    pub text: String,
    pub due_at: Option<NaiveDateTime>,
}

/// Refers a feedback request to a unit (`refer`).
pub fn refer(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    referral: NewReferral,
) -> AppResult<RequestDetail> {
    hand_to_unit(
        conn,
        request_id,
        caller,
        referral,
        Command::Refer,
        ReferralReason::ActionRequired,
    )
}

/// Hands a request to a unit with an anonymised text: `refer` for feedback, `redirect` for a
/// meeting request. One path, so both check the unit, the text and the due date alike.
pub(crate) fn hand_to_unit(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    referral: NewReferral,
    command: Command,
    reason: ReferralReason,
) -> AppResult<RequestDetail> {
    let text = parse_field("text", RequestText::parse(&referral.text))?;
    run(
        conn,
        request_id,
        caller,
        command,
        |conn, request, identity, _| {
            let unit_name = require_active_unit(conn, &referral.unit_id, "unit_id")?;
            let codes = citizen_tracking_codes(conn, &caller.rules.vault, identity)?;
            check_anonymous(text.as_str(), identity, &codes, "text")?;
            let now = caller.rules.now();
            let due_at = referral.due_at.unwrap_or_else(|| {
                super::deadlines::answer_due(&caller.rules, request.kind, &referral.unit_id, now)
            });
            if due_at <= now {
                return Err(FieldError::new(
                    "due_at",
                    "in_the_past",
                    "the due date must be in the future",
                )
                .into());
            }
            let reference = insert_referral(
                conn,
                &caller.rules,
                request,
                &caller.staff.id,
                &referral.unit_id,
                reason,
                text.as_str(),
                due_at,
                now,
            )?;
            Ok(Effects {
                details: serde_json::json!({"unit_id": referral.unit_id, "referral": reference, "due_at": due_at.and_utc().to_rfc3339()}),
                params: serde_json::json!({"unit": unit_name}),
            })
        },
    )
}

/// Closes a feedback request with thanks (`thank`).
pub fn thank(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
) -> AppResult<RequestDetail> {
    run(
        conn,
        request_id,
        caller,
        Command::Thank,
        |_, request, _, _| {
            Ok(Effects {
                details: serde_json::json!({}),
                params: serde_json::json!({"kind": request.kind.map(|k| k.as_str())}),
            })
        },
    )
}

/// Closes a referred or followed-up request as resolved, once every referral is accepted.
pub fn close(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    summary: &str,
) -> AppResult<RequestDetail> {
    let summary = parse_field("summary", RequestText::parse(summary))?;
    run(conn, request_id, caller, Command::Close, |_, _, _, _| {
        Ok(Effects {
            details: serde_json::json!({"summary": summary.as_str()}),
            ..Effects::none()
        })
    })
}

/// Stores a referral with a fresh reference of its own; returns the reference.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_referral(
    conn: &mut DbConnection,
    rules: &Rules,
    request: &Request,
    created_by: &UserId,
    unit_id: &UnitId,
    reason: ReferralReason,
    text: &str,
    due_at: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<String> {
    // A second referral to a unit still working on this request is a double click or a
    // mistake, never more work: one unit, one open referral per request.
    let mut busy = false;
    for referral in referral_repo::for_request(conn, &request.id)? {
        let status = referral.status;
        busy |= referral.unit_id == *unit_id && !status.is_finished();
    }
    if busy {
        return Err(AppError::conflict(
            "already-referred",
            "this unit already has an unfinished referral of this request",
        ));
    }
    let reference = fresh_reference(conn)?;
    let id = ReferralId::generate();
    referral_repo::insert(
        conn,
        &ReferralRow {
            id: id.clone(),
            request_id: request.id.clone(),
            reference: reference.clone(),
            unit_id: unit_id.to_owned(),
            reason,
            kind: request.kind,
            subject: request.subject,
            body: text.to_owned(),
            due_at,
            status: ReferralStatus::Open,
            answer: None,
            return_reason: None,
            version: 1,
            created_by: created_by.clone(),
            created_at: now,
            updated_at: now,
        },
    )?;
    super::deadlines::referred(
        conn,
        rules,
        &request.id,
        (&id, unit_id),
        request.kind,
        due_at,
        now,
    )?;
    Ok(reference)
}

/// A referral reference: `R-` and 8 random digits, unrelated to the request's id or tracking
/// code so that a unit cannot work back from it.
fn fresh_reference(conn: &mut DbConnection) -> AppResult<String> {
    use rand::Rng;
    let mut rng = rand::rng();
    for _ in 0..8 {
        let reference = format!("R-{:08}", rng.random_range(0..100_000_000u32));
        if !referral_repo::reference_exists(conn, &reference)? {
            return Ok(reference);
        }
    }
    Err(AppError::Internal(
        "no free referral reference after 8 draws".to_owned(),
    ))
}

/// The unit's name if it exists and is active, else a field error.
pub(crate) fn require_active_unit(
    conn: &mut DbConnection,
    unit_id: &UnitId,
    field: &str,
) -> AppResult<String> {
    match units::find(conn, unit_id)? {
        Some(unit) if unit.active => Ok(unit.name),
        _ => Err(FieldError::new(field, "unknown_unit", "no active unit has this id").into()),
    }
}

/// The tracking codes of every request filed with the citizen's mobile, this one's included: a
/// code of another of their requests leads to them as surely as this one's.
pub(crate) fn citizen_tracking_codes(
    conn: &mut DbConnection,
    vault: &Vault,
    identity: &Identity,
) -> AppResult<Vec<String>> {
    let index = vault.index(Field::Mobile, &identity.mobile);
    Ok(repo::tracking_codes_of_mobile(conn, &index)?)
}

/// The citizen of a request as the anonymiser looks for them: their identity, opened, and the
/// tracking codes of all their requests.
pub(crate) fn citizen_of(
    conn: &mut DbConnection,
    vault: &Vault,
    request_id: &RequestId,
) -> AppResult<(Identity, Vec<String>)> {
    let identity = requests::identity(conn, vault, request_id)?;
    let codes = citizen_tracking_codes(conn, vault, &identity)?;
    Ok((identity, codes))
}

/// What the anonymiser looks for: the citizen's identity and their tracking codes.
pub(crate) fn citizen<'a>(
    identity: &'a Identity,
    tracking_codes: &'a [String],
) -> CitizenIdentity<'a> {
    CitizenIdentity {
        name: &identity.name,
        mobile: &identity.mobile,
        national_id: identity.national_id.as_deref(),
        email: identity.email.as_deref(),
        tracking_codes,
    }
}

/// Refuses a text for a unit that still identifies the citizen (PRODUCT rule 1): 422 on `field`
/// with code `identifies_citizen`, naming each kind found in the message, and giving the text
/// checked (`text`, already normalised by the caller) with the place of each finding in it, in
/// code points, for an editor to highlight.
pub(crate) fn check_anonymous(
    text: &str,
    identity: &Identity,
    tracking_codes: &[String],
    field: &str,
) -> AppResult<()> {
    anonymise::check_final(text, &citizen(identity, tracking_codes)).map_err(|found| {
        let kinds: Vec<&str> = anonymise::kinds(&found)
            .into_iter()
            .map(|k| k.as_str())
            .collect();
        FieldError::new(
            field,
            "identifies_citizen",
            format!(
                "the text still identifies someone: {}; use the proposed anonymised text or remove them",
                kinds.join(", ")
            ),
        )
        .with_findings(text, anonymise::in_code_points(text, &found))
        .into()
    })
}

/// The server's proposal of an anonymised text for a request (the reviewer may edit it).
pub fn proposed_text(
    conn: &mut DbConnection,
    vault: &Vault,
    request_id: &RequestId,
) -> AppResult<String> {
    let row: RequestRow = repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
    let (identity, codes) = citizen_of(conn, vault, request_id)?;
    Ok(anonymise::propose(&row.body, &citizen(&identity, &codes)))
}
