//! Deadlines: what the desk and the units must do by when, and what happens as each nears and
//! passes. Pure rules: the stage a deadline should be at, at an instant; who hears of each
//! stage; the span each policy gives. The scheduler reads the stored deadlines and writes what
//! these functions decide.
//!
//! A deadline runs on the working-day clock (`calendar`). It starts when its work becomes
//! someone's (a request registered, a referral made), pauses while a referral waits for the
//! citizen's answer, and is met when the work is done (classified, acknowledged, answered,
//! scheduled). Until then it moves through its stages once each, in order: a reminder to the
//! responsible before it is due, an escalation to the desk and the unit's parent when it
//! passes, and to the head at a second threshold. A stage skipped while no scheduler ran (a
//! reminder whose deadline has already passed) is not sent late: only the stage the deadline
//! is at now is announced.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};

use super::calendar::{Span, WorkingCalendar};
use super::ids::UnitId;
use super::labels::labels;
use super::referral::Step;
use super::request::{RequestKind, Status};

labels! {
    /// Which work a deadline is for.
    pub enum DeadlineKind {
        /// The desk classifies a new request.
        Classify = "classify",
        /// The unit acknowledges a referral.
        Acknowledge = "acknowledge",
        /// The unit answers a referral.
        Answer = "answer",
        /// The desk schedules (or redirects, or declines) a meeting request.
        Schedule = "schedule",
        /// The head records a meeting's outcome, a working day after it at the latest.
        Outcome = "outcome",
    }
}

labels! {
    /// How far a deadline has gone; each is announced once.
    pub enum Stage {
        /// Not due soon.
        Running = "running",
        /// Due within the reminder's lead: the responsible were reminded.
        Reminded = "reminded",
        /// Past due: the desk and the unit's parent were told.
        Overdue = "overdue",
        /// Past the second threshold: the head was told.
        Escalated = "escalated",
    }
}

impl Stage {
    fn rank(self) -> u8 {
        match self {
            Stage::Running => 0,
            Stage::Reminded => 1,
            Stage::Overdue => 2,
            Stage::Escalated => 3,
        }
    }
}

impl DeadlineKind {
    /// Whether a unit owns the work (a referral's deadline) rather than the desk.
    pub fn is_units(self) -> bool {
        matches!(self, DeadlineKind::Acknowledge | DeadlineKind::Answer)
    }
}

/// Who hears of a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    /// The reviewers.
    Desk,
    /// The staff of the unit the referral went to.
    Unit,
    /// The staff of that unit's parent (its deputy office), if it has one.
    ParentUnit,
    /// The head of the Center.
    Head,
}

/// Who hears of a deadline reaching `stage`: the responsible are reminded; when it passes the
/// desk and (for a unit's work) the unit and its parent hear; at the second threshold, the
/// head too.
pub fn audience(kind: DeadlineKind, stage: Stage) -> &'static [Audience] {
    use Audience::*;
    if kind == DeadlineKind::Outcome {
        // Only the head records an outcome: reminded once it is a working day late, and the
        // desk told if it stays unrecorded.
        return match stage {
            Stage::Running | Stage::Reminded => &[],
            Stage::Overdue => &[Head],
            Stage::Escalated => &[Desk, Head],
        };
    }
    match (kind.is_units(), stage) {
        (_, Stage::Running) => &[],
        (true, Stage::Reminded) => &[Unit],
        (false, Stage::Reminded) => &[Desk],
        (true, Stage::Overdue) => &[Desk, Unit, ParentUnit],
        (false, Stage::Overdue) => &[Desk],
        (true, Stage::Escalated) => &[Desk, ParentUnit, Head],
        (false, Stage::Escalated) => &[Desk, Head],
    }
}

/// A stored deadline as the rules read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub started_at: NaiveDateTime,
    pub due_at: NaiveDateTime,
    pub stage: Stage,
    /// Waiting for the citizen since then: the clock stands still.
    pub paused_since: Option<NaiveDateTime>,
}

/// The reminder's lead and the escalation's second threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    /// Remind this long before the due time.
    pub remind_before: Span,
    /// Escalate to the head this long after it.
    pub head_after: Span,
}

/// The stage a deadline has reached at `now`, if that is further than the stage it is at: the
/// one stage to announce. A paused deadline moves on to nothing.
pub fn next_stage(
    calendar: &WorkingCalendar,
    clock: &Clock,
    thresholds: &Thresholds,
    now: NaiveDateTime,
) -> Option<Stage> {
    if clock.paused_since.is_some() {
        return None;
    }
    let remind_at = calendar.subtract(clock.due_at, thresholds.remind_before, clock.started_at);
    let head_at = calendar.add_running(clock.due_at, running(thresholds.head_after));
    let reached = if now >= head_at {
        Stage::Escalated
    } else if now >= clock.due_at {
        Stage::Overdue
    } else if now >= remind_at {
        Stage::Reminded
    } else {
        Stage::Running
    };
    (reached.rank() > clock.stage.rank()).then_some(reached)
}

