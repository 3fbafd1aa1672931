use std::collections::HashSet;

use chrono::Weekday;

use super::*;
use crate::domain::calendar::HolidayFile;

fn tehran(text: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap() - Duration::minutes(210)
}

fn calendar() -> WorkingCalendar {
    WorkingCalendar::new(HashSet::from([Weekday::Fri]), &HolidayFile::default()).unwrap()
}

const THRESHOLDS: Thresholds = Thresholds {
    remind_before: Span::WorkingDays(1),
    head_after: Span::WorkingDays(2),
};

/// Made on Saturday 2025-04-19 (30 Farvardin 1404) 10:00, due at the end of Wednesday
/// 2025-04-23; no holiday in between.
fn clock(stage: Stage) -> Clock {
    Clock {
        started_at: tehran("2025-04-19 10:00"),
        due_at: tehran("2025-04-24 00:00"),
        stage,
        paused_since: None,
    }
}

#[test]
fn each_stage_comes_at_its_time_and_once() {
    let calendar = calendar();
    let at = |stage, now| next_stage(&calendar, &clock(stage), &THRESHOLDS, tehran(now));
    assert_eq!(at(Stage::Running, "2025-04-22 23:59"), None);
    assert_eq!(
        at(Stage::Running, "2025-04-23 00:00"),
        Some(Stage::Reminded)
    );
    assert_eq!(at(Stage::Reminded, "2025-04-23 12:00"), None);
    assert_eq!(
        at(Stage::Reminded, "2025-04-24 00:00"),
        Some(Stage::Overdue)
    );
    // Two working days past due: Thursday, then Saturday (Friday is off).
    assert_eq!(at(Stage::Overdue, "2025-04-26 23:59"), None);
    assert_eq!(
        at(Stage::Overdue, "2025-04-27 00:00"),
        Some(Stage::Escalated)
    );
    assert_eq!(at(Stage::Escalated, "2025-05-30 00:00"), None);
    // A scheduler that was down announces only where the deadline is now.
    assert_eq!(at(Stage::Running, "2025-04-25 12:00"), Some(Stage::Overdue));
}

#[test]
fn a_paused_deadline_moves_on_to_nothing_and_resumes_with_its_time() {
    let calendar = calendar();
    let mut paused = clock(Stage::Running);
    paused.paused_since = Some(tehran("2025-04-22 10:00"));
    assert_eq!(
        next_stage(&calendar, &paused, &THRESHOLDS, tehran("2025-05-10 00:00")),
        None
    );
    // Paused on Tuesday 10:00 with 38 running hours left; resumed the next Saturday 08:00.
    let due = resume(
        &calendar,
        paused.due_at,
        tehran("2025-04-22 10:00"),
        tehran("2025-04-26 08:00"),
    );
    assert_eq!(due, tehran("2025-04-27 22:00"));
}

#[test]
fn who_hears_of_each_stage() {
    use Audience::*;
    assert_eq!(audience(DeadlineKind::Answer, Stage::Reminded), [Unit]);
    assert_eq!(
        audience(DeadlineKind::Acknowledge, Stage::Overdue),
        [Desk, Unit, ParentUnit]
    );
    assert_eq!(
        audience(DeadlineKind::Answer, Stage::Escalated),
        [Desk, ParentUnit, Head]
    );
    assert_eq!(audience(DeadlineKind::Classify, Stage::Reminded), [Desk]);
    assert_eq!(
        audience(DeadlineKind::Schedule, Stage::Escalated),
        [Desk, Head]
    );
    assert!(audience(DeadlineKind::Outcome, Stage::Reminded).is_empty());
    assert_eq!(audience(DeadlineKind::Outcome, Stage::Overdue), [Head]);
    for kind in DeadlineKind::ALL {
        assert!(audience(*kind, Stage::Running).is_empty());
        // No stage of the desk's own work goes to a unit.
        if !kind.is_units() {
            for stage in Stage::ALL {
                assert!(!audience(*kind, *stage).contains(&Unit));
            }
        }
    }
}

#[test]
fn the_most_specific_policy_wins() {
    let unit = UnitId::stored("u-1".to_owned());
    let policies = Policies::parse(
        "answer=8d, complaint.answer=5d; unit.u-1.answer=15d\nremind=4h, meeting.schedule=36h",
    )
    .unwrap();
    assert_eq!(policies.steps(None, None).answer, Span::WorkingDays(8));
    assert_eq!(
        policies.steps(Some(RequestKind::Complaint), None).answer,
        Span::WorkingDays(5)
    );
    assert_eq!(
        policies
            .steps(Some(RequestKind::Complaint), Some(&unit))
            .answer,
        Span::WorkingDays(15)
    );
    assert_eq!(
        policies.steps(Some(RequestKind::Report), None).answer,
        Span::WorkingDays(8)
    );
    let meeting = policies.steps(Some(RequestKind::Meeting), None);
    assert_eq!(meeting.schedule, Span::Hours(36));
    assert_eq!(meeting.thresholds.remind_before, Span::Hours(4));
    assert_eq!(meeting.classify, Steps::default().classify);
    assert_eq!(
        Policies::parse("").unwrap().steps(None, None),
        Steps::default()
    );
}

