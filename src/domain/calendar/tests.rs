use super::*;
use proptest::prelude::*;
use std::collections::HashSet;

/// A Tehran wall-clock time (+03:30 since 2022) as the UTC instant it is stored as.
fn tehran(text: &str) -> NaiveDateTime {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
    local - Duration::minutes(210)
}

fn jalali(year: i32, month: u32, day: u32) -> NaiveDate {
    JalaliDate { year, month, day }.to_gregorian().unwrap()
}

/// Fridays off (and Thursdays when asked), the fixed holidays, and the lunar ones given.
fn calendar(thursday_off: bool, lunar: &str) -> WorkingCalendar {
    let mut off = HashSet::from([Weekday::Fri]);
    if thursday_off {
        off.insert(Weekday::Thu);
    }
    WorkingCalendar::new(off, &HolidayFile::parse(lunar).unwrap()).unwrap()
}

/// Eid al-Fitr 1446 as Iran kept it: 10 and 11 Farvardin 1404.
const EID_1404: &str = "1404-01-10  عید فطر\n1404-01-11  عید فطر\n";

#[test]
fn working_days_across_a_leap_esfand_and_nowruz() {
    // From Tuesday 28 Esfand 1403 (2025-03-18), 10:00. 29 Esfand is a holiday, 30 Esfand (the
    // leap day, a Thursday) is worked, 1–4 Farvardin are Nowruz, Fridays are off.
    let start = tehran("2025-03-18 10:00");
    let cases: [(bool, &str, u32, &str); 7] = [
        // 30 Esfand, then 5, 6, 7 and 9 Farvardin: due at the end of 9 Farvardin.
        (false, "", 5, "2025-03-30 00:00"),
        (false, "", 1, "2025-03-21 00:00"),
        // Zero days: the end of the day it started.
        (false, "", 0, "2025-03-19 00:00"),
        // Thursdays off too: 30 Esfand is not worked, the fifth day is 11 Farvardin.
        (true, "", 5, "2025-04-01 00:00"),
        // Eid al-Fitr on 10–11 Farvardin and 12–13 Farvardin: the sixth day is 14 Farvardin,
        // the seventh 16 Farvardin (15 is a Friday).
        (false, EID_1404, 6, "2025-04-04 00:00"),
        (false, EID_1404, 7, "2025-04-06 00:00"),
        (false, EID_1404, 5, "2025-03-30 00:00"),
    ];
    for (thursday_off, lunar, days, due) in cases {
        let calendar = calendar(thursday_off, lunar);
        assert_eq!(
            calendar.add(start, Span::WorkingDays(days)),
            tehran(due),
            "{days} working days, thursday off: {thursday_off}, lunar: {lunar:?}"
        );
    }
}

#[test]
fn working_days_across_a_common_esfand() {
    // 1404 is a common year: Esfand ends on the 29th (2026-03-20, a Friday and a holiday), and
    // 1405 begins on Saturday 2026-03-21. From Tuesday 26 Esfand: 27, 28 Esfand, then 5
    // Farvardin.
    let calendar = calendar(false, "");
    assert!(!JalaliDate::is_leap_year(1404));
    assert_eq!(
        calendar.add(tehran("2026-03-17 09:00"), Span::WorkingDays(3)),
        tehran("2026-03-26 00:00")
    );
    assert_eq!(
        jalali(1405, 1, 5),
        NaiveDate::from_ymd_opt(2026, 3, 25).unwrap()
    );
}

#[test]
fn which_days_are_worked() {
    let calendar = calendar(false, EID_1404);
    let worked = |year, month, day| calendar.is_working_day(jalali(year, month, day));
    assert!(!worked(1403, 12, 29), "29 Esfand");
    assert!(worked(1403, 12, 30), "the leap day, a Thursday");
    for day in 1..=4 {
        assert!(!worked(1404, 1, day), "Nowruz {day}");
    }
    assert!(worked(1404, 1, 5));
    assert!(!worked(1404, 1, 8), "a Friday");
    assert!(!worked(1404, 1, 10) && !worked(1404, 1, 11), "Eid al-Fitr");
    assert!(!worked(1404, 1, 12) && !worked(1404, 1, 13));
    assert!(!worked(1404, 3, 14) && !worked(1404, 3, 15));
    assert!(!worked(1404, 11, 22));
}

