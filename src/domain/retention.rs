//! How long a citizen's identity and own words are kept (PRODUCT rule 11): a request closed
//! longer than the retention period (24 months by default) loses them; its statistics, the
//! anonymised texts and its history stay. The citizen is told beforehand, by SMS, a notice
//! period before: no request is erased that was not announced at least that long ago, so a
//! Center that turns retention on erases nothing the day it does.

use chrono::{Months, NaiveDateTime, TimeDelta};

/// The periods (`MARDOM_RETENTION_MONTHS`, `MARDOM_RETENTION_NOTICE_DAYS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub keep: Months,
    pub notice: TimeDelta,
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            keep: Months::new(24),
            notice: TimeDelta::days(30),
        }
    }
}

/// What is owed to one closed request now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Kept, and not yet to be announced.
    Keep,
    /// Tell the citizen it will be erased on `erase_on`.
    Announce { erase_on: NaiveDateTime },
    /// Announced, and not yet due.
    Wait { erase_on: NaiveDateTime },
    /// Erase it now.
    Erase,
}

impl Retention {
    /// When a request closed at `closed_at` is erased, if it was announced at `announced_at`
    /// (the later of its retention's end and a full notice after the announcement).
    pub fn erase_on(&self, closed_at: NaiveDateTime, announced_at: NaiveDateTime) -> NaiveDateTime {
        let end = closed_at
            .checked_add_months(self.keep)
            .unwrap_or(NaiveDateTime::MAX);
        end.max(announced_at + self.notice)
    }

    /// The step for a request closed at `closed_at`, announced at `announced_at` (if it was).
    pub fn step(
        &self,
        closed_at: NaiveDateTime,
        announced_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> Step {
        let end = closed_at
            .checked_add_months(self.keep)
            .unwrap_or(NaiveDateTime::MAX);
        match announced_at {
            None if now >= end - self.notice => Step::Announce {
                erase_on: self.erase_on(closed_at, now),
            },
            None => Step::Keep,
            Some(at) if now >= self.erase_on(closed_at, at) => Step::Erase,
            Some(at) => Step::Wait {
                erase_on: self.erase_on(closed_at, at),
            },
        }
    }

    /// The latest closing time at which a request is due to be announced by `now`: what the
    /// sweep asks the database for.
    pub fn announce_closed_before(&self, now: NaiveDateTime) -> NaiveDateTime {
        (now + self.notice)
            .checked_sub_months(self.keep)
            .unwrap_or(NaiveDateTime::MIN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("{date} 12:00:00"), "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn a_request_is_announced_a_notice_before_and_erased_at_its_end() {
        let r = Retention::default();
        let closed = at("2024-01-10");
        assert_eq!(r.step(closed, None, at("2025-12-01")), Step::Keep);
        // 30 days before 2026-01-10.
        assert_eq!(
            r.step(closed, None, at("2025-12-11")),
            Step::Announce {
                erase_on: at("2026-01-10")
            }
        );
        let announced = at("2025-12-11");
        assert_eq!(
            r.step(closed, Some(announced), at("2026-01-09")),
            Step::Wait {
                erase_on: at("2026-01-10")
            }
        );
        assert_eq!(
            r.step(closed, Some(announced), at("2026-01-10")),
            Step::Erase
        );
    }

    #[test]
    fn a_request_found_late_is_erased_only_a_full_notice_after_its_announcement() {
        let r = Retention::default();
        let closed = at("2020-01-01");
        let now = at("2026-12-03");
        assert_eq!(
            r.step(closed, None, now),
            Step::Announce {
                erase_on: at("2027-01-02")
            }
        );
        assert_eq!(
            r.step(closed, Some(now), at("2027-01-01")),
            Step::Wait {
                erase_on: at("2027-01-02")
            }
        );
        assert_eq!(r.step(closed, Some(now), at("2027-01-02")), Step::Erase);
    }

    #[test]
    fn the_query_bound_matches_the_step() {
        let r = Retention::default();
        let now = at("2026-12-03");
        let bound = r.announce_closed_before(now);
        assert!(matches!(r.step(bound, None, now), Step::Announce { .. }));
        assert_eq!(r.step(bound + TimeDelta::seconds(1), None, now), Step::Keep);
    }
}
