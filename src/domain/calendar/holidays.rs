//! Iran's official holidays: the solar ones, fixed in the Jalali calendar and built in, and the
//! lunar ones, which move by about eleven days a year and come from a holidays file.
//!
//! The file is plain text so that an administrator can read and extend it: one holiday per
//! line, a Jalali date (`YYYY-MM-DD`, ASCII or Persian digits), whitespace, and its name; `#`
//! starts a comment. It is checked when the server starts: a line that is not a real date of
//! the calendar stops the start, naming the line.

use std::collections::{BTreeMap, BTreeSet};

use crate::domain::jalali::JalaliDate;
use crate::domain::text::ascii_digits;

/// The solar holidays as (month, day): Nowruz (1–4 Farvardin), Islamic Republic Day and Nature
/// Day (12, 13 Farvardin), Khomeini's death and the 15 Khordad uprising (14, 15 Khordad), the
/// revolution's victory (22 Bahman), oil nationalisation (29 Esfand).
pub const FIXED: [(u32, u32); 10] = [
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 12),
    (1, 13),
    (3, 14),
    (3, 15),
    (11, 22),
    (12, 29),
];

/// The file shipped with the server: the lunar holidays of the current and the next Solar
/// Hijri years, with their source in its header.
pub const SHIPPED: &str = include_str!("../../../config/holidays-iran.txt");

/// Whether a date is one of the fixed solar holidays.
pub fn is_fixed(date: JalaliDate) -> bool {
    FIXED.contains(&(date.month, date.day))
}

/// The holidays a file lists, by date, with their names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayFile {
    pub days: BTreeMap<JalaliDate, String>,
}

/// A line of a holidays file that is not a holiday.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} of the holidays file: {reason}")]
pub struct HolidayFileError {
    pub line: usize,
    pub reason: String,
}

impl HolidayFile {
    /// Reads a holidays file. Every line must be a comment, blank, or a real date with a name;
    /// a date listed twice is refused (a copy-paste slip, or two names for one day that the
    /// reader should settle).
    pub fn parse(text: &str) -> Result<HolidayFile, HolidayFileError> {
        let mut days = BTreeMap::new();
        for (index, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let fail = |reason: &str| HolidayFileError {
                line: index + 1,
                reason: reason.to_owned(),
            };
            let (date, name) = line
                .split_once(char::is_whitespace)
                .ok_or_else(|| fail("expected a date, then the holiday's name"))?;
            let date = parse_date(date).ok_or_else(|| {
                fail("the date is not a Jalali date of the calendar (YYYY-MM-DD)")
            })?;
            let name = name.trim();
            if days.insert(date, name.to_owned()).is_some() {
                return Err(fail("this date is listed twice"));
            }
        }
        Ok(HolidayFile { days })
    }

    /// The Jalali years that have at least one holiday in the file: the years it covers.
    pub fn years(&self) -> BTreeSet<i32> {
        self.days.keys().map(|d| d.year).collect()
    }
}

/// `1405-04-14` (in any digits) as a date of the calendar.
fn parse_date(text: &str) -> Option<JalaliDate> {
    let text = ascii_digits(text);
    let mut parts = text.split('-');
    let year = parts.next()?.parse().ok()?;
    let month = parts.next()?.parse().ok()?;
    let day = parts.next()?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let date = JalaliDate { year, month, day };
    date.to_gregorian().map(|_| date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_reads_and_covers_two_years() {
        let file = HolidayFile::parse(SHIPPED).unwrap();
        assert!(file.years().contains(&1405) && file.years().contains(&1406));
        assert!(file.days.len() >= 2 * 14, "{} holidays", file.days.len());
    }

    #[test]
    fn comments_blanks_and_persian_digits_are_read() {
        let file =
            HolidayFile::parse("# header\n\n۱۴۰۵-۰۴-۰۳  تاسوعا\n1405-04-04\tعاشورا # a note\n")
                .unwrap();
        let dates: Vec<String> = file.days.keys().map(|d| d.iso()).collect();
        assert_eq!(dates, ["1405-04-03", "1405-04-04"]);
        assert_eq!(
            file.days[&JalaliDate {
                year: 1405,
                month: 4,
                day: 4
            }],
            "عاشورا"
        );
    }

    #[test]
    fn a_bad_line_is_refused_with_its_number() {
        for (text, line) in [
            ("1405-04-03  x\n1405-13-01  y\n", 2),
            ("1405-12-30  not a leap year\n", 1),
            ("1405-04-03\n", 1),
            ("Tir 3  x\n", 1),
            ("1405-04-03  a\n1405-04-03  b\n", 2),
            ("1405-04-03-01  x\n", 1),
        ] {
            let error = HolidayFile::parse(text).unwrap_err();
            assert_eq!(error.line, line, "{text:?}: {error}");
        }
    }

    #[test]
    fn the_fixed_holidays_include_nowruz_and_29_esfand() {
        let date = |month, day| JalaliDate {
            year: 1403,
            month,
            day,
        };
        assert!(is_fixed(date(1, 1)) && is_fixed(date(1, 4)) && is_fixed(date(12, 29)));
        assert!(!is_fixed(date(1, 5)) && !is_fixed(date(12, 30)));
    }
}
