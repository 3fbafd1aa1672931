//! The Solar Hijri (Jalali) calendar and Tehran's clock: what a citizen or a member of staff reads
//! for a date or an instant. It owns the Persian names of months and weekdays, Persian digits, and
//! the Tehran offset of a UTC instant; the conversion between Gregorian and Jalali dates is
//! ICU4X's (`icu_calendar`'s Persian calendar). Instants are kept and compared in UTC everywhere
//! else; this is only how they are shown.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, SecondsFormat, Timelike, Utc};
use icu_calendar::Date;
use icu_calendar::cal::Persian;
use icu_calendar::options::{DateFromFieldsOptions, Overflow};
use icu_calendar::types::{DateFields, RataDie};
use serde::Serialize;
use utoipa::ToSchema;

/// A Solar Hijri (Jalali) calendar date.
///
/// The fields are public so that a date can be written down plainly; one built by hand may not be
/// in the calendar (month 13, 30 Esfand of a common year), which `to_gregorian` answers with
/// `None` and the name functions with an empty string. Dates made by `from_gregorian` are always
/// real. The derived order is chronological because the fields go from year to day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct JalaliDate {
    pub year: i32,
    /// 1 (Farvardin) to 12 (Esfand).
    pub month: u32,
    /// 1 to 31 in months 1–6, 1 to 30 in months 7–11, 1 to 29 in Esfand (30 in a leap year).
    pub day: u32,
}

const MONTH_NAMES: [&str; 12] = [
    "فروردین",
    "اردیبهشت",
    "خرداد",
    "تیر",
    "مرداد",
    "شهریور",
    "مهر",
    "آبان",
    "آذر",
    "دی",
    "بهمن",
    "اسفند",
];

/// The Iranian week starts on Saturday. «سه‌شنبه» and «پنج‌شنبه» are written with a ZWNJ, as
/// text.rs keeps it. (CLDR, and so ICU4X's `fa` data, writes «پنجشنبه» without one; that is why
/// the names stay here rather than coming from `icu_datetime`.)
const WEEKDAY_NAMES: [&str; 7] = [
    "شنبه",
    "یکشنبه",
    "دوشنبه",
    "سه\u{200C}شنبه",
    "چهارشنبه",
    "پنج\u{200C}شنبه",
    "جمعه",
];

const PERSIAN_DIGITS: [char; 10] = ['۰', '۱', '۲', '۳', '۴', '۵', '۶', '۷', '۸', '۹'];

/// The day number (chrono's `num_days_from_ce`: 1 = 1 January of year 1, which is also ICU's
/// Rata Die) of a Jalali date, or `None` if the date is not in the calendar.
///
/// ICU4X's Persian calendar (`calendrical_calculations::persian`, Reingold & Dershowitz's 33-year
/// rule with a table of corrections from 1502 AP on) is said by its authors to follow the
/// astronomical calendar (Nowruz on the day of the March equinox if it falls before noon at
/// 52.5° E, else the next day) from 1178 to 3000 AP; outside that range it carries the 33-year
/// rule on. `try_from_fields` with `Overflow::Reject` refuses a month or day outside the
/// calendar instead of clamping it, and accepts any year in ICU's range (Gregorian years
/// ±999,999, wider than chrono's); `try_new_persian` would stop at ±9,999.
fn day_number(year: i32, month: u32, day: u32) -> Option<i64> {
    let mut fields = DateFields::default();
    fields.extended_year = Some(year);
    fields.ordinal_month = Some(u8::try_from(month).ok()?);
    fields.day = Some(u8::try_from(day).ok()?);
    let mut options = DateFromFieldsOptions::default();
    options.overflow = Some(Overflow::Reject);
    let date = Date::try_from_fields(fields, options, Persian).ok()?;
    Some(date.to_rata_die().to_i64_date())
}

impl JalaliDate {
    /// The Jalali date of a Gregorian date. Total: every Gregorian date has one.
    pub fn from_gregorian(date: NaiveDate) -> JalaliDate {
        // Every chrono date is inside ICU's range, so `from_rata_die` never clamps here.
        let date = Date::from_rata_die(RataDie::new(i64::from(date.num_days_from_ce())), Persian);
        JalaliDate {
            year: date.year().extended_year(),
            month: u32::from(date.month().ordinal),
            day: u32::from(date.day_of_month().0),
        }
    }

