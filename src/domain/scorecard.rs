//! The scorecard the oversight bodies grade a Center on, as pure arithmetic over facts the use
//! case has read: how each unit answered the referrals it received in a period (on time, late,
//! still overdue), how long it took in working time to acknowledge and to answer, how many of
//! its answers the desk returned, and how the citizens rated the requests it worked on; and the
//! weekly count of requests by kind and channel that provincial offices send on Saturdays.
//!
//! The rules, written down once:
//! - A referral is judged on its **first answer** against the due time of its first answer
//!   deadline as it stood when met (extensions and pauses for the citizen included): at or
//!   before it, on time; after it, late. A returned answer is counted apart (`returned`), not
//!   judged again.
//! - Not answered: `withdrawn` if the request closed without it (the citizen withdrew it, or it
//!   ended otherwise); `overdue` if any of its deadlines is past due now with its clock running;
//!   else `pending`. So `received = on_time + late + overdue + pending + withdrawn`.
//! - Working time is counted on the working-day calendar, in working days of 24 hours, from the
//!   referral to its first acknowledgement (or its first answer, when the unit answered without
//!   acknowledging) and to its first answer. It includes time spent waiting for the citizen.
//! - A request rated by its citizen counts once for every unit it was referred to in the period.
//! - Weeks start on Saturday in Tehran; a week cut by the period's bounds is marked incomplete.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use super::calendar::{WorkingCalendar, day_start, tehran_day};
use super::ids::RequestId;
use super::request::{Channel, RequestKind};

/// The key of requests the desk has not classified yet.
pub const UNCLASSIFIED: &str = "unclassified";

/// What was read about one referral of the period.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralFacts {
    pub request_id: RequestId,
    pub created_at: NaiveDateTime,
    /// The first acknowledgement, if any.
    pub acknowledged_at: Option<NaiveDateTime>,
    /// The first answer, if any.
    pub answered_at: Option<NaiveDateTime>,
    /// The due time of its first answer deadline (the referral's own due time when it has none).
    pub answer_due: NaiveDateTime,
    /// Closed without an answer: withdrawn with its request.
    pub withdrawn: bool,
    /// One of its deadlines is past due now, its clock running.
    pub overdue_now: bool,
    /// How many times the desk returned its answer.
    pub returns: i64,
    /// The citizen's rating of its request, if any.
    pub rating: Option<i32>,
}

/// Where one referral stands on the scorecard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeliness {
    OnTime,
    Late,
    Overdue,
    Pending,
    Withdrawn,
}

impl ReferralFacts {
    pub fn timeliness(&self) -> Timeliness {
        match self.answered_at {
            Some(at) if at <= self.answer_due => Timeliness::OnTime,
            Some(_) => Timeliness::Late,
            None if self.withdrawn => Timeliness::Withdrawn,
            None if self.overdue_now => Timeliness::Overdue,
            None => Timeliness::Pending,
        }
    }
}

/// One unit's figures over the period.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnitScore {
    pub received: i64,
    pub on_time: i64,
    pub late: i64,
    pub overdue: i64,
    pub pending: i64,
    pub withdrawn: i64,
    pub returned: i64,
    /// Median working days to the first acknowledgement; `None` when none was acknowledged.
    pub median_days_to_acknowledge: Option<f64>,
    /// Median working days to the first answer; `None` when none was answered.
    pub median_days_to_answer: Option<f64>,
    pub ratings: i64,
    /// Mean rating, 1 to 5; `None` when nobody rated.
    pub rating_mean: Option<f64>,
}

