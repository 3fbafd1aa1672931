//! The head's calendar and the meeting commands: schedule, reschedule, cancel, the head's
//! outcome (with follow-up referrals), and the alternatives to a meeting (redirect to a unit,
//! decline). Two scheduled meetings never overlap: the check and the write share a transaction,
//! and on PostgreSQL an advisory lock serialises schedulers.

use chrono::{Duration, NaiveDateTime};

use crate::db::meetings::{self as repo, MeetingRow};
use crate::db::{self, DbConnection};
use crate::domain::citizen::RequestText;
use crate::domain::ids::{MeetingId, RequestId, UnitId, UserId};
use crate::domain::lifecycle::{Command, MeetingOutcome};
use crate::domain::meeting::MeetingEvent;
pub use crate::domain::meeting::MeetingStatus;
use crate::domain::referral::ReferralReason;
use crate::domain::{FieldError, parse_field};

use super::handling::{
    self, Caller, Effects, check_anonymous, citizen_tracking_codes, insert_referral,
    require_active_unit,
};
use super::requests::RequestDetail;
use super::{AppError, AppResult};

/// The shortest and longest meeting accepted, in minutes.
pub const DURATION_MINUTES: std::ops::RangeInclusive<i64> = 5..=480;

#[derive(Debug, Clone, PartialEq)]
pub struct Meeting {
    pub id: MeetingId,
    pub request_id: RequestId,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub place: String,
    pub status: MeetingStatus,
    pub action_required: Option<bool>,
    pub notes: Option<String>,
    pub version: i32,
}

/// When and where.
#[derive(Debug, Clone)]
pub struct Slot {
    pub starts_at: NaiveDateTime,
    pub duration_minutes: i64,
    pub place: String,
}

impl Slot {
    fn check(&self) -> AppResult<(NaiveDateTime, String)> {
        let mut errors = Vec::new();
        if !DURATION_MINUTES.contains(&self.duration_minutes) {
            errors.push(FieldError::new(
                "duration_minutes",
                "range",
                "a meeting lasts 5 to 480 minutes",
            ));
        }
        if self.starts_at <= db::now() {
            errors.push(FieldError::new(
                "starts_at",
                "in_the_past",
                "a meeting starts in the future",
            ));
        }
        let place = crate::domain::text::normalise_line(&self.place);
        if !(2..=200).contains(&place.chars().count()) {
            errors.push(FieldError::new(
                "place",
                "length",
                "a place has 2 to 200 characters",
            ));
        }
        if !errors.is_empty() {
            return Err(AppError::Invalid(errors));
        }
        Ok((
            self.starts_at + Duration::minutes(self.duration_minutes),
            place,
        ))
    }
}

/// Refuses a slot that overlaps another scheduled meeting, naming it.
fn require_free(
    conn: &mut DbConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    except: Option<&MeetingId>,
) -> AppResult<()> {
    repo::lock_calendar(conn)?;
    match repo::overlapping(conn, start, end, except)? {
        Some(other) => Err(AppError::conflict(
            "meeting-overlap",
            format!(
                "the head has another meeting ({}) from {} to {}",
                other.id,
                other.starts_at.and_utc().to_rfc3339(),
                other.ends_at.and_utc().to_rfc3339()
            ),
        )),
        None => Ok(()),
    }
}

/// The parameters of a meeting's SMS: the instant and the place. The text (Solar Hijri date,
/// Tehran time) is rendered at sending, by the templates.
pub(crate) fn time_params(start: NaiveDateTime, place: &str) -> serde_json::Value {
    serde_json::json!({"starts_at": start.and_utc().to_rfc3339(), "place": place})
}

