//! The conversation of a request, as each party reaches it: the desk (everything, as written),
//! a unit (its referral's questions and the replies the desk let through), and the citizen
//! (what was written to them and by them, proven by tracking code and mobile). The rules are
//! `domain::conversation`'s; here they meet the rows, the history, the outbox and the limits,
//! one transaction per message.
//!
//! Each reader has its own type (`DeskMessage`, `UnitMessage`, `CitizenMessage`): a unit's has
//! no field that could hold the citizen's own words or who wrote to it.

use chrono::NaiveDateTime;

use crate::db::messages::{self as repo, MessageRow};
use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::referrals::ReferralRow;
use crate::db::requests::{self as request_repo, RequestRow};
use crate::db::{self, DbConnection, referrals as referral_repo, units, write_transaction};
use crate::domain::conversation::{
    self, AuthorKind, MessageText, Reader, Refusal, Release, Routing, Shown, Stored,
};
use crate::domain::ids::{AttachmentId, ReferralId, RequestId};
use crate::domain::lifecycle::Template;
use crate::domain::limits::Limit;
use crate::domain::request::ActorKind;
use crate::domain::{Role, StaffUser, parse_field};
use crate::vault::Vault;

use super::attachments::{Files, Target, Uploader};
use super::deadlines::Rules;
use super::history::{self, Entry};
use super::limits::Limits;
use super::{AppError, AppResult};

/// A message as the desk reads it: as written, with where it went.
#[derive(Debug, Clone, PartialEq)]
pub struct DeskMessage {
    pub id: String,
    pub seq: i32,
    pub author: AuthorKind,
    /// The desk's role, for the desk's own messages.
    pub author_role: Option<Role>,
    /// The unit, for a unit's question and a reply to it.
    pub unit_name: Option<String>,
    pub referral_id: Option<ReferralId>,
    pub text: String,
    /// For a citizen's reply to a unit: held for the desk, or released.
    pub release: Option<Release>,
    /// What the unit reads (released), or what the anonymiser proposes it read (held).
    pub unit_text: Option<String>,
    pub created_at: NaiveDateTime,
}

/// A message as a unit's staff read it: their own questions, and the citizen's replies only
/// once released (before that, only that one is waiting).
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMessage {
    pub id: String,
    pub seq: i32,
    pub author: AuthorKind,
    /// `None` while the reply waits for the desk.
    pub text: Option<String>,
    pub waiting_for_desk: bool,
    pub created_at: NaiveDateTime,
}

/// A message as the citizen reads it: a unit by its name, the desk by its role.
#[derive(Debug, Clone, PartialEq)]
pub struct CitizenMessage {
    pub id: String,
    pub seq: i32,
    pub author: AuthorKind,
    pub unit_name: Option<String>,
    pub staff_role: Option<Role>,
    pub text: String,
    pub created_at: NaiveDateTime,
}

fn stored(row: &MessageRow) -> Stored<'_> {
    Stored {
        author: row.author_kind,
        referral_id: row.referral_id.as_ref(),
        text: &row.body,
        release: row.release,
        unit_text: row.unit_body.as_deref(),
    }
}

fn refused(refusal: Refusal) -> AppError {
    let code = match refusal {
        Refusal::Ended => "conversation-ended",
        Refusal::ReferralFinished => "referral-finished",
        Refusal::NotHeld => "not-held",
    };
    AppError::conflict(code, refusal.to_string())
}

/// The unit of a referral, by name (every referral has one: its absence is a broken invariant).
fn unit_name(conn: &mut DbConnection, referral_id: &ReferralId) -> AppResult<String> {
    let referral = referral_repo::find(conn, referral_id)?.ok_or(AppError::NotFound("referral"))?;
    units::find(conn, &referral.unit_id)?
        .map(|unit| unit.name)
        .ok_or_else(|| AppError::Internal(format!("referral {referral_id} has no unit")))
}

fn desk_message(conn: &mut DbConnection, vault: &Vault, row: MessageRow) -> AppResult<DeskMessage> {
    let unit_name = row
        .referral_id
        .as_ref()
        .map(|r| unit_name(conn, r))
        .transpose()?;
    let unit_text = match row.release {
        Some(Release::Held) => Some(proposal(conn, vault, &row.request_id, &row.body)?),
        _ => row.unit_body,
    };
    Ok(DeskMessage {
        id: row.id,
        seq: row.seq,
        author: row.author_kind,
        author_role: row.author_role,
        unit_name,
        referral_id: row.referral_id,
        text: row.body,
        release: row.release,
        unit_text,
        created_at: row.created_at,
    })
}