#[test]
fn hours_run_only_on_working_days() {
    let calendar = calendar(false, "");
    // Thursday 30 Esfand 1403, 12:00: twelve hours that day, then Friday and Nowruz stand
    // still, and the clock runs again on Tuesday 5 Farvardin.
    assert_eq!(
        calendar.add(tehran("2025-03-20 12:00"), Span::Hours(24)),
        tehran("2025-03-25 12:00")
    );
    assert_eq!(
        calendar.add(tehran("2025-03-25 12:00"), Span::Hours(6)),
        tehran("2025-03-25 18:00")
    );
    // Started on a day off, the clock waits for the next working day.
    assert_eq!(
        calendar.add(tehran("2025-03-21 12:00"), Span::Hours(1)),
        tehran("2025-03-25 01:00")
    );
}

#[test]
fn a_reminder_comes_a_working_day_before() {
    let calendar = calendar(false, "");
    let start = tehran("2025-03-18 10:00");
    let due = tehran("2025-03-30 00:00");
    assert_eq!(
        calendar.subtract(due, Span::WorkingDays(1), start),
        tehran("2025-03-29 00:00")
    );
    // Two working days before the end of 9 Farvardin: Friday 8 Farvardin does not count.
    assert_eq!(
        calendar.subtract(due, Span::WorkingDays(2), start),
        tehran("2025-03-27 00:00")
    );
    assert_eq!(
        calendar.subtract(due, Span::Hours(3), start),
        tehran("2025-03-29 21:00")
    );
    // Never before the deadline began.
    assert_eq!(calendar.subtract(due, Span::WorkingDays(30), start), start);
}

#[test]
fn a_pause_keeps_the_running_time_left() {
    let calendar = calendar(false, "");
    // Due at the end of Tuesday 5 Farvardin 1404; paused on Wednesday 29 Esfand (a holiday,
    // so the clock was already still) at 10:00: left, 30 Esfand and 5 Farvardin, 48 hours.
    let due = tehran("2025-03-26 00:00");
    let left = calendar.running_between(tehran("2025-03-19 10:00"), due);
    assert_eq!(left, Duration::hours(48));
    // Resumed on Saturday 9 Farvardin at 09:00: due 48 running hours later, Friday skipped.
    assert_eq!(
        calendar.add_running(tehran("2025-03-29 09:00"), left),
        tehran("2025-03-31 09:00")
    );
}

#[test]
fn spans_are_read_and_written() {
    assert_eq!(Span::parse("5d"), Some(Span::WorkingDays(5)));
    assert_eq!(Span::parse(" 36h"), Some(Span::Hours(36)));
    for bad in ["", "d", "5", "5w", "-1d", "1.5d"] {
        assert_eq!(Span::parse(bad), None, "{bad:?}");
    }
    assert_eq!(Span::WorkingDays(10).as_text(), "10d");
}

#[test]
fn a_week_of_days_off_is_refused() {
    use Weekday::*;
    let all = HashSet::from([Sat, Sun, Mon, Tue, Wed, Thu, Fri]);
    assert_eq!(
        WorkingCalendar::new(all, &HolidayFile::default()),
        Err(NoWorkingDay)
    );
}

proptest! {
    /// Running time added and then measured is what was added, wherever it starts.
    #[test]
    fn running_time_round_trips(start_minutes in 0i64..(3 * 365 * 24 * 60), minutes in 0i64..(60 * 24 * 40)) {
        let calendar = calendar(false, EID_1404);
        let from = tehran("2024-01-01 00:00") + Duration::minutes(start_minutes);
        let running = Duration::minutes(minutes);
        let to = calendar.add_running(from, running);
        prop_assert_eq!(calendar.running_between(from, to), running);
        prop_assert!(to >= from + running);
    }

    /// A span of working days always ends at a Tehran midnight that follows a working day.
    #[test]
    fn working_days_end_at_the_end_of_a_working_day(start_minutes in 0i64..(3 * 365 * 24 * 60), days in 1u32..30) {
        let calendar = calendar(true, EID_1404);
        let from = tehran("2024-01-01 00:00") + Duration::minutes(start_minutes);
        let due = calendar.add(from, Span::WorkingDays(days));
        let last = tehran_day(due - Duration::minutes(1));
        prop_assert!(calendar.is_working_day(last));
        prop_assert_eq!(day_start(tehran_day(due)), due);
        prop_assert_eq!(calendar.running_between(from, due) >= Duration::hours(24 * i64::from(days - 1)), true);
    }
}

#[test]
fn a_due_time_reads_as_the_day_it_ends_or_its_hour() {
    assert_eq!(
        shown_due(tehran("2025-03-30 00:00")),
        "پایان ۹ فروردین ۱۴۰۴"
    );
    assert_eq!(
        shown_due(tehran("2025-03-25 14:30")),
        "۵ فروردین ۱۴۰۴ ساعت ۱۴:۳۰"
    );
}