/// The due time after a pause that began at `paused_since` ends at `resumed_at`: the running
/// time that was left is left again.
pub fn resume(
    calendar: &WorkingCalendar,
    due_at: NaiveDateTime,
    paused_since: NaiveDateTime,
    resumed_at: NaiveDateTime,
) -> NaiveDateTime {
    let left = calendar.running_between(paused_since, due_at);
    calendar.add_running(resumed_at, left)
}

/// A span as running time: a working day is a day of the running clock.
fn running(span: Span) -> Duration {
    match span {
        Span::WorkingDays(days) => Duration::days(i64::from(days)),
        Span::Hours(hours) => Duration::hours(i64::from(hours)),
    }
}

/// The spans of each kind of work, and the two thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Steps {
    pub classify: Span,
    pub acknowledge: Span,
    pub answer: Span,
    pub schedule: Span,
    pub thresholds: Thresholds,
}

impl Default for Steps {
    /// Two working days to classify, to acknowledge and to schedule; ten to answer; a reminder
    /// a working day before; the head hears three working days after.
    fn default() -> Self {
        Steps {
            classify: Span::WorkingDays(2),
            acknowledge: Span::WorkingDays(2),
            answer: Span::WorkingDays(10),
            schedule: Span::WorkingDays(5),
            thresholds: Thresholds {
                remind_before: Span::WorkingDays(1),
                head_after: Span::WorkingDays(3),
            },
        }
    }
}

impl Steps {
    pub fn span(&self, kind: DeadlineKind) -> Span {
        match kind {
            DeadlineKind::Classify => self.classify,
            DeadlineKind::Acknowledge => self.acknowledge,
            DeadlineKind::Answer => self.answer,
            DeadlineKind::Schedule => self.schedule,
            // Counted from the meeting's end, not from when it was scheduled.
            DeadlineKind::Outcome => Span::WorkingDays(1),
        }
    }

    fn set(&mut self, step: &str, span: Span) -> bool {
        match step {
            "classify" => self.classify = span,
            "acknowledge" => self.acknowledge = span,
            "answer" => self.answer = span,
            "schedule" => self.schedule = span,
            "remind" => self.thresholds.remind_before = span,
            "head" => self.thresholds.head_after = span,
            _ => return false,
        }
        true
    }
}

/// The deadline policies: defaults, then per request kind, then per unit (the most specific
/// wins). Read from a setting such as
/// `answer=10d, complaint.answer=7d, unit.<id>.answer=15d, remind=4h`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policies {
    overrides: Vec<(Scope, String, Span)>,
}

/// Where an override applies.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scope {
    All,
    Kind(RequestKind),
    Unit(UnitId),
}

/// A policy setting that cannot be read, with the item at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "deadline policy {item:?}: expected [kind.|unit.<id>.]step=<n>d|<n>h with step one of classify, acknowledge, answer, schedule, remind, head"
)]
pub struct PolicyError {
    pub item: String,
}

impl Policies {
    pub fn parse(text: &str) -> Result<Policies, PolicyError> {
        let mut overrides = Vec::new();
        for item in text.split([',', ';', '\n']).map(str::trim) {
            if item.is_empty() {
                continue;
            }
            let fail = || PolicyError {
                item: item.to_owned(),
            };
            let (key, span) = item.split_once('=').ok_or_else(fail)?;
            let span = Span::parse(span).ok_or_else(fail)?;
            let mut parts: Vec<&str> = key.trim().split('.').collect();
            let step = parts.pop().ok_or_else(fail)?.to_owned();
            let scope = match parts.as_slice() {
                [] => Scope::All,
                [kind] => Scope::Kind(RequestKind::parse(kind).ok_or_else(fail)?),
                ["unit", id] if !id.is_empty() => Scope::Unit(UnitId::stored((*id).to_owned())),
                _ => return Err(fail()),
            };
            if !Steps::default().set(&step, span) {
                return Err(fail());
            }
            overrides.push((scope, step, span));
        }
        Ok(Policies { overrides })
    }

