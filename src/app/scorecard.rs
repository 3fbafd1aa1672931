//! The scorecard of a period: the rows `db::scorecard` reads, turned into the facts
//! `domain::scorecard` judges — one unit's referrals at a time — and the weekly count.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDateTime;

use crate::db::DbConnection;
use crate::db::scorecard::{self as repo, ReferralDeadline, StepEvent};
use crate::db::stats::Period;
use crate::domain::calendar::WorkingCalendar;
use crate::domain::deadline::DeadlineKind;
use crate::domain::ids::{ReferralId, RequestId, UnitId};
use crate::domain::referral::{ReferralStatus, Step};
use crate::domain::scorecard::{self, ReferralFacts, UnitScore, Week};

use super::AppResult;

/// One unit's line of the scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCard {
    pub unit_id: UnitId,
    pub unit_name: String,
    pub score: UnitScore,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// Every active unit, and any inactive one that received a referral in the period, by name.
    pub units: Vec<UnitCard>,
    pub weeks: Vec<Week>,
}

/// The scorecard of `period`, with what is overdue judged at `now`.
pub fn read(
    conn: &mut DbConnection,
    calendar: &WorkingCalendar,
    period: Period,
    now: NaiveDateTime,
) -> AppResult<Scorecard> {
    let referrals = repo::referrals(conn, period)?;
    let steps = steps_by_referral(repo::step_events(conn, period)?);
    let deadlines = deadlines_by_referral(repo::deadlines(conn, period)?);
    let ratings: HashMap<RequestId, i32> = repo::ratings(conn, period)?.into_iter().collect();
    let mut facts: BTreeMap<UnitId, Vec<ReferralFacts>> = BTreeMap::new();
    for referral in referrals {
        let taken = steps
            .get(&(referral.request_id.clone(), referral.reference.clone()))
            .cloned()
            .unwrap_or_default();
        let own = deadlines.get(&referral.id).map_or(&[][..], Vec::as_slice);
        let first_answer_due = own
            .iter()
            .find(|d| d.kind == DeadlineKind::Answer)
            .map_or(referral.due_at, |d| d.due_at);
        facts
            .entry(referral.unit_id.clone())
            .or_default()
            .push(ReferralFacts {
                rating: ratings.get(&referral.request_id).copied(),
                request_id: referral.request_id,
                created_at: referral.created_at,
                acknowledged_at: taken.acknowledged_at,
                answered_at: taken.answered_at,
                answer_due: first_answer_due,
                withdrawn: referral.status == ReferralStatus::Withdrawn,
                overdue_now: own
                    .iter()
                    .any(|d| d.met_at.is_none() && d.paused_since.is_none() && d.due_at < now),
                returns: taken.returns,
            });
    }
    let mut units: Vec<UnitCard> = repo::units(conn)?
        .into_iter()
        .filter(|(id, _, active)| *active || facts.contains_key(id))
        .map(|(unit_id, unit_name, _)| UnitCard {
            score: scorecard::score(calendar, facts.get(&unit_id).map_or(&[][..], Vec::as_slice)),
            unit_id,
            unit_name,
        })
        .collect();
    super::stats::sort_by_unit(&mut units, |u| (&u.unit_name, &u.unit_id));
    let weeks = scorecard::weekly((period.from, period.before), &repo::requests(conn, period)?);
    Ok(Scorecard { units, weeks })
}

/// The steps one referral took, as far as the scorecard needs them.
#[derive(Debug, Clone, Default)]
struct Taken {
    acknowledged_at: Option<NaiveDateTime>,
    answered_at: Option<NaiveDateTime>,
    returns: i64,
}

/// The events, oldest first, gathered per (request, referral reference). An event whose
/// details name no referral (none is written so) is skipped.
fn steps_by_referral(events: Vec<StepEvent>) -> HashMap<(RequestId, String), Taken> {
    let mut taken: HashMap<(RequestId, String), Taken> = HashMap::new();
    for event in events {
        let details: serde_json::Value =
            serde_json::from_str(&event.details).unwrap_or(serde_json::Value::Null);
        let Some(reference) = details["referral"].as_str() else {
            continue;
        };
        let entry = taken
            .entry((event.request_id, reference.to_owned()))
            .or_default();
        match event.action.as_str() {
            a if a == Step::Acknowledge.history_action() => {
                entry.acknowledged_at.get_or_insert(event.at);
            }
            a if a == Step::Answer.history_action() => {
                entry.answered_at.get_or_insert(event.at);
            }
            a if a == Step::Return.history_action() => entry.returns += 1,
            _ => {}
        }
    }
    taken
}

fn deadlines_by_referral(
    rows: Vec<ReferralDeadline>,
) -> HashMap<ReferralId, Vec<ReferralDeadline>> {
    let mut by: HashMap<ReferralId, Vec<ReferralDeadline>> = HashMap::new();
    for row in rows {
        if let Some(referral) = row.referral_id.clone() {
            by.entry(referral).or_default().push(row);
        }
    }
    by
}
