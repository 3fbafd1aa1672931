//! `meetings`: the head's calendar, and the meeting commands on a request (schedule,
//! reschedule, cancel, outcome, redirect, decline). Times are accepted as RFC 3339 with any
//! offset, stored in UTC, and returned in UTC with the Tehran local time and Solar Hijri date.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::error::{ApiError, Kind, Problem};
use super::handling::{ReferBody, command};
use super::json::ValidJson;
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::handling::NewReferral;
use crate::app::meeting_day::{self, MeetingOfTheDay};
use crate::app::meetings::{self, CalendarWindow, FollowUp, Meeting, MeetingStatus, Outcome, Slot};
use crate::domain::Role;
use crate::domain::jalali::{LocalTime, local_time};
use crate::domain::lifecycle::Action;

/// When and where the head meets the citizen.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"starts_at": "2026-12-02T10:30:00+03:30", "duration_minutes": 30, "place": "دفتر ریاست، طبقه‌ی دوم"}))]
pub struct SlotBody {
    /// RFC 3339 with an offset, e.g. `2026-12-02T10:30:00+03:30` (Tehran).
    pub starts_at: DateTime<FixedOffset>,
    /// 5 to 480.
    #[schema(minimum = 5, maximum = 480)]
    pub duration_minutes: i64,
    #[schema(min_length = 2, max_length = 200)]
    pub place: String,
}

impl SlotBody {
    fn slot(self) -> Slot {
        Slot {
            starts_at: self.starts_at.with_timezone(&Utc).naive_utc(),
            duration_minutes: self.duration_minutes,
            place: self.place,
        }
    }
}

/// One follow-up: the unit and the anonymised text it receives.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    pub unit_id: Uuid,
    /// The text the unit will read, 10 to 4000 characters; refused as `refer` refuses it
    /// (422, `identifies_citizen`) while it still identifies the citizen.
    #[schema(min_length = 10, max_length = 4000)]
    pub text: String,
}

/// What the head records after the meeting time.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"held": true, "notes": "قرار شد واحد مالی پیگیری کند", "follow_ups": [{"unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "text": "پیگیری تأخیر در پرداخت مطالبات بیمارستان"}]}))]
pub struct OutcomeBody {
    /// false: the citizen did not come (`no_show`).
    pub held: bool,
    pub notes: Option<String>,
    /// Units that must act; none means the meeting needed no further action.
    #[serde(default)]
    pub follow_ups: Vec<FollowUpBody>,
}

/// Why a meeting request is declined (told to the citizen).
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"reason": "موضوع درخواست در حیطه‌ی اختیارات مرکز نیست"}))]
pub struct DeclineBody {
    #[schema(min_length = 10, max_length = 4000)]
    pub reason: String,
}

/// A meeting on the head's calendar.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeetingView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub request_id: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The start as read in Tehran.
    pub local: LocalTime,
    pub place: String,
    pub status: MeetingStatus,
    pub action_required: Option<bool>,
    pub notes: Option<String>,
    pub version: i32,
}

impl From<Meeting> for MeetingView {
    fn from(m: Meeting) -> Self {
        Self {
            local: local_time(utc(m.starts_at)),
            id: m.id.into(),
            request_id: m.request_id.into(),
            starts_at: utc(m.starts_at),
            ends_at: utc(m.ends_at),
            place: m.place,
            status: m.status,
            action_required: m.action_required,
            notes: m.notes,
            version: m.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingList {
    pub items: Vec<MeetingView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// Meetings starting at or after (RFC 3339); now when absent.
    pub from: Option<DateTime<FixedOffset>>,
    /// Meetings starting before (RFC 3339), at most 92 days after `from`; 7 days after `from`
    /// when absent.
    pub to: Option<DateTime<FixedOffset>>,
    /// Only this request's meetings, every one it ever had (then `from` and `to` apply only
    /// when given).
    pub request_id: Option<Uuid>,
}

const CALENDAR: &[Role] = &[Role::Reviewer, Role::Head, Role::Admin];

/// Schedule a meeting with the head (`in_review`, kind meeting → `meeting_scheduled`; SMS with
/// the Solar Hijri date and Tehran time). Overlapping another scheduled meeting is 409.
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), request_body = SlotBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Scheduled", body = super::requests::RequestDetailView),
        (status = 409, description = "Not possible now, or overlaps another meeting (`meeting-overlap`, naming it)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/schedule")]
pub async fn schedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<SlotBody>,
) -> Result<HttpResponse, ApiError> {
    let slot = body.into_inner().map(|body| body.slot());
    command(
        (&req, &state, &staff),
        Action::Schedule,
        id,
        slot,
        meetings::schedule,
    )
    .await
}

