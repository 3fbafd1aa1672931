//! The working-day calendar deadlines are counted in: Solar Hijri dates in Tehran time,
//! weekly days off (Friday by default, Thursday too where a Center closes then), the fixed
//! solar holidays and the lunar ones of the holidays file.
//!
//! Deadlines run on a clock that only moves on working days. A span of working days ends at the
//! end (Tehran midnight) of the n-th working day after the day it starts on, as an
//! administrative "within five working days" is read; a span of hours is that much time on the
//! running clock. The same clock pauses a deadline: the running time left when it stops is the
//! running time given when it resumes (`running_between`, `add_running`).

pub mod holidays;

use std::collections::{BTreeSet, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Weekday};

use super::jalali::JalaliDate;
pub use holidays::{HolidayFile, HolidayFileError};

/// How long something may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    WorkingDays(u32),
    /// Hours of the running clock (which stops on days off).
    Hours(u32),
}

impl Span {
    /// `5d` (working days) or `36h` (hours of working time).
    pub fn parse(text: &str) -> Option<Span> {
        let text = text.trim();
        let (number, unit) = text.split_at(text.len().checked_sub(1)?);
        let number: u32 = number.trim().parse().ok()?;
        match unit {
            "d" => Some(Span::WorkingDays(number)),
            "h" => Some(Span::Hours(number)),
            _ => None,
        }
    }

    /// As `parse` reads it.
    pub fn as_text(self) -> String {
        match self {
            Span::WorkingDays(n) => format!("{n}d"),
            Span::Hours(n) => format!("{n}h"),
        }
    }
}

/// No deadline is ever searched for further than this many days: a calendar with no working
/// day in it (refused at start) must not loop forever.
const HORIZON_DAYS: i64 = 3660;

/// Which days work is done on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCalendar {
    days_off: HashSet<Weekday>,
    lunar: BTreeSet<JalaliDate>,
}

impl Default for WorkingCalendar {
    /// Fridays off, the fixed solar holidays, and the shipped file's lunar ones.
    fn default() -> Self {
        let lunar = HolidayFile::parse(holidays::SHIPPED)
            .map(|file| file.days.into_keys().collect())
            .unwrap_or_default();
        WorkingCalendar {
            days_off: HashSet::from([Weekday::Fri]),
            lunar,
        }
    }
}

/// A calendar that has no working day in a week.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("every day of the week is a day off: nothing could ever be due")]
pub struct NoWorkingDay;

impl WorkingCalendar {
    /// A calendar with these weekly days off and the lunar holidays of `file`.
    pub fn new(days_off: HashSet<Weekday>, file: &HolidayFile) -> Result<Self, NoWorkingDay> {
        if days_off.len() >= 7 {
            return Err(NoWorkingDay);
        }
        Ok(WorkingCalendar {
            days_off,
            lunar: file.days.keys().copied().collect(),
        })
    }

    /// Whether work is done on a Tehran calendar day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        let jalali = JalaliDate::from_gregorian(day);
        !self.days_off.contains(&day.weekday())
            && !holidays::is_fixed(jalali)
            && !self.lunar.contains(&jalali)
    }

    /// When a span started at `start` (UTC) ends (UTC).
    pub fn add(&self, start: NaiveDateTime, span: Span) -> NaiveDateTime {
        match span {
            Span::Hours(hours) => self.add_running(start, Duration::hours(i64::from(hours))),
            Span::WorkingDays(days) => {
                let mut day = tehran_day(start);
                let mut left = days;
                for _ in 0..HORIZON_DAYS {
                    if left == 0 {
                        break;
                    }
                    day = day.succ_opt().unwrap_or(day);
                    if self.is_working_day(day) {
                        left -= 1;
                    }
                }
                day_start(day.succ_opt().unwrap_or(day))
            }
        }
    }

    /// When `before` of running time is left until `due`: a reminder's time. Never earlier than
    /// `floor` (the deadline's start: a reminder cannot be due before its deadline began).
    pub fn subtract(
        &self,
        due: NaiveDateTime,
        before: Span,
        floor: NaiveDateTime,
    ) -> NaiveDateTime {
        let before = match before {
            Span::Hours(hours) => Duration::hours(i64::from(hours)),
            Span::WorkingDays(days) => Duration::days(i64::from(days)),
        };
        let mut at = due;
        let mut left = before;
        for _ in 0..HORIZON_DAYS {
            if left <= Duration::zero() || at <= floor {
                break;
            }
            let day = tehran_day(at - Duration::microseconds(1));
            let start = day_start(day).max(floor);
            if self.is_working_day(day) {
                let here = at - start;
                if here >= left {
                    return at - left;
                }
                left -= here;
            }
            at = start;
        }
        at.max(floor)
    }

    /// Running time in `[from, to)`: the part of it on working days.
    pub fn running_between(&self, from: NaiveDateTime, to: NaiveDateTime) -> Duration {
        let mut total = Duration::zero();
        let mut at = from;
        for _ in 0..HORIZON_DAYS {
            if at >= to {
                break;
            }
            let day = tehran_day(at);
            let end = day_start(day.succ_opt().unwrap_or(day)).min(to);
            if self.is_working_day(day) {
                total += end - at;
            }
            at = end;
        }
        total
    }

    /// The instant at which `running` of running time has passed since `from`.
    pub fn add_running(&self, from: NaiveDateTime, running: Duration) -> NaiveDateTime {
        let mut at = from;
        let mut left = running;
        for _ in 0..HORIZON_DAYS {
            let day = tehran_day(at);
            let end = day_start(day.succ_opt().unwrap_or(day));
            if self.is_working_day(day) {
                if end - at >= left {
                    return at + left;
                }
                left -= end - at;
            }
            at = end;
        }
        at
    }
}

/// A due time as a person reads it: «پایان ۱۱ آذر ۱۴۰۵» for a deadline that ends with a
/// working day (at Tehran midnight), «۱۲ آذر ۱۴۰۵ ساعت ۱۴:۰۰» for one that ends within a day.
pub fn shown_due(due: NaiveDateTime) -> String {
    if day_start(tehran_day(due)) == due {
        let last = JalaliDate::from_gregorian(tehran_day(due - Duration::seconds(1)));
        format!("پایان {}", last.persian())
    } else {
        let local = super::jalali::local_time(due.and_utc());
        format!("{} ساعت {}", local.jalali_display, local.time)
    }
}

/// The Tehran calendar day of a UTC instant.
pub fn tehran_day(instant: NaiveDateTime) -> NaiveDate {
    super::jalali::tehran(instant.and_utc()).date_naive()
}

/// The UTC instant at which a Tehran calendar day begins. In the years Iran kept summer time it
/// moved its clocks forward at midnight after 1 Farvardin, so that day's successor began at
/// 01:00; since 2022 every midnight exists. The last fallback only satisfies the type.
pub fn day_start(day: NaiveDate) -> NaiveDateTime {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    let local = |at: NaiveDateTime| chrono_tz::Asia::Tehran.from_local_datetime(&at).earliest();
    local(midnight)
        .or_else(|| local(midnight + Duration::hours(1)))
        .map_or(midnight - Duration::minutes(210), |t| t.naive_utc())
}

#[cfg(test)]
mod tests;