pub fn schedule(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    slot: Slot,
) -> AppResult<RequestDetail> {
    let (end, place) = slot.check()?;
    handling::run(
        conn,
        request_id,
        caller,
        Command::Schedule,
        |conn, request, _, _| {
            require_free(conn, slot.starts_at, end, None)?;
            let now = db::now();
            let id = MeetingId::generate();
            repo::insert(
                conn,
                &MeetingRow {
                    id: id.clone(),
                    request_id: request.id.clone(),
                    starts_at: slot.starts_at,
                    ends_at: end,
                    place: place.clone(),
                    status: MeetingStatus::Scheduled,
                    action_required: None,
                    notes: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            Ok(Effects {
                details: serde_json::json!({"meeting": id, "starts_at": slot.starts_at.and_utc().to_rfc3339(), "ends_at": end.and_utc().to_rfc3339(), "place": place}),
                params: time_params(slot.starts_at, &place),
            })
        },
    )
}

fn current_meeting(conn: &mut DbConnection, request_id: &RequestId) -> AppResult<MeetingRow> {
    repo::scheduled_for(conn, request_id)?.ok_or_else(|| {
        AppError::Internal(format!(
            "request {request_id} is meeting_scheduled without a scheduled meeting"
        ))
    })
}

/// The status `event` moves a stored meeting to (the domain's rule); a meeting that is final
/// already was changed by someone else meanwhile.
fn moved(row: &MeetingRow, event: MeetingEvent) -> AppResult<MeetingStatus> {
    row.status
        .after(event)
        .ok_or_else(|| handling::concurrent_change("meeting"))
}

fn save(conn: &mut DbConnection, row: MeetingRow) -> AppResult<()> {
    let version = row.version;
    if repo::update(
        conn,
        &MeetingRow {
            updated_at: db::now(),
            ..row
        },
        version,
    )? {
        Ok(())
    } else {
        Err(handling::concurrent_change("meeting"))
    }
}

pub fn reschedule(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    slot: Slot,
) -> AppResult<RequestDetail> {
    let (end, place) = slot.check()?;
    handling::run(
        conn,
        request_id,
        caller,
        Command::Reschedule,
        |conn, _, _, _| {
            let meeting = current_meeting(conn, request_id)?;
            require_free(conn, slot.starts_at, end, Some(&meeting.id))?;
            let details = serde_json::json!({
                "meeting": meeting.id, "from": meeting.starts_at.and_utc().to_rfc3339(),
                "starts_at": slot.starts_at.and_utc().to_rfc3339(), "place": place,
            });
            save(
                conn,
                MeetingRow {
                    starts_at: slot.starts_at,
                    ends_at: end,
                    place: place.clone(),
                    ..meeting
                },
            )?;
            Ok(Effects {
                details,
                params: time_params(slot.starts_at, &place),
            })
        },
    )
}

pub fn cancel(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
) -> AppResult<RequestDetail> {
    handling::run(
        conn,
        request_id,
        caller,
        Command::Cancel,
        |conn, _, _, _| {
            let meeting = current_meeting(conn, request_id)?;
            let details = serde_json::json!({"meeting": meeting.id});
            let status = moved(&meeting, MeetingEvent::Cancel)?;
            save(conn, MeetingRow { status, ..meeting })?;
            Ok(Effects {
                details,
                params: serde_json::json!({}),
            })
        },
    )
}

/// One follow-up the head asks for: a unit and the anonymised text it receives.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub unit_id: UnitId,
    pub text: String,
}

/// What the head records after the meeting time.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub held: bool,
    pub notes: Option<String>,
    pub follow_ups: Vec<FollowUp>,
}

pub fn record_outcome(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    outcome: Outcome,
) -> AppResult<RequestDetail> {
    let texts = follow_up_texts(&outcome)?;
    let kind = match (outcome.held, outcome.follow_ups.len()) {
        (false, _) => MeetingOutcome::NoShow,
        (true, 0) => MeetingOutcome::HeldNoAction,
        (true, n) => MeetingOutcome::HeldWithFollowUps(n),
    };
    handling::run(
        conn,
        request_id,
        caller,
        Command::RecordOutcome(kind),
        |conn, request, identity, _| {
            let meeting = current_meeting(conn, request_id)?;
            let follow_ups = FollowUps {
                request,
                identity,
                staff_id: &caller.staff.id,
                rules: &caller.rules,
            };
            let references = follow_ups.refer(conn, &outcome.follow_ups, &texts)?;
            let event = if outcome.held {
                MeetingEvent::Held
            } else {
                MeetingEvent::NoShow
            };
            let status = moved(&meeting, event)?;
            let details = serde_json::json!({"meeting": meeting.id, "held": outcome.held, "follow_ups": references});
            save(
                conn,
                MeetingRow {
                    status,
                    action_required: Some(!outcome.follow_ups.is_empty()),
                    notes: outcome.notes.clone(),
                    ..meeting
                },
            )?;
            Ok(Effects {
                details,
                ..Effects::none()
            })
        },
    )
}

/// The follow-ups' texts, parsed (every one named by its place); follow-ups come only from a
/// meeting that was held.
fn follow_up_texts(outcome: &Outcome) -> AppResult<Vec<RequestText>> {
    if !outcome.held && !outcome.follow_ups.is_empty() {
        return Err(FieldError::new(
            "follow_ups",
            "not_held",
            "follow-ups come only from a meeting that was held",
        )
        .into());
    }
    outcome
        .follow_ups
        .iter()
        .enumerate()
        .map(|(i, follow_up)| {
            Ok(parse_field(
                &format!("follow_ups[{i}].text"),
                RequestText::parse(&follow_up.text),
            )?)
        })
        .collect()
}

/// What the follow-up referrals of a meeting are made from.
struct FollowUps<'a> {
    request: &'a super::requests::Request,
    identity: &'a super::requests::Identity,
    staff_id: &'a UserId,
    rules: &'a super::deadlines::Rules,
}