/// Move a scheduled meeting (reviewer, head; SMS).
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), request_body = SlotBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Rescheduled", body = super::requests::RequestDetailView),
        (status = 409, description = "Not possible now, or overlaps another meeting", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/reschedule")]
pub async fn reschedule(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<SlotBody>,
) -> Result<HttpResponse, ApiError> {
    let slot = body.into_inner().map(|body| body.slot());
    command(
        (&req, &state, &staff),
        Action::Reschedule,
        id,
        slot,
        meetings::reschedule,
    )
    .await
}

/// Cancel a scheduled meeting; the request goes back to review (reviewer, head; SMS).
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Cancelled; the request is `in_review`", body = super::requests::RequestDetailView),
    )
)]
#[post("/requests/{id}/cancel")]
pub async fn cancel(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    command(
        (&req, &state, &staff),
        Action::Cancel,
        id,
        Ok(()),
        |conn, id, caller, ()| meetings::cancel(conn, id, caller),
    )
    .await
}

/// Record the meeting's outcome (head): no show, held with no action (SMS), or held with
/// follow-up referrals to units (→ `follow_up`).
///
/// Only once the meeting's start time has passed: earlier it is 409 `meeting-not-started`,
/// naming the start.
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), request_body = OutcomeBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Recorded", body = super::requests::RequestDetailView),
        (status = 409, description = "Not possible in this status, or the meeting has not started yet (`meeting-not-started`, naming its start)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/outcome")]
pub async fn outcome(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<OutcomeBody>,
) -> Result<HttpResponse, ApiError> {
    let outcome = body.into_inner().map(|body| Outcome {
        held: body.held,
        notes: body.notes,
        follow_ups: body
            .follow_ups
            .into_iter()
            .map(|f| FollowUp {
                unit_id: f.unit_id.into(),
                text: f.text,
            })
            .collect(),
    });
    command(
        (&req, &state, &staff),
        Action::Outcome,
        id,
        outcome,
        meetings::record_outcome,
    )
    .await
}

/// Hand a meeting request to a unit instead of a meeting (reviewer; SMS).
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), request_body = ReferBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Redirected; the request is `referred`", body = super::requests::RequestDetailView),
    )
)]
#[post("/requests/{id}/redirect")]
pub async fn redirect(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<ReferBody>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner().map(NewReferral::from);
    command(
        (&req, &state, &staff),
        Action::Redirect,
        id,
        input,
        meetings::redirect,
    )
    .await
}

/// Decline a meeting request with a reason (reviewer; SMS).
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), request_body = DeclineBody,
    params(("id" = Uuid, Path, description = "The request's id")),
    responses(
        (status = 200, description = "Declined; the request is closed", body = super::requests::RequestDetailView),
    )
)]
#[post("/requests/{id}/decline")]
pub async fn decline(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
    body: ValidJson<DeclineBody>,
) -> Result<HttpResponse, ApiError> {
    let reason = body.into_inner().map(|body| body.reason);
    command(
        (&req, &state, &staff),
        Action::Decline,
        id,
        reason,
        |conn, id, caller, reason| meetings::decline(conn, id, caller, &reason),
    )
    .await
}

