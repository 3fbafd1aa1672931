//! The dashboard figures: counts of the requests and contacts of a period, how long the desk
//! took to first decide on and to close them (medians), their ratings, each unit's current
//! referral workload, and the period's scorecard (`app::scorecard`: each unit's referrals
//! judged, the weekly count). Read-only; the figures are read one query after another, not as
//! one snapshot, which is precise enough for a dashboard.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use crate::db::DbConnection;
use crate::db::contacts::{self as contact_repo, ContactFilter};
use crate::db::stats::{self as repo, Period as StoredPeriod};
use crate::domain::contact::ContactOutcome;
use crate::domain::ids::UnitId;
use crate::domain::request::{Channel, RequestKind, Resolution, Status};

use super::AppResult;

/// The `by_kind` key of requests the desk has not classified yet.
pub use crate::domain::scorecard::UNCLASSIFIED;

/// The period when the client names no start: the 30 days before its end.
const DEFAULT_DAYS: i64 = 30;

/// A half-open span of creation times, `[from, before)`, in stored (naive UTC) time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDateTime,
    pub before: NaiveDateTime,
}

/// What a dashboard is asked for, fixed at the instant it is asked: the period, and `now`,
/// the instant at which the units' workload (what is overdue) is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub period: Period,
    pub now: NaiveDateTime,
}

impl Window {
    /// Fixed at `now` (the deadlines' clock, read once): the period ends at `to`, or now; it
    /// starts at `from`, or 30 days before its end. `None` unless it starts before it ends.
    pub fn asked(
        from: Option<NaiveDateTime>,
        to: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Option<Self> {
        let before = to.unwrap_or(now);
        let from = match from {
            Some(from) => Some(from),
            None => before.checked_sub_signed(Duration::days(DEFAULT_DAYS)),
        };
        let from = from.filter(|from| *from < before)?;
        Some(Self {
            period: Period { from, before },
            now,
        })
    }
}

impl From<Period> for StoredPeriod {
    fn from(p: Period) -> Self {
        StoredPeriod {
            from: p.from,
            before: p.before,
        }
    }
}

/// Requests created in the period. Every key of every breakdown is present, zero or not, so
/// dashboards need no special cases.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestStats {
    pub total: i64,
    /// By the kind set on review; `unclassified` while there is none.
    pub by_kind: BTreeMap<&'static str, i64>,
    pub by_channel: BTreeMap<&'static str, i64>,
    pub by_status: BTreeMap<&'static str, i64>,
    /// Closed requests only, so these add up to `by_status.closed`.
    pub by_resolution: BTreeMap<&'static str, i64>,
}

/// Contacts logged in the period, every outcome present.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactStats {
    pub total: i64,
    pub by_outcome: BTreeMap<&'static str, i64>,
}

/// One unit's referrals that still wait for it, now.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitWorkload {
    pub unit_id: UnitId,
    pub unit_name: String,
    /// Open, acknowledged or returned.
    pub open: i64,
    /// Of those, past their due time.
    pub overdue: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RatingStats {
    pub count: i64,
    /// `None` when nobody rated.
    pub mean: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    pub period: Period,
    pub requests: RequestStats,
    pub contacts: ContactStats,
    /// Units with at least one unanswered referral, by name. Not limited to the period.
    pub referrals: Vec<UnitWorkload>,
    pub median_hours_to_first_decision: Option<f64>,
    pub median_hours_to_closure: Option<f64>,
    pub rating: RatingStats,
    pub scorecard: super::scorecard::Scorecard,
}

/// The figures of the window's period, and the workload at its `now`.
pub fn report(
    conn: &mut DbConnection,
    calendar: &crate::domain::calendar::WorkingCalendar,
    window: Window,
) -> AppResult<StatsReport> {
    let Window { period, now } = window;
    let stored = StoredPeriod::from(period);
    let requests = request_stats(conn, stored)?;
    let contacts = contact_stats(conn, stored)?;
    let referrals = workload(conn, now)?;
    let median_hours_to_first_decision =
        median(&mut hours_between(&repo::first_decisions(conn, stored)?));
    let median_hours_to_closure = median(&mut hours_between(&repo::closures(conn, stored)?));
    let (count, score_sum) = repo::ratings(conn, stored)?;
    let mean = match (count, score_sum) {
        (0, _) | (_, None) => None,
        (count, Some(sum)) => Some(sum as f64 / count as f64),
    };
    Ok(StatsReport {
        period,
        requests,
        contacts,
        referrals,
        median_hours_to_first_decision,
        median_hours_to_closure,
        rating: RatingStats { count, mean },
        scorecard: super::scorecard::read(conn, calendar, stored, now)?,
    })
}