/// What the anonymiser proposes a unit read of `text`, a reply on `request_id`.
fn proposal(
    conn: &mut DbConnection,
    vault: &Vault,
    request_id: &RequestId,
    text: &str,
) -> AppResult<String> {
    let (identity, codes) = super::handling::citizen_of(conn, vault, request_id)?;
    Ok(crate::domain::anonymise::propose(
        text,
        &super::handling::citizen(&identity, &codes),
    ))
}

/// The whole conversation of a request, for the desk.
pub fn for_desk(
    conn: &mut DbConnection,
    vault: &Vault,
    request_id: &RequestId,
) -> AppResult<Vec<DeskMessage>> {
    request_repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
    repo::of_request(conn, request_id)?
        .into_iter()
        .map(|row| desk_message(conn, vault, row))
        .collect()
}

/// The next row of a request's conversation.
fn new_row(
    conn: &mut DbConnection,
    request: &RequestRow,
    author: AuthorKind,
    referral_id: Option<ReferralId>,
    text: String,
    now: NaiveDateTime,
) -> AppResult<MessageRow> {
    repo::hold(conn, &request.id)?;
    Ok(MessageRow {
        id: db::new_id(),
        request_id: request.id.clone(),
        seq: repo::next_seq(conn, &request.id)?,
        author_kind: author,
        author_id: None,
        author_role: None,
        referral_id,
        body: text,
        unit_body: None,
        release: None,
        released_by: None,
        released_at: None,
        created_at: now,
    })
}

/// Attaches a message's uploads to it (in the message's transaction).
fn attach(
    conn: &mut DbConnection,
    files: &Files,
    ids: &[AttachmentId],
    uploader: Uploader<'_>,
    row: &MessageRow,
) -> AppResult<()> {
    let target = Target {
        request_id: &row.request_id,
        message_id: Some(&row.id),
        referral_id: row.referral_id.as_ref(),
    };
    super::attachments::attach(conn, files, ids, uploader, target)
}

/// Tells the citizen a message waits for them, unless the conversation's SMS allowance for the
/// day is spent (then they find it at their next visit). Returns whether an SMS was queued.
fn notify_citizen(
    conn: &mut DbConnection,
    limits: &Limits,
    request: &RequestRow,
    now: NaiveDateTime,
) -> AppResult<bool> {
    match limits.hit(conn, Limit::ConversationSmsPerRequest, request.id.as_str()) {
        Ok(_) => {}
        Err(AppError::Limited { .. }) => return Ok(false),
        Err(other) => return Err(other),
    }
    let recipient = super::requests::recipient(conn, &request.id)?;
    let params = serde_json::json!({ "tracking_code": request.tracking_code }).to_string();
    outbox::insert(
        conn,
        &NotificationRow::pending(
            Some(request.id.clone()),
            Template::MessageWaiting,
            &recipient,
            params,
            now,
        ),
    )?;
    Ok(true)
}

/// A staff-only history event beside the request's status.
pub(crate) fn record(
    conn: &mut DbConnection,
    request: &RequestRow,
    action: &'static str,
    actor: (ActorKind, Option<crate::domain::ids::UserId>),
    details: serde_json::Value,
    now: NaiveDateTime,
) -> AppResult<()> {
    history::record(
        conn,
        &request.id,
        Entry::beside(request.status, action),
        actor,
        details,
        now,
    )?;
    Ok(())
}

/// The desk writes to the citizen (any open status); the citizen is told by SMS.
pub fn desk_write(
    conn: &mut DbConnection,
    (limits, files, vault): (&Limits, &Files, &Vault),
    staff: &StaffUser,
    request_id: &RequestId,
    (text, attachments): (&str, &[AttachmentId]),
) -> AppResult<DeskMessage> {
    let text = parse_field("text", MessageText::parse(text))?;
    write_transaction(conn, |conn| {
        let request = request_repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
        conversation::open(request.status).map_err(refused)?;
        let now = db::now();
        let row = MessageRow {
            author_id: Some(staff.id.clone()),
            author_role: Some(staff.role),
            ..new_row(
                conn,
                &request,
                AuthorKind::Desk,
                None,
                text.into_string(),
                now,
            )?
        };
        repo::insert(conn, &row)?;
        attach(conn, files, attachments, Uploader::Staff(staff), &row)?;
        let notified = notify_citizen(conn, limits, &request, now)?;
        let details = serde_json::json!({"message": row.id, "sms": notified});
        let actor = (ActorKind::Staff, Some(staff.id.clone()));
        record(conn, &request, "message_to_citizen", actor, details, now)?;
        desk_message(conn, vault, row)
    })
}