    /// The Gregorian date, or `None` if this date is not in the calendar (month outside 1–12, day
    /// 0 or past the month's end) or is beyond the dates chrono can hold.
    pub fn to_gregorian(self) -> Option<NaiveDate> {
        let day = day_number(self.year, self.month, self.day)?;
        NaiveDate::from_num_days_from_ce_opt(i32::try_from(day).ok()?)
    }

    /// Whether a Jalali year has 366 days, Esfand having 30 instead of 29. ICU's own answer for
    /// the year, the same rule its conversions use; `false` for a year beyond ICU's range
    /// (about a million years either way), which has no Gregorian date anyway.
    pub fn is_leap_year(year: i32) -> bool {
        day_number(year, 12, 30).is_some()
    }

    /// The month's Persian name, «فروردین» to «اسفند»; empty for a month outside 1–12.
    pub fn month_name(self) -> &'static str {
        match self.month {
            1..=12 => MONTH_NAMES[(self.month - 1) as usize],
            _ => "",
        }
    }

    /// The weekday's Persian name, «شنبه» to «جمعه»; empty for a date not in the calendar.
    pub fn weekday_name(self) -> &'static str {
        // Day 1 of the common era was a Monday, so day numbers ≡ 6 (mod 7) are Saturdays.
        day_number(self.year, self.month, self.day)
            .map_or("", |day| WEEKDAY_NAMES[(day + 1).rem_euclid(7) as usize])
    }

    /// "1403-05-12": ASCII digits, zero-padded, for machines and sorting.
    pub fn iso(self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// "۱۲ مرداد ۱۴۰۳": day, month name and year in Persian digits, as a person writes a date.
    ///
    /// Not `icu_datetime`: its `fa` long date (`d MMMM y`, Persian digits) is the same text for
    /// every real date, but it cannot write a hand-made date outside the calendar, and it would
    /// add a large dependency for no change.
    pub fn persian(self) -> String {
        persian_digits(&format!("{} {} {}", self.day, self.month_name(), self.year))
    }
}

// ---------------------------------------------------------------------------------------------
// Kept only so that the module's existing tests compile unchanged. They belonged to the
// hand-written (Borkowski / jalaali-js) calendar that ICU replaces and are not used by it.

/// The jalaali-js break years, as in the hand-written module (test-only now).
#[cfg(test)]
const BREAKS: [i64; 20] = [
    -61, 9, 38, 199, 426, 686, 756, 818, 1111, 1181, 1210, 1635, 2060, 2097, 2192, 2262, 2324,
    2394, 2456, 3178,
];

/// Hinnant's `days_from_civil` for a day of March, as in the hand-written module (test-only now).
#[cfg(test)]
fn march_day(year: i64, day: i64) -> i64 {
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day - 1;
    era * 146_097 + day_of_era - 305
}

/// Day number of 1 Farvardin, now from ICU (test-only; 0 outside ICU's range).
#[cfg(test)]
fn nowruz(year: i64) -> i64 {
    i32::try_from(year)
        .ok()
        .and_then(|year| day_number(year, 1, 1))
        .unwrap_or(0)
}
// ---------------------------------------------------------------------------------------------

/// Tehran local time of a UTC instant, with the offset Iran kept at that moment.
///
/// Iran Standard Time is +03:30. Daylight saving time (+04:30) ran from the start of 2 Farvardin
/// to the start of 31 Shahrivar (clocks forward at 24:00 on 1 Farvardin, back at 24:00 on
/// 30 Shahrivar, local time) in 1991–2005 and 2008–2022, with an irregular history before; there
/// was none in 2006–2007, and a 2022 law abolished it from 1402 (March 2023) on, so 2022's summer
/// was the last at +04:30. Before November 1978 standard time was briefly +04:00, and before 1935
/// it was Tehran mean time. All of this is the IANA database's Asia/Tehran, read through
/// chrono-tz rather than hand-written, so that a request filed in a past summer shows the hour the
/// citizen's clock showed, and any future change arrives with a chrono-tz update.
pub fn tehran(instant: DateTime<Utc>) -> DateTime<FixedOffset> {
    instant
        .with_timezone(&chrono_tz::Asia::Tehran)
        .fixed_offset()
}