fn request_stats(conn: &mut DbConnection, period: StoredPeriod) -> AppResult<RequestStats> {
    let mut by_kind = zeros(RequestKind::ALL.iter().map(|k| k.as_str()));
    by_kind.insert(UNCLASSIFIED, 0);
    let mut by_channel = zeros(Channel::ALL.iter().map(|c| c.as_str()));
    let mut by_status = zeros(Status::ALL.iter().map(|s| s.as_str()));
    let mut by_resolution = zeros(Resolution::ALL.iter().map(|r| r.as_str()));
    let mut total = 0;
    for row in repo::request_counts(conn, period)? {
        let count = row.count;
        let kind = row.kind.map_or(UNCLASSIFIED, RequestKind::as_str);
        *by_kind.entry(kind).or_default() += count;
        *by_channel.entry(row.channel.as_str()).or_default() += count;
        *by_status.entry(row.status.as_str()).or_default() += count;
        if let Some(resolution) = row.resolution {
            *by_resolution.entry(resolution.as_str()).or_default() += count;
        }
        total += count;
    }
    Ok(RequestStats {
        total,
        by_kind,
        by_channel,
        by_status,
        by_resolution,
    })
}

fn contact_stats(conn: &mut DbConnection, period: StoredPeriod) -> AppResult<ContactStats> {
    // The contact log's own grouped count, so that the dashboard and the log's list agree.
    let filter = ContactFilter {
        created_from: Some(period.from),
        created_before: Some(period.before),
        ..ContactFilter::default()
    };
    let mut by_outcome = zeros(ContactOutcome::ALL.iter().map(|o| o.as_str()));
    let mut total = 0;
    for (_channel, outcome, count) in contact_repo::counts(conn, &filter)? {
        *by_outcome.entry(outcome.as_str()).or_default() += count;
        total += count;
    }
    Ok(ContactStats { total, by_outcome })
}

fn workload(conn: &mut DbConnection, now: NaiveDateTime) -> AppResult<Vec<UnitWorkload>> {
    let overdue: BTreeMap<UnitId, i64> = repo::overdue_by_unit(conn, now)?.into_iter().collect();
    let mut units: Vec<UnitWorkload> = repo::unanswered_by_unit(conn)?
        .into_iter()
        .map(|(unit_id, unit_name, open)| UnitWorkload {
            overdue: overdue.get(&unit_id).copied().unwrap_or(0),
            unit_id,
            unit_name,
            open,
        })
        .collect();
    sort_by_unit(&mut units, |u| (&u.unit_name, &u.unit_id));
    Ok(units)
}

/// Orders lines by unit name, then id. Here rather than in SQL: PostgreSQL orders text by its
/// locale's collation, SQLite by code point, and the two backends must answer the same.
pub(crate) fn sort_by_unit<T>(lines: &mut [T], unit: impl Fn(&T) -> (&String, &UnitId)) {
    lines.sort_by(|a, b| unit(a).cmp(&unit(b)));
}

fn zeros<'a>(keys: impl Iterator<Item = &'a str>) -> BTreeMap<&'a str, i64> {
    keys.map(|key| (key, 0)).collect()
}

/// The hours from each start to its end.
pub fn hours_between(pairs: &[(NaiveDateTime, NaiveDateTime)]) -> Vec<f64> {
    pairs
        .iter()
        .map(|(start, end)| (*end - *start).num_milliseconds() as f64 / 3_600_000.0)
        .collect()
}

pub use crate::domain::scorecard::median;

#[cfg(test)]
mod tests {
    use chrono::{Duration, NaiveDate};

    use super::*;

    #[test]
    fn a_period_ends_now_and_starts_30_days_before_its_end_unless_told() {
        let now = crate::db::now();
        let window = Window::asked(None, None, now).unwrap();
        assert_eq!(window.period.before, window.now);
        assert_eq!(
            window.period.before - window.period.from,
            Duration::days(30)
        );
        let to = NaiveDate::from_ymd_opt(2026, 2, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        let window = Window::asked(None, Some(to), now).unwrap();
        assert_eq!(window.period.from, to - Duration::days(30));
        assert!(Window::asked(Some(to), Some(to), now).is_none(), "empty");
        assert!(Window::asked(Some(to + Duration::hours(1)), Some(to), now).is_none());
    }

    #[test]
    fn no_values_have_no_median() {
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn one_value_is_its_own_median() {
        assert_eq!(median(&mut [7.25]), Some(7.25));
    }

    #[test]
    fn an_odd_count_takes_the_middle_value_whatever_the_order() {
        assert_eq!(median(&mut [30.0, 1.0, 5.5, 100.0, 2.0]), Some(5.5));
    }

    #[test]
    fn an_even_count_takes_the_mean_of_the_two_middle_values() {
        assert_eq!(median(&mut [4.0, 1.0, 7.0, 100.0]), Some(5.5));
        assert_eq!(median(&mut [2.0, 2.0]), Some(2.0));
    }

    #[test]
    fn hours_are_measured_from_start_to_end() {
        let start = NaiveDate::from_ymd_opt(2026, 11, 29)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap();
        let pairs = [
            (start, start + Duration::minutes(90)),
            (start, start + Duration::hours(30)),
            (start, start),
        ];
        assert_eq!(hours_between(&pairs), vec![1.5, 30.0, 0.0]);
        assert_eq!(median(&mut hours_between(&pairs)), Some(1.5));
    }
}