/// The figures of one unit's referrals.
pub fn score(calendar: &WorkingCalendar, referrals: &[ReferralFacts]) -> UnitScore {
    let mut score = UnitScore::default();
    let mut to_acknowledge = Vec::new();
    let mut to_answer = Vec::new();
    let mut rated: BTreeMap<&RequestId, i32> = BTreeMap::new();
    for referral in referrals {
        score.received += 1;
        match referral.timeliness() {
            Timeliness::OnTime => score.on_time += 1,
            Timeliness::Late => score.late += 1,
            Timeliness::Overdue => score.overdue += 1,
            Timeliness::Pending => score.pending += 1,
            Timeliness::Withdrawn => score.withdrawn += 1,
        }
        score.returned += referral.returns;
        let days = |at| working_days(calendar, referral.created_at, at);
        if let Some(at) = referral.acknowledged_at.or(referral.answered_at) {
            to_acknowledge.push(days(at));
        }
        if let Some(at) = referral.answered_at {
            to_answer.push(days(at));
        }
        if let Some(rating) = referral.rating {
            rated.insert(&referral.request_id, rating);
        }
    }
    score.median_days_to_acknowledge = median(&mut to_acknowledge).map(hundredths);
    score.median_days_to_answer = median(&mut to_answer).map(hundredths);
    score.ratings = rated.len() as i64;
    score.rating_mean = (!rated.is_empty()).then(|| {
        hundredths(rated.values().map(|&r| f64::from(r)).sum::<f64>() / rated.len() as f64)
    });
    score
}

/// Working time from `from` to `to`, in working days of 24 hours.
fn working_days(calendar: &WorkingCalendar, from: NaiveDateTime, to: NaiveDateTime) -> f64 {
    calendar.running_between(from, to).num_seconds() as f64 / 86_400.0
}

/// Rounded to two decimals: what a report shows, and what the two backends agree on.
fn hundredths(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The median (the mean of the two middle values for an even count); `None` for no values.
/// Sorts `values` in place.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        Some(values[middle])
    } else {
        Some((values[middle - 1] + values[middle]) / 2.0)
    }
}

/// One week's requests, Saturday to Friday in Tehran.
#[derive(Debug, Clone, PartialEq)]
pub struct Week {
    /// Its Saturday (a Tehran calendar day).
    pub starts_on: NaiveDate,
    /// Whether the whole week lies inside the period (else only its part inside is counted).
    pub complete: bool,
    /// kind (or `unclassified`) → channel → count, every key present.
    pub counts: BTreeMap<&'static str, BTreeMap<&'static str, i64>>,
    pub total: i64,
}

/// The Saturday that begins the Tehran week of `instant`.
pub fn week_start(instant: NaiveDateTime) -> NaiveDate {
    let day = tehran_day(instant);
    let since_saturday =
        (day.weekday().num_days_from_monday() + 7 - Weekday::Sat.num_days_from_monday()) % 7;
    day - Duration::days(i64::from(since_saturday))
}

/// The weeks of `[from, before)` (each one that has a day in it, oldest first, empty ones too)
/// with the requests created in them, by (kind as classified, channel).
pub fn weekly(
    (from, before): (NaiveDateTime, NaiveDateTime),
    requests: &[(NaiveDateTime, Option<RequestKind>, Channel)],
) -> Vec<Week> {
    let mut weeks = Vec::new();
    let mut starts_on = week_start(from);
    while day_start(starts_on) < before {
        let next = starts_on + Duration::days(7);
        weeks.push(Week {
            starts_on,
            complete: day_start(starts_on) >= from && day_start(next) <= before,
            counts: empty_counts(),
            total: 0,
        });
        starts_on = next;
    }
    for (created_at, kind, channel) in requests {
        let Some(week) = weeks
            .iter_mut()
            .find(|week| week.starts_on == week_start(*created_at))
        else {
            continue;
        };
        let kind = kind.map_or(UNCLASSIFIED, RequestKind::as_str);
        if let Some(count) = week
            .counts
            .get_mut(kind)
            .and_then(|by_channel| by_channel.get_mut(channel.as_str()))
        {
            *count += 1;
            week.total += 1;
        }
    }
    weeks
}

fn empty_counts() -> BTreeMap<&'static str, BTreeMap<&'static str, i64>> {
    RequestKind::ALL
        .iter()
        .map(|kind| kind.as_str())
        .chain([UNCLASSIFIED])
        .map(|kind| {
            let channels = Channel::ALL.iter().map(|c| (c.as_str(), 0)).collect();
            (kind, channels)
        })
        .collect()
}

#[cfg(test)]
mod tests;
