//! The scorecard's part of `GET /stats`: each unit's judged referrals of the period and the
//! weekly count by kind and channel, as JSON views (the CSV of the same figures is
//! `stats_csv`).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::stats::RatingSummary;
use crate::app::scorecard::UnitCard;
use crate::domain::jalali::JalaliDate;
use crate::domain::scorecard::Week;

/// How one unit answered the referrals it received in the period. `received` is the sum of
/// `on_time`, `late`, `overdue`, `pending` and `withdrawn`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10", "unit_name": "واحد امور مالی",
    "received": 4, "on_time": 1, "late": 1, "overdue": 1, "pending": 1, "withdrawn": 0,
    "returned_answers": 0, "median_working_days_to_acknowledge": 0.63,
    "median_working_days_to_answer": 3.0, "rating": {"count": 2, "mean": 4.5}
}))]
pub struct UnitScoreView {
    #[schema(format = Uuid)]
    pub unit_id: String,
    pub unit_name: String,
    /// Referrals made to the unit in the period.
    pub received: i64,
    /// First answer at or before the due time of the first answer deadline (extensions and
    /// pauses for the citizen included).
    pub on_time: i64,
    /// First answer after it.
    pub late: i64,
    /// Not answered, and a deadline of it is past due now (its clock running).
    pub overdue: i64,
    /// Not answered, not yet due.
    pub pending: i64,
    /// Not answered: the request closed without it (withdrawn by the citizen).
    pub withdrawn: i64,
    /// How many of the unit's answers the desk returned for more work.
    pub returned_answers: i64,
    /// Median working days (24-hour days on the working-day calendar) from the referral to its
    /// first acknowledgement (or first answer, when none came first); null when none.
    pub median_working_days_to_acknowledge: Option<f64>,
    /// Median working days from the referral to its first answer; null when none. Includes
    /// time spent waiting for the citizen's answer.
    pub median_working_days_to_answer: Option<f64>,
    /// The citizens' ratings of the requests referred to the unit in the period (each once).
    pub rating: RatingSummary,
}

/// One week's requests, Saturday to Friday in Tehran.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "starts_on": "2026-12-19", "starts_on_jalali": "1405-09-28", "complete": true, "total": 3,
    "counts": {
        "meeting": {"in_person": 1, "phone": 0, "online": 0},
        "suggestion": {"in_person": 0, "phone": 0, "online": 0},
        "criticism": {"in_person": 0, "phone": 0, "online": 0},
        "complaint": {"in_person": 0, "phone": 0, "online": 2},
        "report": {"in_person": 0, "phone": 0, "online": 0},
        "unclassified": {"in_person": 0, "phone": 0, "online": 0}
    }
}))]
pub struct WeekView {
    /// Its Saturday, a Tehran calendar day (Gregorian).
    pub starts_on: NaiveDate,
    /// The same Saturday in the Solar Hijri calendar, `YYYY-MM-DD`.
    pub starts_on_jalali: String,
    /// False when the period cuts the week: only its part inside the period is counted.
    pub complete: bool,
    pub total: i64,
    /// Kind (as classified, or `unclassified`) → channel → requests created; every key present.
    pub counts: BTreeMap<String, BTreeMap<String, i64>>,
}

impl From<UnitCard> for UnitScoreView {
    fn from(card: UnitCard) -> Self {
        let s = card.score;
        Self {
            unit_id: card.unit_id.into(),
            unit_name: card.unit_name,
            received: s.received,
            on_time: s.on_time,
            late: s.late,
            overdue: s.overdue,
            pending: s.pending,
            withdrawn: s.withdrawn,
            returned_answers: s.returned,
            median_working_days_to_acknowledge: s.median_days_to_acknowledge,
            median_working_days_to_answer: s.median_days_to_answer,
            rating: RatingSummary {
                count: s.ratings,
                mean: s.rating_mean,
            },
        }
    }
}

impl From<Week> for WeekView {
    fn from(week: Week) -> Self {
        Self {
            starts_on: week.starts_on,
            starts_on_jalali: JalaliDate::from_gregorian(week.starts_on).iso(),
            complete: week.complete,
            total: week.total,
            counts: week
                .counts
                .into_iter()
                .map(|(kind, by_channel)| {
                    let by_channel = by_channel
                        .into_iter()
                        .map(|(channel, n)| (channel.to_owned(), n))
                        .collect();
                    (kind.to_owned(), by_channel)
                })
                .collect(),
        }
    }
}