impl FollowUps<'_> {
    /// One referral per follow-up, each to an active unit with a text that does not identify
    /// the citizen; returns their references.
    fn refer(
        &self,
        conn: &mut DbConnection,
        follow_ups: &[FollowUp],
        texts: &[RequestText],
    ) -> AppResult<Vec<String>> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let codes = citizen_tracking_codes(conn, &self.rules.vault, self.identity)?;
        let now = self.rules.now();
        let mut references = Vec::new();
        for (i, (follow_up, text)) in follow_ups.iter().zip(texts).enumerate() {
            require_active_unit(
                conn,
                &follow_up.unit_id,
                &format!("follow_ups[{i}].unit_id"),
            )?;
            check_anonymous(
                text.as_str(),
                self.identity,
                &codes,
                &format!("follow_ups[{i}].text"),
            )?;
            let due = super::deadlines::answer_due(
                self.rules,
                self.request.kind,
                &follow_up.unit_id,
                now,
            );
            references.push(insert_referral(
                conn,
                self.rules,
                self.request,
                self.staff_id,
                &follow_up.unit_id,
                ReferralReason::MeetingFollowUp,
                text.as_str(),
                due,
                now,
            )?);
        }
        Ok(references)
    }
}

/// Hands a meeting request to a unit instead of a meeting (`redirect`).
pub fn redirect(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    referral: handling::NewReferral,
) -> AppResult<RequestDetail> {
    handling::hand_to_unit(
        conn,
        request_id,
        caller,
        referral,
        Command::Redirect,
        ReferralReason::MeetingRedirect,
    )
}

/// Declines a meeting request with a reason the citizen is told (`decline`).
pub fn decline(
    conn: &mut DbConnection,
    request_id: &RequestId,
    caller: &Caller,
    reason: &str,
) -> AppResult<RequestDetail> {
    let reason = parse_field("reason", RequestText::parse(reason))?;
    handling::run(conn, request_id, caller, Command::Decline, |_, _, _, _| {
        Ok(Effects {
            details: serde_json::json!({"reason": reason.as_str()}),
            params: serde_json::json!({"reason": reason.as_str()}),
        })
    })
}

/// A calendar's span when the client names no end: a week.
const DEFAULT_CALENDAR_DAYS: i64 = 7;
/// The longest calendar served at once.
const MAX_CALENDAR_DAYS: i64 = 92;

/// The span of a calendar, `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarWindow {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
}

impl CalendarWindow {
    /// The span a client asks for: from `from`, or now; to `to`, or a week later. `None`
    /// unless `to` is after `from` and at most 92 days later.
    pub fn asked(from: Option<NaiveDateTime>, to: Option<NaiveDateTime>) -> Option<Self> {
        let from = from.unwrap_or_else(db::now);
        let to = match to {
            Some(to) => to,
            None => from.checked_add_signed(Duration::days(DEFAULT_CALENDAR_DAYS))?,
        };
        (from < to && to - from <= Duration::days(MAX_CALENDAR_DAYS)).then_some(Self { from, to })
    }
}

/// The calendar of a window, by start time.
pub fn calendar(conn: &mut DbConnection, window: CalendarWindow) -> AppResult<Vec<Meeting>> {
    repo::calendar(conn, window.from, window.to)?
        .into_iter()
        .map(|row| Ok(Meeting::from(row)))
        .collect()
}

/// Every meeting a request ever had, by start time, starting in [from, to) where given.
pub fn of_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> AppResult<Vec<Meeting>> {
    repo::of_request(conn, request_id, from, to)?
        .into_iter()
        .map(|row| Ok(Meeting::from(row)))
        .collect()
}

pub fn get(conn: &mut DbConnection, id: &MeetingId) -> AppResult<Meeting> {
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound("meeting"))?;
    Ok(Meeting::from(row))
}

impl From<MeetingRow> for Meeting {
    fn from(row: MeetingRow) -> Self {
        Meeting {
            status: row.status,
            id: row.id,
            request_id: row.request_id,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            place: row.place,
            action_required: row.action_required,
            notes: row.notes,
            version: row.version,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_runs_a_week_from_now_unless_told_and_at_most_92_days() {
        let before = db::now();
        let window = CalendarWindow::asked(None, None).unwrap();
        assert!(window.from >= before);
        assert_eq!(window.to - window.from, Duration::days(7));
        let from = before;
        let asked = |days| CalendarWindow::asked(Some(from), Some(from + Duration::days(days)));
        assert!(asked(92).is_some());
        assert_eq!(asked(93), None);
        assert_eq!(asked(0), None);
        assert_eq!(asked(-1), None);
    }
}