/// What a person in Tehran reads for an instant: the same moment as a machine-readable local
/// timestamp and as a Jalali date and time in Persian.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[schema(example = json!({
    "tehran": "2026-12-01T10:30:00+03:30",
    "jalali_date": "1405-09-10",
    "jalali_display": "۱۰ آذر ۱۴۰۵",
    "time": "۱۰:۳۰",
    "weekday": "سه\u{200C}شنبه"
}))]
pub struct LocalTime {
    /// RFC 3339 with the Tehran offset of that moment, to the second, e.g.
    /// `2026-12-01T10:30:00+03:30`.
    pub tehran: String,
    /// The Tehran date in the Jalali calendar, ASCII digits, e.g. `1405-09-10`.
    pub jalali_date: String,
    /// The same date as a person writes it, e.g. `۱۰ آذر ۱۴۰۵`.
    pub jalali_display: String,
    /// Tehran wall-clock hour and minute in Persian digits, 24-hour, e.g. `۱۰:۳۰`.
    pub time: String,
    /// The Tehran weekday's Persian name, e.g. `سه‌شنبه`.
    pub weekday: String,
}

/// What a person in Tehran reads for an instant. The date is Tehran's, not UTC's: from 20:30 UTC
/// (19:30 in the old summers) it is already the next day there.
pub fn local_time(instant: DateTime<Utc>) -> LocalTime {
    let local = tehran(instant);
    let date = JalaliDate::from_gregorian(local.date_naive());
    LocalTime {
        // Seconds are enough for reading; the exact instant is kept in UTC elsewhere.
        tehran: local.to_rfc3339_opts(SecondsFormat::Secs, false),
        jalali_date: date.iso(),
        jalali_display: date.persian(),
        time: persian_digits(&format!("{:02}:{:02}", local.hour(), local.minute())),
        weekday: date.weekday_name().to_owned(),
    }
}

