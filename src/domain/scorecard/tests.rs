use chrono::{Duration, NaiveDate, NaiveDateTime};

use super::*;
use crate::domain::calendar::{HolidayFile, WorkingCalendar};
use crate::domain::jalali::JalaliDate;

/// Tehran wall time, as UTC (Tehran is UTC+3:30 all year since 2022).
fn tehran(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, 0))
        .unwrap()
        - Duration::minutes(210)
}

/// Fridays off and 2 Dey 1405 (Wednesday 23 December 2026), a lunar holiday.
fn calendar() -> WorkingCalendar {
    let file = HolidayFile::parse("1405-10-02 ولادت امام علی (ع)\n").unwrap();
    WorkingCalendar::new([chrono::Weekday::Fri].into(), &file).unwrap()
}

fn referral(created_at: NaiveDateTime) -> ReferralFacts {
    ReferralFacts {
        request_id: RequestId::generate(),
        created_at,
        acknowledged_at: None,
        answered_at: None,
        // Three working days from Saturday 19 December: the end of Tuesday 22.
        answer_due: tehran(2026, 12, 23, 0, 0),
        withdrawn: false,
        overdue_now: false,
        returns: 0,
        rating: None,
    }
}

#[test]
fn a_units_figures_follow_the_written_rules() {
    let sent = tehran(2026, 12, 19, 9, 0);
    let on_time = ReferralFacts {
        acknowledged_at: Some(tehran(2026, 12, 19, 15, 0)),
        answered_at: Some(tehran(2026, 12, 21, 9, 0)),
        rating: Some(4),
        ..referral(sent)
    };
    // Answered on Thursday 24: five days later, one of them the holiday, so four working days.
    let late = ReferralFacts {
        acknowledged_at: Some(tehran(2026, 12, 20, 9, 0)),
        answered_at: Some(tehran(2026, 12, 24, 9, 0)),
        rating: Some(5),
        ..referral(sent)
    };
    let overdue = ReferralFacts {
        overdue_now: true,
        ..referral(sent)
    };
    let pending = referral(tehran(2026, 12, 26, 9, 0));
    let score = score(&calendar(), &[on_time, late, overdue, pending]);
    assert_eq!(
        score,
        UnitScore {
            received: 4,
            on_time: 1,
            late: 1,
            overdue: 1,
            pending: 1,
            withdrawn: 0,
            returned: 0,
            median_days_to_acknowledge: Some(0.63),
            median_days_to_answer: Some(3.0),
            ratings: 2,
            rating_mean: Some(4.5),
        }
    );
}

#[test]
fn an_answer_without_an_acknowledgement_acknowledges_and_a_return_is_counted_apart() {
    let sent = tehran(2026, 12, 19, 9, 0);
    let request = RequestId::generate();
    let answered = ReferralFacts {
        request_id: request.clone(),
        answered_at: Some(tehran(2026, 12, 20, 9, 0)),
        returns: 1,
        rating: Some(2),
        ..referral(sent)
    };
    // Another referral of the same request to the same unit: its rating counts once.
    let withdrawn = ReferralFacts {
        request_id: request,
        withdrawn: true,
        overdue_now: true,
        rating: Some(2),
        ..referral(sent)
    };
    let figures = score(&calendar(), &[answered, withdrawn]);
    assert_eq!(
        (
            figures.on_time,
            figures.withdrawn,
            figures.overdue,
            figures.returned
        ),
        (1, 1, 0, 1)
    );
    assert_eq!(figures.median_days_to_acknowledge, Some(1.0));
    assert_eq!(figures.median_days_to_answer, Some(1.0));
    assert_eq!((figures.ratings, figures.rating_mean), (1, Some(2.0)));
    assert_eq!(score(&calendar(), &[]), UnitScore::default());
}

#[test]
fn an_answer_at_the_due_instant_is_on_time_and_a_second_later_is_late() {
    let sent = tehran(2026, 12, 19, 9, 0);
    let due = tehran(2026, 12, 23, 0, 0);
    let at = |answered| ReferralFacts {
        answered_at: Some(answered),
        ..referral(sent)
    };
    assert_eq!(at(due).timeliness(), Timeliness::OnTime);
    assert_eq!(
        at(due + Duration::seconds(1)).timeliness(),
        Timeliness::Late
    );
}

#[test]
fn weeks_begin_on_saturday_in_tehran() {
    // Friday 25 December 23:59 in Tehran is still the week of Saturday 19; a minute later the
    // next one begins, though it is still the 25th in UTC.
    assert_eq!(
        week_start(tehran(2026, 12, 25, 23, 59)),
        NaiveDate::from_ymd_opt(2026, 12, 19).unwrap()
    );
    assert_eq!(
        week_start(tehran(2026, 12, 26, 0, 0)),
        NaiveDate::from_ymd_opt(2026, 12, 26).unwrap()
    );
    let saturday = JalaliDate::from_gregorian(NaiveDate::from_ymd_opt(2026, 12, 26).unwrap());
    assert_eq!(saturday.iso(), "1405-10-05");
    assert_eq!(saturday.weekday_name(), "شنبه");
}

#[test]
fn the_weekly_count_has_every_week_kind_and_channel_and_marks_cut_weeks() {
    use Channel::*;
    use RequestKind::*;
    // From Monday 14 December to the end of Saturday 26: a cut week, a whole one, a cut one.
    let period = (tehran(2026, 12, 14, 0, 0), tehran(2026, 12, 27, 0, 0));
    let requests = [
        (tehran(2026, 12, 19, 9, 0), Some(Complaint), Online),
        (tehran(2026, 12, 19, 10, 0), Some(Complaint), Online),
        (tehran(2026, 12, 20, 10, 0), None, Phone),
        (tehran(2026, 12, 25, 23, 59), Some(Meeting), InPerson),
        (tehran(2026, 12, 26, 9, 0), Some(Complaint), Online),
    ];
    let weeks = weekly(period, &requests);
    let starts: Vec<_> = weeks
        .iter()
        .map(|w| (w.starts_on.to_string(), w.complete, w.total))
        .collect();
    assert_eq!(
        starts,
        [
            ("2026-12-12".to_owned(), false, 0),
            ("2026-12-19".to_owned(), true, 4),
            ("2026-12-26".to_owned(), false, 1),
        ]
    );
    let whole = &weeks[1].counts;
    assert_eq!(whole.len(), 6, "five kinds and the unclassified");
    assert_eq!(whole["complaint"]["online"], 2);
    assert_eq!(whole[UNCLASSIFIED]["phone"], 1);
    assert_eq!(whole["meeting"]["in_person"], 1);
    assert_eq!(whole["suggestion"].values().sum::<i64>(), 0);
    assert!(whole.values().all(|by_channel| by_channel.len() == 3));
}

#[test]
fn medians_take_the_middle_or_the_mean_of_the_two_middles() {
    assert_eq!(median(&mut []), None);
    assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
}
