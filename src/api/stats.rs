//! `stats`: the dashboard figures of a period (reviewer, head, admin) — counts of requests and
//! contacts, median handling times, ratings — and each unit's current referral workload.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Duration, DurationRound, FixedOffset, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::{ApiError, Kind, Problem};
use super::staff::Staff;
use super::state::AppState;
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
    "rating": {"count": 2, "mean": 4.5}
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
}

/// Counts and handling times of a period (reviewer, head, admin).
///
/// Requests and contacts created in `[from, to)` are counted; every key of every breakdown is
/// present, zero or not. Handling times are medians in hours over the period's requests.
/// `referrals` is different: it is the current workload of each unit (unanswered referrals and
/// how many are overdue now), whatever the period.
#[utoipa::path(
    tag = "stats", security(("bearer" = [])), params(StatsQuery),
    responses(
        (status = 200, description = "The figures of the period", body = StatsView),
        (status = 400, description = "`to` is not after `from`, a time is not RFC 3339 with an offset, or an unknown parameter (`bad-parameter`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only reviewers, the head and admins see the dashboard", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/stats")]
pub async fn stats_report(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<StatsQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(DASHBOARD)?;
    let query = query.into_inner();
    let Some(window) = Window::asked(query.from.map(stored), query.to.map(stored)) else {
        return Err(ApiError::new(Kind::BadParameter, "to must be after from"));
    };
    let report = state.db(move |conn| stats::report(conn, window)).await?;
    Ok(HttpResponse::Ok().json(StatsView::from(report)))
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
        }
    }
}