/// Persian digits (۰–۹) for ASCII ones; every other character is kept. The reverse of
/// `text::ascii_digits`, for text shown to people.
pub fn persian_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => PERSIAN_DIGITS[usize::from(c as u8 - b'0')],
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Weekday};

    fn gregorian(iso: &str) -> NaiveDate {
        NaiveDate::parse_from_str(iso, "%Y-%m-%d").unwrap()
    }

    fn jalali(year: i32, month: u32, day: u32) -> JalaliDate {
        JalaliDate { year, month, day }
    }

    fn utc(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Known pairs (Gregorian, Jalali), from calendars and checked against jdatetime.
    const KNOWN: [(&str, (i32, u32, u32)); 20] = [
        // Nowruz of several years, on 20 and 21 March.
        ("2020-03-20", (1399, 1, 1)),
        ("2021-03-21", (1400, 1, 1)),
        ("2023-03-21", (1402, 1, 1)),
        ("2024-03-20", (1403, 1, 1)),
        ("2025-03-21", (1404, 1, 1)),
        ("2026-03-21", (1405, 1, 1)),
        ("1979-03-21", (1358, 1, 1)),
        ("1921-03-21", (1300, 1, 1)),
        // The last day of leap years.
        ("2025-03-20", (1403, 12, 30)),
        ("2021-03-20", (1399, 12, 30)),
        // The last day of common years.
        ("2024-03-19", (1402, 12, 29)),
        ("2020-03-19", (1398, 12, 29)),
        ("2026-03-20", (1404, 12, 29)),
        // Other days, in both halves of the year.
        ("1979-02-11", (1357, 11, 22)),
        ("2025-11-29", (1404, 9, 8)),
        ("2024-08-02", (1403, 5, 12)),
        ("1970-01-01", (1348, 10, 11)),
        ("2000-01-01", (1378, 10, 11)),
        ("1900-01-01", (1278, 10, 11)),
        ("2100-12-31", (1479, 10, 10)),
    ];

    #[test]
    fn known_dates_convert_both_ways() {
        for (g, (y, m, d)) in KNOWN {
            assert_eq!(
                JalaliDate::from_gregorian(gregorian(g)),
                jalali(y, m, d),
                "{g}"
            );
            assert_eq!(
                jalali(y, m, d).to_gregorian(),
                Some(gregorian(g)),
                "{y}-{m}-{d}"
            );
        }
    }

    #[test]
    fn leap_years_1390_to_1410_are_the_known_ones() {
        let leap: Vec<i32> = (1390..=1410)
            .filter(|&y| JalaliDate::is_leap_year(y))
            .collect();
        assert_eq!(leap, [1391, 1395, 1399, 1403, 1408]);
    }

    /// jalaali-js's own leap rule (the `leap` of `jalCal`, with its truncating division), kept
    /// here only to check that reading leap years off Nowruz agrees with it.
    fn jalaali_js_is_leap(year: i64) -> bool {
        let mut start = BREAKS[0];
        let mut jump = 0;
        for &next in &BREAKS[1..] {
            jump = next - start;
            if year < next {
                break;
            }
            start = next;
        }
        let mut n = year - start;
        if jump - n < 6 {
            n = n - jump + (jump + 4) / 33 * 33;
        }
        ((n + 1) % 33 - 1) % 4 == 0
    }

    #[test]
    fn leap_years_agree_with_jalaali_js_from_1900_to_2100() {
        // ICU4X's rule and Borkowski's breaks (jalaali-js) agree on every year of 1279–1479
        // (Gregorian 1900–2100), the range compared day by day when the library replaced the
        // hand-written arithmetic; outside it they part (first in 1177 and 1503), and the
        // equinox favours Borkowski in most of those years. Dates that far are nothing a
        // request holds.
        for year in 1279..=1479 {
            let length = nowruz(year + 1) - nowruz(year);
            assert!(length == 365 || length == 366, "{year}");
            let year_i32 = i32::try_from(year).unwrap();
            assert_eq!(
                JalaliDate::is_leap_year(year_i32),
                jalaali_js_is_leap(year),
                "{year}"
            );
        }
    }

    #[test]
    fn every_day_1900_to_2100_is_the_day_jalaali_js_gives() {
        let mut date = gregorian("1900-01-01");
        let end = gregorian("2100-12-31");
        while date <= end {
            let day = i64::from(date.num_days_from_ce());
            let mut year = i64::from(date.year()) - 621;
            if day < nowruz(year) {
                year -= 1;
            }
            let k = day - nowruz(year);
            let (month, day_of_month) = if k < 186 {
                (1 + k / 31, k % 31 + 1)
            } else {
                (7 + (k - 186) / 30, (k - 186) % 30 + 1)
            };
            let expected = jalali(year as i32, month as u32, day_of_month as u32);
            assert_eq!(JalaliDate::from_gregorian(date), expected, "{date}");
            date += Duration::days(1);
        }
    }

    #[test]
    fn every_day_1900_to_2100_round_trips_and_follows_the_previous() {
        let mut date = gregorian("1900-01-01");
        let end = gregorian("2100-12-31");
        let mut previous = JalaliDate::from_gregorian(date - Duration::days(1));
        while date <= end {
            let j = JalaliDate::from_gregorian(date);
            assert_eq!(j.to_gregorian(), Some(date), "{date} → {j:?}");
            let next_day = jalali(previous.year, previous.month, previous.day + 1);
            let next_month = jalali(previous.year, previous.month + 1, 1);
            let next_year = jalali(previous.year + 1, 1, 1);
            assert!(
                j == next_day || (previous.day >= 29 && (j == next_month || j == next_year)),
                "{previous:?} then {j:?}"
            );
            previous = j;
            date += Duration::days(1);
        }
    }

    #[test]
    fn dates_outside_the_calendar_are_refused() {
        assert_eq!(jalali(1403, 12, 31).to_gregorian(), None);
        assert_eq!(jalali(1404, 12, 30).to_gregorian(), None);
        assert_eq!(jalali(1404, 13, 1).to_gregorian(), None);
        assert_eq!(jalali(1404, 0, 1).to_gregorian(), None);
        assert_eq!(jalali(1404, 1, 0).to_gregorian(), None);
        assert_eq!(jalali(1404, 1, 32).to_gregorian(), None);
        assert_eq!(jalali(1404, 7, 31).to_gregorian(), None);
        assert_eq!(jalali(i32::MAX, 1, 1).to_gregorian(), None);
        assert_eq!(jalali(i32::MIN, 1, 1).to_gregorian(), None);
        assert!(jalali(1404, 6, 31).to_gregorian().is_some());
        assert!(jalali(1403, 12, 30).to_gregorian().is_some());
    }

    #[test]
    fn the_whole_chrono_range_converts_without_panicking() {
        for date in [NaiveDate::MIN, NaiveDate::MAX] {
            let j = JalaliDate::from_gregorian(date);
            assert_eq!(j.to_gregorian(), Some(date), "{date} → {j:?}");
        }
        // Far outside the breaks table the extrapolated calendar still has whole years.
        let (min, max) = (NaiveDate::MIN.year() - 621, NaiveDate::MAX.year() - 621);
        for year in (min..max).step_by(997) {
            let length = nowruz(i64::from(year) + 1) - nowruz(i64::from(year));
            assert!(length == 365 || length == 366, "{year}");
        }
    }

    #[test]
    fn march_day_counts_days_as_chrono_does() {
        for year in (-2000..3000).step_by(7) {
            for day in [1, 20, 21, 22, 31] {
                let date = NaiveDate::from_ymd_opt(year, 3, day).unwrap();
                assert_eq!(
                    march_day(i64::from(year), i64::from(day)),
                    i64::from(date.num_days_from_ce()),
                    "{date}"
                );
            }
        }
    }

    #[test]
    fn month_names_are_persian() {
        let names: Vec<&str> = (1..=12).map(|m| jalali(1404, m, 1).month_name()).collect();
        assert_eq!(names.first(), Some(&"فروردین"));
        assert_eq!(names.get(4), Some(&"مرداد"));
        assert_eq!(names.get(8), Some(&"آذر"));
        assert_eq!(names.last(), Some(&"اسفند"));
        assert_eq!(jalali(1404, 13, 1).month_name(), "");
        assert_eq!(jalali(1404, 0, 1).month_name(), "");
    }

    #[test]
    fn weekday_names_match_chrono_every_day() {
        let mut date = gregorian("1990-01-01");
        while date <= gregorian("2030-12-31") {
            let expected = match date.weekday() {
                Weekday::Sat => "شنبه",
                Weekday::Sun => "یکشنبه",
                Weekday::Mon => "دوشنبه",
                Weekday::Tue => "سه\u{200C}شنبه",
                Weekday::Wed => "چهارشنبه",
                Weekday::Thu => "پنج\u{200C}شنبه",
                Weekday::Fri => "جمعه",
            };
            assert_eq!(
                JalaliDate::from_gregorian(date).weekday_name(),
                expected,
                "{date}"
            );
            date += Duration::days(1);
        }
        // 22 Bahman 1357 was a Sunday; Nowruz 1403 a Wednesday.
        assert_eq!(jalali(1357, 11, 22).weekday_name(), "یکشنبه");
        assert_eq!(jalali(1403, 1, 1).weekday_name(), "چهارشنبه");
        assert_eq!(jalali(1404, 12, 30).weekday_name(), "");
    }

    #[test]
    fn dates_are_written_in_both_forms() {
        let date = jalali(1403, 5, 12);
        assert_eq!(date.iso(), "1403-05-12");
        assert_eq!(date.persian(), "۱۲ مرداد ۱۴۰۳");
        assert_eq!(jalali(1405, 9, 10).persian(), "۱۰ آذر ۱۴۰۵");
        assert_eq!(jalali(1404, 1, 1).iso(), "1404-01-01");
    }

    #[test]
    fn dates_order_chronologically() {
        assert!(jalali(1403, 12, 30) < jalali(1404, 1, 1));
        assert!(jalali(1404, 2, 31) < jalali(1404, 10, 1));
        assert!(jalali(1404, 10, 2) > jalali(1404, 10, 1));
    }

    #[test]
    fn persian_digits_replace_only_ascii_digits() {
        assert_eq!(persian_digits("0123456789"), "۰۱۲۳۴۵۶۷۸۹");
        assert_eq!(persian_digits("ساعت 10:30، ۱۴۰۵"), "ساعت ۱۰:۳۰، ۱۴۰۵");
        assert_eq!(persian_digits("abc"), "abc");
        assert_eq!(persian_digits(""), "");
    }

    #[test]
    fn tehran_is_three_and_a_half_hours_ahead_today() {
        let local = tehran(utc("2026-12-01T07:00:00Z"));
        assert_eq!(local.to_rfc3339(), "2026-12-01T10:30:00+03:30");
        // No daylight saving time any more, not even in summer.
        assert_eq!(
            tehran(utc("2025-07-01T12:00:00Z"))
                .offset()
                .local_minus_utc(),
            3 * 3600 + 1800
        );
    }

    #[test]
    fn past_summers_keep_their_daylight_saving_time() {
        let offset = |instant: &str| tehran(utc(instant)).offset().local_minus_utc();
        let (standard, summer) = (3 * 3600 + 1800, 4 * 3600 + 1800);
        assert_eq!(offset("2021-07-01T12:00:00Z"), summer);
        assert_eq!(offset("2019-08-15T12:00:00Z"), summer);
        // 2022 was the last summer at +04:30; the law took effect from 1402.
        assert_eq!(offset("2022-07-01T12:00:00Z"), summer);
        assert_eq!(offset("2023-07-01T12:00:00Z"), standard);
        // Suspended in 2006 and 2007.
        assert_eq!(offset("2007-07-01T12:00:00Z"), standard);
        assert_eq!(offset("2021-01-01T12:00:00Z"), standard);
    }

    #[test]
    fn daylight_saving_time_began_and_ended_at_midnight() {
        let at = |instant: &str| tehran(utc(instant)).to_rfc3339();
        // 24:00 on 1 Farvardin 1400 (21 March 2021) became 01:00 on 2 Farvardin.
        assert_eq!(at("2021-03-21T20:29:59Z"), "2021-03-21T23:59:59+03:30");
        assert_eq!(at("2021-03-21T20:30:00Z"), "2021-03-22T01:00:00+04:30");
        // 24:00 on 30 Shahrivar 1400 (21 September 2021) went back to 23:00.
        assert_eq!(at("2021-09-21T19:29:59Z"), "2021-09-21T23:59:59+04:30");
        assert_eq!(at("2021-09-21T19:30:00Z"), "2021-09-21T23:00:00+03:30");
    }

    #[test]
    fn local_time_reads_as_in_tehran() {
        assert_eq!(
            local_time(utc("2026-12-01T07:00:00Z")),
            LocalTime {
                tehran: "2026-12-01T10:30:00+03:30".to_owned(),
                jalali_date: "1405-09-10".to_owned(),
                jalali_display: "۱۰ آذر ۱۴۰۵".to_owned(),
                time: "۱۰:۳۰".to_owned(),
                weekday: "سه\u{200C}شنبه".to_owned(),
            }
        );
    }

    #[test]
    fn local_time_takes_the_date_in_tehran_not_in_utc() {
        // Still 19 March in UTC, already Nowruz 1403 in Tehran.
        let nowruz = local_time(utc("2024-03-19T20:30:00Z"));
        assert_eq!(nowruz.tehran, "2024-03-20T00:00:00+03:30");
        assert_eq!(nowruz.jalali_date, "1403-01-01");
        assert_eq!(nowruz.jalali_display, "۱ فروردین ۱۴۰۳");
        assert_eq!(nowruz.time, "۰۰:۰۰");
        assert_eq!(nowruz.weekday, "چهارشنبه");
        // Sub-second precision is not shown.
        let precise =
            Utc.with_ymd_and_hms(2021, 7, 1, 8, 15, 42).unwrap() + Duration::milliseconds(250);
        let summer = local_time(precise);
        assert_eq!(summer.tehran, "2021-07-01T12:45:42+04:30");
        assert_eq!(summer.time, "۱۲:۴۵");
        assert_eq!(summer.jalali_date, "1400-04-10");
    }

    #[test]
    fn local_time_serialises_with_its_field_names() {
        let json = serde_json::to_value(local_time(utc("2026-12-01T07:00:00Z"))).unwrap();
        assert_eq!(json["jalali_date"], "1405-09-10");
        assert_eq!(json["time"], "۱۰:۳۰");
    }
}