    /// The longest reminder lead any policy gives.
    pub fn longest_lead(&self) -> Span {
        self.overrides
            .iter()
            .filter(|(_, step, _)| step == "remind")
            .map(|(_, _, span)| *span)
            .chain([Steps::default().thresholds.remind_before])
            .max_by_key(|span| running(*span))
            .unwrap_or(Steps::default().thresholds.remind_before)
    }

    /// The steps for a request of `kind` (if classified) at `unit` (for a referral's work).
    pub fn steps(&self, kind: Option<RequestKind>, unit: Option<&UnitId>) -> Steps {
        let mut steps = Steps::default();
        // Least specific first, so that the most specific is written last and wins.
        let mut ordered: BTreeMap<u8, Vec<(&String, Span)>> = BTreeMap::new();
        for (scope, step, span) in &self.overrides {
            let rank = match scope {
                Scope::All => 0,
                Scope::Kind(k) if Some(*k) == kind => 1,
                Scope::Unit(u) if Some(u) == unit => 2,
                _ => continue,
            };
            ordered.entry(rank).or_default().push((step, *span));
        }
        for (step, span) in ordered.into_values().flatten() {
            steps.set(step, span);
        }
        steps
    }
}

/// What a change of a request's status does to its deadlines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Follows {
    /// The request's own work now done.
    pub meet: Vec<DeadlineKind>,
    /// The request's own work now owed.
    pub start: Option<DeadlineKind>,
    /// The request closed: every deadline ends, its referrals' too.
    pub meet_all: bool,
}

/// The deadlines a transition of a request from `from` to `to` meets and starts; `kind` is the
/// request's kind after it. Classifying meets the classification; a meeting request in review
/// is owed a schedule (after classifying, reclassifying, or a cancelled meeting), met when it
/// leaves review or stops being a meeting request. A closed request reopened by the citizen's
/// objection is owed the desk's review again (the classification's span), met when the desk
/// decides and it leaves review.
pub fn after_transition(from: Option<Status>, to: Status, kind: Option<RequestKind>) -> Follows {
    let meeting = kind == Some(RequestKind::Meeting);
    if to == Status::Closed {
        return Follows {
            meet_all: true,
            ..Follows::default()
        };
    }
    let mut follows = Follows::default();
    let reviewed = matches!(from, Some(Status::Registered | Status::InReview)) && from != Some(to);
    if reviewed {
        follows.meet.push(DeadlineKind::Classify);
    }
    if to == Status::InReview && meeting {
        follows.start = Some(DeadlineKind::Schedule);
    } else if from == Some(Status::InReview) {
        follows.meet.push(DeadlineKind::Schedule);
    }
    if from == Some(Status::Closed) && to == Status::InReview && !meeting {
        follows.start = Some(DeadlineKind::Classify);
    }
    // A scheduled meeting owes its outcome; moved, it owes it for the new time.
    if from == Some(Status::MeetingScheduled) {
        follows.meet.push(DeadlineKind::Outcome);
    }
    if to == Status::MeetingScheduled {
        follows.start = Some(DeadlineKind::Outcome);
    }
    follows
}

/// What a referral step does to its deadlines: the work it meets, and whether the unit owes a
/// new answer (the desk returned the last one).
pub fn after_step(step: Step) -> (&'static [DeadlineKind], bool) {
    match step {
        Step::Acknowledge => (&[DeadlineKind::Acknowledge], false),
        Step::Answer => (&[DeadlineKind::Acknowledge, DeadlineKind::Answer], false),
        Step::Return => (&[], true),
        Step::Accept => (&[], false),
    }
}

/// The line a member of staff reads in their inbox when a deadline reaches `stage`: `what`
/// names the work's subject («ارجاع R-12345678», «درخواست ۱۲۳…») and `due` its due date as
/// Tehran reads it.
pub fn notice(kind: DeadlineKind, stage: Stage, what: &str, due: &str) -> String {
    let work = match kind {
        DeadlineKind::Classify => "بررسی",
        DeadlineKind::Acknowledge => "اعلام وصول",
        DeadlineKind::Answer => "پاسخ",
        DeadlineKind::Schedule => "تعیین وقت ملاقات",
        DeadlineKind::Outcome => "ثبت نتیجه\u{200C}ی ملاقات",
    };
    match stage {
        Stage::Running => format!("مهلت {work} {what}: {due}"),
        Stage::Reminded => format!("یادآوری: مهلت {work} {what} {due} به پایان می\u{200C}رسد."),
        Stage::Overdue => format!("مهلت {work} {what} ({due}) گذشته است."),
        Stage::Escalated => {
            format!("مهلت {work} {what} ({due}) گذشت و به ریاست گزارش شد.")
        }
    }
}

#[cfg(test)]
mod tests;
