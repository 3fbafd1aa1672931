//! `stats`: the dashboard figures of a period (reviewer, head, admin) — counts of requests and
//! contacts, median handling times, ratings, each unit's current referral workload, and the
//! scorecard (each unit's referrals of the period judged; the weekly count), as JSON or, for
//! the scorecard, CSV (`Accept: text/csv`).

use std::collections::BTreeMap;

use actix_web::http::header::{self, Header};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Duration, DurationRound, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Kind, Problem};
use super::scorecard::{UnitScoreView, WeekView};
use super::staff::Staff;
use super::state::AppState;
use super::stats_csv::{self, CsvReport};
use super::views::utc;
use crate::app::stats::{
    self, ContactStats, RatingStats, RequestStats, StatsReport, UnitWorkload, Window,
};
use crate::domain::Role;

/// Roles that see the dashboard.
const DASHBOARD: &[Role] = &[Role::Reviewer, Role::Head, Role::Admin];

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StatsQuery {
    /// Start of the period, inclusive (RFC 3339 with an offset); 30 days before `to` when
    /// absent.
    pub from: Option<DateTime<FixedOffset>>,
    /// End of the period, exclusive (RFC 3339 with an offset); now when absent. Must be after
    /// `from`.
    pub to: Option<DateTime<FixedOffset>>,
    /// Which scorecard table a CSV answer holds (`Accept: text/csv`): `units` (the default) or
    /// `weeks`. A JSON answer holds both.
    #[param(inline)]
    pub report: Option<CsvReport>,
}

/// Requests created in the period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RequestCounts {
    pub total: i64,
    /// Every kind, zero or not, by the kind set on review; `unclassified` until then.
    pub by_kind: BTreeMap<String, i64>,
    /// Every channel, zero or not.
    pub by_channel: BTreeMap<String, i64>,
    /// Every status, zero or not: where the period's requests stand now.
    pub by_status: BTreeMap<String, i64>,
    /// Every resolution, zero or not; counts closed requests only.
    pub by_resolution: BTreeMap<String, i64>,
}

/// Contacts logged in the period.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactTotals {
    pub total: i64,
    /// Every outcome, zero or not.
    pub by_outcome: BTreeMap<String, i64>,
}

/// One unit's referrals that wait for it now.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnitWorkloadView {
    #[schema(format = Uuid)]
    pub unit_id: String,
    pub unit_name: String,
    /// Unanswered: open, acknowledged or returned.
    pub open: i64,
    /// Of those, past their due time now.
    pub overdue: i64,
}

/// The citizens' ratings of the period's requests.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RatingSummary {
    pub count: i64,
    /// Mean score, 1 to 5; null when nobody rated.
    pub mean: Option<f64>,
}

/// The dashboard figures of `[from, to)`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-11-01T00:00:00Z", "to": "2026-12-01T00:00:00Z",
    "requests": {
        "total": 12,
        "by_kind": {"meeting": 3, "suggestion": 1, "criticism": 0, "complaint": 5, "report": 1, "unclassified": 2},
        "by_channel": {"in_person": 4, "phone": 3, "online": 5},
        "by_status": {"registered": 2, "in_review": 1, "referred": 3, "meeting_scheduled": 1, "follow_up": 0, "closed": 5},
        "by_resolution": {"thanked": 1, "declined": 0, "no_show": 0, "meeting_no_action": 1, "resolved": 2, "withdrawn": 1}
    },
    "contacts": {"total": 9, "by_outcome": {"guided": 5, "transferred": 2, "registered": 2}},
    "referrals": [{"unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "unit_name": "واحد امور مالی", "open": 3, "overdue": 1}],
    "median_hours_to_first_decision": 5.5, "median_hours_to_closure": 30.0,
    "rating": {"count": 2, "mean": 4.5},
    "units": [{
        "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "unit_name": "واحد امور مالی",
        "received": 4, "on_time": 1, "late": 1, "overdue": 1, "pending": 1, "withdrawn": 0,
        "returned_answers": 0, "median_working_days_to_acknowledge": 0.63,
        "median_working_days_to_answer": 3.0, "rating": {"count": 2, "mean": 4.5}
    }],
    "weeks": [{
        "starts_on": "2026-11-28", "starts_on_jalali": "1405-09-07", "complete": true, "total": 3,
        "counts": {
            "meeting": {"in_person": 1, "phone": 0, "online": 0},
            "suggestion": {"in_person": 0, "phone": 0, "online": 0},
            "criticism": {"in_person": 0, "phone": 0, "online": 0},
            "complaint": {"in_person": 0, "phone": 0, "online": 2},
            "report": {"in_person": 0, "phone": 0, "online": 0},
            "unclassified": {"in_person": 0, "phone": 0, "online": 0}
        }
    }]
}))]
pub struct StatsView {
    /// Start of the period, inclusive, in UTC.
    pub from: DateTime<Utc>,
    /// End of the period, exclusive, in UTC.
    pub to: DateTime<Utc>,
    pub requests: RequestCounts,
    pub contacts: ContactTotals,
    /// Every unit with at least one unanswered referral, by name. A current workload figure:
    /// all referrals count, whenever made, not only those of the period.
    pub referrals: Vec<UnitWorkloadView>,
    /// Median hours from registration to the first step after it (classification, withdrawal…),
    /// over the period's requests that had one; null when none had.
    pub median_hours_to_first_decision: Option<f64>,
    /// Median hours from registration to closure, over the period's closed requests; null when
    /// none is closed.
    pub median_hours_to_closure: Option<f64>,
    pub rating: RatingSummary,
    /// The scorecard: every active unit (and any inactive one that received a referral in the
    /// period), by name, with the referrals it received in the period judged.
    pub units: Vec<UnitScoreView>,
    /// The weekly count (Saturday to Friday in Tehran) of the period's requests by kind and
    /// channel, every week that has a day in the period, oldest first.
    pub weeks: Vec<WeekView>,
}