/// The head's calendar (reviewer, head, admin).
#[utoipa::path(tag = "meetings", security(("bearer" = [])), params(CalendarQuery), responses((status = 200, description = "Meetings by start time", body = MeetingList)))]
#[get("/meetings")]
pub async fn calendar(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<CalendarQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(CALENDAR)?;
    let query = query.into_inner();
    let naive = |t: DateTime<FixedOffset>| t.with_timezone(&Utc).naive_utc();
    if let Some(request_id) = query.request_id {
        let (from, to) = (query.from.map(naive), query.to.map(naive));
        let meetings = state
            .db(move |conn| meetings::of_request(conn, &request_id.into(), from, to))
            .await?;
        return Ok(HttpResponse::Ok().json(MeetingList {
            items: meetings.into_iter().map(MeetingView::from).collect(),
        }));
    }
    let Some(window) = CalendarWindow::asked(query.from.map(naive), query.to.map(naive)) else {
        return Err(ApiError::new(
            Kind::BadParameter,
            "to must be after from, at most 92 days later",
        ));
    };
    let meetings = state
        .db(move |conn| meetings::calendar(conn, window))
        .await?;
    Ok(HttpResponse::Ok().json(MeetingList {
        items: meetings.into_iter().map(MeetingView::from).collect(),
    }))
}

/// One meeting (reviewer, head, admin).
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), params(("id" = Uuid, Path, description = "The meeting's id")),
    responses(
        (status = 200, description = "The meeting", body = MeetingView),
        (status = 404, description = "No such meeting", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/meetings/{id}")]
pub async fn get_meeting(
    state: web::Data<AppState>,
    staff: Staff,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    staff.require(CALENDAR)?;
    let id = id.into_inner().into();
    let meeting = state.db(move |conn| meetings::get(conn, &id)).await?;
    Ok(HttpResponse::Ok().json(MeetingView::from(meeting)))
}

/// A meeting of the day and whether its citizen has arrived.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MeetingOfTheDayView {
    #[serde(flatten)]
    pub meeting: MeetingView,
    /// When the desk checked the citizen in; `null` while they have not arrived.
    pub arrived_at: Option<DateTime<Utc>>,
}

impl From<MeetingOfTheDay> for MeetingOfTheDayView {
    fn from(m: MeetingOfTheDay) -> Self {
        Self {
            meeting: MeetingView::from(m.meeting),
            arrived_at: m.arrived_at.map(utc),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DayView {
    /// Today's date in Tehran, Jalali, e.g. `1405-09-11`.
    pub jalali_date: String,
    pub items: Vec<MeetingOfTheDayView>,
}

/// The citizen at the desk for their meeting, by tracking code.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"tracking_code": "405713928602"}))]
pub struct CheckInBody {
    /// The request's tracking code, in any digits, spaces and dashes allowed.
    pub tracking_code: String,
}

/// Check a citizen in for today's meeting (intake, reviewer, admin).
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])), request_body = CheckInBody,
    responses(
        (status = 200, description = "Arrived (a second check-in answers the first arrival)", body = MeetingOfTheDayView),
        (status = 404, description = "No request with this code, or it has no scheduled meeting", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The meeting is on another day (`not-today`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/meetings/check-in")]
pub async fn check_in(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<CheckInBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(meeting_day::CHECKERS)?;
    let code = body.into_inner()?.tracking_code;
    let (user, now) = (staff.user().id.clone(), state.deadlines.now());
    let arrived = state
        .db(move |conn| meeting_day::check_in(conn, &user, &code, now))
        .await?;
    Ok(HttpResponse::Ok().json(MeetingOfTheDayView::from(arrived)))
}

/// The head's day: today's meetings (Tehran's today) with who has arrived.
#[utoipa::path(
    tag = "meetings", security(("bearer" = [])),
    responses((status = 200, description = "Today's meetings, by start time", body = DayView))
)]
#[get("/meetings/today")]
pub async fn today(state: web::Data<AppState>, staff: Staff) -> Result<HttpResponse, ApiError> {
    staff.require(CALENDAR)?;
    let now = state.deadlines.now();
    let items = state.db(move |conn| meeting_day::today(conn, now)).await?;
    Ok(HttpResponse::Ok().json(DayView {
        jalali_date: local_time(utc(now)).jalali_date,
        items: items.into_iter().map(Into::into).collect(),
    }))
}