#[test]
fn a_bad_policy_is_refused_naming_it() {
    for bad in [
        "answer",
        "answer=10",
        "answer=10w",
        "reply=3d",
        "gossip.answer=3d",
        "unit..answer=3d",
        "a.b.c.answer=3d",
    ] {
        let error = Policies::parse(&format!("classify=1d, {bad}")).unwrap_err();
        assert_eq!(error.item, bad);
    }
}

#[test]
fn what_a_transition_does_to_the_deadlines() {
    use Status::*;
    let meeting = Some(RequestKind::Meeting);
    let complaint = Some(RequestKind::Complaint);
    let follows = |from, to, kind| after_transition(Some(from), to, kind);
    assert_eq!(
        follows(Registered, InReview, complaint),
        Follows {
            meet: vec![DeadlineKind::Classify],
            ..Follows::default()
        }
    );
    assert_eq!(
        follows(Registered, InReview, meeting),
        Follows {
            meet: vec![DeadlineKind::Classify],
            start: Some(DeadlineKind::Schedule),
            meet_all: false
        }
    );
    // Reclassified away from a meeting: the schedule is no longer owed.
    assert_eq!(
        follows(InReview, InReview, complaint).meet,
        [DeadlineKind::Schedule]
    );
    // Leaving review meets a review owed after an objection (none is open otherwise).
    assert_eq!(
        follows(InReview, MeetingScheduled, meeting),
        Follows {
            meet: vec![DeadlineKind::Classify, DeadlineKind::Schedule],
            start: Some(DeadlineKind::Outcome),
            meet_all: false
        }
    );
    // Moved: the outcome is owed for the new time.
    assert_eq!(
        follows(MeetingScheduled, MeetingScheduled, meeting),
        Follows {
            meet: vec![DeadlineKind::Outcome],
            start: Some(DeadlineKind::Outcome),
            meet_all: false
        }
    );
    assert_eq!(
        follows(MeetingScheduled, FollowUp, meeting).meet,
        [DeadlineKind::Outcome]
    );
    // A cancelled meeting is owed a schedule again.
    assert_eq!(
        follows(MeetingScheduled, InReview, meeting),
        Follows {
            meet: vec![DeadlineKind::Outcome],
            start: Some(DeadlineKind::Schedule),
            meet_all: false
        }
    );
    assert!(follows(Referred, Closed, complaint).meet_all);
    assert_eq!(after_transition(None, Registered, None), Follows::default());
    // Reopened by an objection: the desk owes a review (a meeting request, a schedule), met
    // when the desk decides.
    assert_eq!(
        follows(Closed, InReview, complaint),
        Follows {
            start: Some(DeadlineKind::Classify),
            ..Follows::default()
        }
    );
    assert_eq!(
        follows(Closed, InReview, meeting).start,
        Some(DeadlineKind::Schedule)
    );
    assert_eq!(
        follows(InReview, Referred, complaint).meet,
        [DeadlineKind::Classify, DeadlineKind::Schedule]
    );
}

#[test]
fn what_a_referral_step_does_to_the_deadlines() {
    assert_eq!(
        after_step(Step::Acknowledge),
        (&[DeadlineKind::Acknowledge][..], false)
    );
    assert_eq!(
        after_step(Step::Answer),
        (
            &[DeadlineKind::Acknowledge, DeadlineKind::Answer][..],
            false
        )
    );
    assert_eq!(after_step(Step::Return), (&[][..], true));
    assert_eq!(after_step(Step::Accept), (&[][..], false));
}

#[test]
fn the_inbox_lines_are_persian_and_name_the_work() {
    let line = notice(
        DeadlineKind::Answer,
        Stage::Reminded,
        "ارجاع R-12345678",
        "۱۲ آذر ۱۴۰۵",
    );
    assert_eq!(
        line,
        "یادآوری: مهلت پاسخ ارجاع R-12345678 ۱۲ آذر ۱۴۰۵ به پایان می\u{200C}رسد."
    );
    for stage in Stage::ALL {
        for kind in DeadlineKind::ALL {
            assert!(notice(*kind, *stage, "X", "D").contains('X'));
        }
    }
}