/// Counts and handling times of a period (reviewer, head, admin).
///
/// Requests and contacts created in `[from, to)` are counted; every key of every breakdown is
/// present, zero or not. Handling times are medians in hours over the period's requests.
/// `referrals` is different: it is the current workload of each unit (unanswered referrals and
/// how many are overdue now), whatever the period.
///
/// `units` is the scorecard the oversight bodies grade on: each unit's referrals made in the
/// period, judged on the first answer against the first answer deadline (on time, late), or,
/// unanswered, as still overdue now, pending, or closed without an answer; median working days
/// to acknowledge and to answer; returned answers; the ratings of the requests it worked on.
/// `weeks` is the weekly count provincial offices send on Saturdays. With `Accept: text/csv`
/// the answer is one of those tables as CSV (`report=units`, the default, or `report=weeks`):
/// UTF-8 with a byte-order mark, Persian headers, Solar Hijri dates, ASCII digits.
#[utoipa::path(
    tag = "stats", security(("bearer" = [])), params(StatsQuery),
    responses(
        (status = 200, description = "The figures of the period; with `Accept: text/csv`, the scorecard table named by `report` as a CSV attachment",
            content(
                (StatsView = "application/json"),
                (String = "text/csv", example = "\u{FEFF}واحد,از,تا,ارجاع دریافتی,پاسخ به‌موقع,پاسخ با تأخیر,معوق,در جریان,بسته‌شده بی‌پاسخ,پاسخ برگشتی,میانه‌ی روز کاری تا اعلام وصول,میانه‌ی روز کاری تا پاسخ,تعداد نظرسنجی,میانگین رضایت (۱ تا ۵)\nواحد امور مالی,1405/09/28,1405/10/05,4,1,1,1,1,0,0,0.63,3,2,4.5\n"),
            ),
            headers(("Content-Disposition" = String, description = "For CSV: `attachment; filename=\"mardom-units-1405-09-28-1405-10-05.csv\"`"))),
        (status = 400, description = "`to` is not after `from`, a time is not RFC 3339 with an offset, or an unknown parameter (`bad-parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only reviewers, the head and admins see the dashboard", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/stats")]
pub async fn stats_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(DASHBOARD)?;
    let query = query.into_inner();
    let now = state.deadlines.now();
    let Some(window) = Window::asked(query.from.map(stored), query.to.map(stored), now) else {
        return Err(ApiError::new(Kind::BadParameter, "to must be after from"));
    };
    let rules = state.deadlines.clone();
    let report = state
        .db(move |conn| stats::report(conn, &rules.calendar, window))
        .await?;
    if !wants_csv(&req) {
        return Ok(HttpResponse::Ok().json(StatsView::from(report)));
    }
    let file =
        stats_csv::render(&report, query.report.unwrap_or_default()).map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}\"", file.file_name),
        ))
        .body(file.text))
}

/// Whether the client ranks CSV above JSON in `Accept` (JSON when it names neither, or none).
fn wants_csv(req: &HttpRequest) -> bool {
    let Ok(accept) = header::Accept::parse(req) else {
        return false;
    };
    accept
        .ranked()
        .iter()
        .find_map(
            |mime| match (mime.type_().as_str(), mime.subtype().as_str()) {
                ("text", "csv") => Some(true),
                ("application", "json") | ("application", "*") | ("*", "*") => Some(false),
                _ => None,
            },
        )
        .unwrap_or(false)
}

/// A client's time as stored: UTC, to the microsecond (what both backends keep), so that the
/// period's bounds compare alike on SQLite and PostgreSQL.
fn stored(time: DateTime<FixedOffset>) -> NaiveDateTime {
    let time = time.naive_utc();
    time.duration_trunc(Duration::microseconds(1))
        .unwrap_or(time)
}

fn owned(counts: BTreeMap<&'static str, i64>) -> BTreeMap<String, i64> {
    counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

impl From<RequestStats> for RequestCounts {
    fn from(r: RequestStats) -> Self {
        Self {
            total: r.total,
            by_kind: owned(r.by_kind),
            by_channel: owned(r.by_channel),
            by_status: owned(r.by_status),
            by_resolution: owned(r.by_resolution),
        }
    }
}

impl From<ContactStats> for ContactTotals {
    fn from(c: ContactStats) -> Self {
        Self {
            total: c.total,
            by_outcome: owned(c.by_outcome),
        }
    }
}

impl From<UnitWorkload> for UnitWorkloadView {
    fn from(u: UnitWorkload) -> Self {
        Self {
            unit_id: u.unit_id.into(),
            unit_name: u.unit_name,
            open: u.open,
            overdue: u.overdue,
        }
    }
}

impl From<RatingStats> for RatingSummary {
    fn from(r: RatingStats) -> Self {
        Self {
            count: r.count,
            mean: r.mean,
        }
    }
}

impl From<StatsReport> for StatsView {
    fn from(s: StatsReport) -> Self {
        Self {
            from: utc(s.period.from),
            to: utc(s.period.before),
            requests: s.requests.into(),
            contacts: s.contacts.into(),
            referrals: s
                .referrals
                .into_iter()
                .map(UnitWorkloadView::from)
                .collect(),
            median_hours_to_first_decision: s.median_hours_to_first_decision,
            median_hours_to_closure: s.median_hours_to_closure,
            rating: s.rating.into(),
            units: s
                .scorecard
                .units
                .into_iter()
                .map(UnitScoreView::from)
                .collect(),
            weeks: s.scorecard.weeks.into_iter().map(WeekView::from).collect(),
        }
    }
}