/// A held reply goes to its unit: as the desk edited it, or as the anonymiser proposes. The
/// text is checked like a referral's (422 while it identifies the citizen).
pub fn release(
    conn: &mut DbConnection,
    vault: &Vault,
    staff: &StaffUser,
    request_id: &RequestId,
    message_id: &str,
    text: Option<&str>,
) -> AppResult<DeskMessage> {
    write_transaction(conn, |conn| {
        let request = request_repo::find(conn, request_id)?.ok_or(AppError::NotFound("request"))?;
        let row = repo::find(conn, request_id, message_id)?.ok_or(AppError::NotFound("message"))?;
        if row.release != Some(Release::Held) {
            return Err(refused(Refusal::NotHeld));
        }
        let unit_text = match text {
            Some(edited) => parse_field("text", MessageText::parse(edited))?.into_string(),
            None => proposal(conn, vault, request_id, &row.body)?,
        };
        let (identity, codes) = super::handling::citizen_of(conn, vault, request_id)?;
        super::handling::check_anonymous(&unit_text, &identity, &codes, "text")?;
        let now = db::now();
        if !repo::release(conn, &row.id, &unit_text, &staff.id, now)? {
            return Err(refused(Refusal::NotHeld));
        }
        let details = serde_json::json!({"message": row.id, "referral": row.referral_id});
        let actor = (ActorKind::Staff, Some(staff.id.clone()));
        record(conn, &request, "reply_released", actor, details, now)?;
        let released =
            repo::find(conn, request_id, message_id)?.ok_or(AppError::NotFound("message"))?;
        desk_message(conn, vault, released)
    })
}

fn unit_message(row: &MessageRow, referral_id: &ReferralId) -> Option<UnitMessage> {
    let (text, waiting) = match conversation::shown(&stored(row), Reader::Unit { referral_id }) {
        Shown::Hidden => return None,
        Shown::Text(text) => (Some(text.to_owned()), false),
        Shown::Waiting => (None, true),
    };
    Some(UnitMessage {
        id: row.id.clone(),
        seq: row.seq,
        author: row.author_kind,
        text,
        waiting_for_desk: waiting,
        created_at: row.created_at,
    })
}

/// A referral's conversation as its unit reads it (the desk may read it too).
pub fn for_unit(
    conn: &mut DbConnection,
    staff: &StaffUser,
    referral_id: &ReferralId,
) -> AppResult<Vec<UnitMessage>> {
    super::referrals::find_visible(conn, staff, referral_id)?;
    Ok(repo::of_referral(conn, referral_id)?
        .iter()
        .filter_map(|row| unit_message(row, referral_id))
        .collect())
}

/// The referral behind `referral_id` if `staff` works in its unit (404 otherwise, as for any
/// referral of another unit).
pub(crate) fn own_referral(
    conn: &mut DbConnection,
    staff: &StaffUser,
    referral_id: &ReferralId,
) -> AppResult<ReferralRow> {
    // Visible by the inbox's one rule (another unit's is "not found"), then read whole.
    super::referrals::find_visible(conn, staff, referral_id)?;
    referral_repo::find(conn, referral_id)?.ok_or(AppError::NotFound("referral"))
}

/// A unit asks the citizen a question about its referral; the citizen is told by SMS, and the
/// referral waits for the answer.
pub fn unit_ask(
    conn: &mut DbConnection,
    (limits, files, rules): (&Limits, &Files, &Rules),
    staff: &StaffUser,
    referral_id: &ReferralId,
    (text, attachments): (&str, &[AttachmentId]),
) -> AppResult<UnitMessage> {
    let text = parse_field("text", MessageText::parse(text))?;
    write_transaction(conn, |conn| {
        let referral = own_referral(conn, staff, referral_id)?;
        let request =
            request_repo::find(conn, &referral.request_id)?.ok_or(AppError::NotFound("request"))?;
        conversation::unit_may_ask(request.status, !referral.status.is_finished())
            .map_err(refused)?;
        let now = rules.now();
        let row = MessageRow {
            author_id: Some(staff.id.clone()),
            ..new_row(
                conn,
                &request,
                AuthorKind::Unit,
                Some(referral_id.clone()),
                text.into_string(),
                now,
            )?
        };
        repo::insert(conn, &row)?;
        // The referral now waits for the citizen: its deadlines' clocks stop. After the
        // message, as a reply resumes them after its own, so that the two take their locks
        // in one order.
        super::deadlines::pause(conn, referral_id, now)?;
        attach(conn, files, attachments, Uploader::Staff(staff), &row)?;
        let notified = notify_citizen(conn, limits, &request, now)?;
        let details =
            serde_json::json!({"message": row.id, "referral": referral.reference, "sms": notified});
        let actor = (ActorKind::Staff, Some(staff.id.clone()));
        record(conn, &request, "question_from_unit", actor, details, now)?;
        unit_message(&row, referral_id)
            .ok_or_else(|| AppError::Internal("a unit cannot read its own question".to_owned()))
    })
}

fn citizen_message(conn: &mut DbConnection, row: &MessageRow) -> AppResult<CitizenMessage> {
    let unit_name = match (row.author_kind, &row.referral_id) {
        (AuthorKind::Unit, Some(referral)) => Some(unit_name(conn, referral)?),
        _ => None,
    };
    Ok(CitizenMessage {
        id: row.id.clone(),
        seq: row.seq,
        author: row.author_kind,
        unit_name,
        staff_role: row.author_role,
        text: row.body.clone(),
        created_at: row.created_at,
    })
}

/// The conversation of the citizen's own request.
pub fn for_citizen(
    conn: &mut DbConnection,
    request: &RequestRow,
) -> AppResult<Vec<CitizenMessage>> {
    repo::of_request(conn, &request.id)?
        .iter()
        .filter(|row| conversation::shown(&stored(row), Reader::Citizen) != Shown::Hidden)
        .map(|row| citizen_message(conn, row))
        .collect()
}

/// The citizen's answer ends the wait: the referral's clocks run again with the time they had
/// left, and the referral shows the answer's new due time (returned, for the history).
fn end_wait(
    conn: &mut DbConnection,
    rules: &Rules,
    referral: &ReferralId,
    now: NaiveDateTime,
) -> AppResult<Option<String>> {
    let Some(due) = super::deadlines::resume(conn, rules, referral, now)? else {
        return Ok(None);
    };
    referral_repo::set_due(conn, referral, None, due, now)?;
    Ok(Some(due.and_utc().to_rfc3339()))
}

/// The citizen answers. The reply goes to the desk, and to the unit whose question is the
/// latest: straight when the anonymiser finds nothing in it, held for the desk otherwise.
pub fn citizen_reply(
    conn: &mut DbConnection,
    (limits, files, rules): (&Limits, &Files, &Rules),
    request: &RequestRow,
    (text, attachments): (&str, &[AttachmentId]),
) -> AppResult<CitizenMessage> {
    let text = parse_field("text", MessageText::parse(text))?;
    conversation::open(request.status).map_err(refused)?;
    limits.hit(conn, Limit::CitizenMessagesPerRequest, request.id.as_str())?;
    let now = rules.now();
    // The latest question's referral, while its unit still works on it.
    let referral = match repo::latest_question_referral(conn, &request.id)? {
        Some(id) => referral_repo::find(conn, &id)?
            .filter(|r| !r.status.is_finished())
            .map(|r| r.id),
        None => None,
    };
    let (release, unit_body) = match &referral {
        None => (None, None),
        Some(_) => {
            let (identity, codes) = super::handling::citizen_of(conn, &rules.vault, &request.id)?;
            let who = super::handling::citizen(&identity, &codes);
            match conversation::route(text.as_str(), &who) {
                Routing::Straight => (Some(Release::Released), Some(text.as_str().to_owned())),
                Routing::Held { .. } => (Some(Release::Held), None),
            }
        }
    };
    let row = MessageRow {
        release,
        unit_body,
        ..new_row(
            conn,
            request,
            AuthorKind::Citizen,
            referral,
            text.into_string(),
            now,
        )?
    };
    repo::insert(conn, &row)?;
    attach(conn, files, attachments, Uploader::Citizen, &row)?;
    let resumed = match &row.referral_id {
        Some(referral) => end_wait(conn, rules, referral, now)?,
        None => None,
    };
    let details = serde_json::json!({
        "message": row.id, "held": row.release == Some(Release::Held), "files": attachments.len(),
        "due_at": resumed,
    });
    record(
        conn,
        request,
        "citizen_replied",
        (ActorKind::Citizen, None),
        details,
        now,
    )?;
    citizen_message(conn, &row)
}
