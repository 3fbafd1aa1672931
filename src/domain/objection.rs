//! The citizen's objection to how their request ended (PRODUCT.md's "objection"; the process's
//! «اعتراض»): once a request is closed with an outcome, the citizen who filed it may object,
//! once, within a window counted on the working-day calendar from the closing. An objection
//! reopens the request to review; what the lifecycle needs to decide is only where the request
//! stands against that window, which this module works out from plain facts.

use chrono::NaiveDateTime;

use super::calendar::{Span, WorkingCalendar};
use super::request::{Resolution, Status};

/// The window when the configuration names none: ten working days from the closing, what a
/// citizen can reasonably be expected to notice an answer in and write back.
pub const DEFAULT_WINDOW: Span = Span::WorkingDays(10);

/// Where a request stands for an objection, now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Standing {
    /// Open, or closed by the citizen's own withdrawal: there is no outcome to object to.
    #[default]
    NoOutcome,
    /// Closed with an outcome; the citizen may object until this instant (UTC).
    Open { until: NaiveDateTime },
    /// The citizen objected once already (the request may have closed again since).
    Used,
    /// The window ended at this instant (UTC).
    Expired { until: NaiveDateTime },
}

/// The facts a standing is decided on, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub status: Status,
    pub resolution: Option<Resolution>,
    pub closed_at: Option<NaiveDateTime>,
    /// Whether the history holds an objection already.
    pub objected_before: bool,
}

/// Where a request with `facts` stands at `now`, with `window` counted on `calendar` from its
/// closing. The window ends at the end of its last working day, so an objection written on
/// that day's evening still counts.
pub fn standing(
    facts: Facts,
    window: Span,
    calendar: &WorkingCalendar,
    now: NaiveDateTime,
) -> Standing {
    let (Status::Closed, Some(resolution), Some(closed_at)) =
        (facts.status, facts.resolution, facts.closed_at)
    else {
        return Standing::NoOutcome;
    };
    if resolution == Resolution::Withdrawn {
        return Standing::NoOutcome;
    }
    if facts.objected_before {
        return Standing::Used;
    }
    let until = calendar.add(closed_at, window);
    if now < until {
        Standing::Open { until }
    } else {
        Standing::Expired { until }
    }
}

impl Standing {
    /// Until when an objection is accepted, if it is now.
    pub fn open_until(self) -> Option<NaiveDateTime> {
        match self {
            Standing::Open { until } => Some(until),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(y: i32, m: u32, d: u32, h: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .and_then(|d| d.and_hms_opt(h, 0, 0))
            .unwrap()
    }

    fn closed(resolution: Resolution, objected_before: bool) -> Facts {
        Facts {
            status: Status::Closed,
            resolution: Some(resolution),
            // Saturday 5 December 2026, 10:00 UTC (13:30 in Tehran).
            closed_at: Some(at(2026, 12, 5, 10)),
            objected_before,
        }
    }

    #[test]
    fn the_window_runs_to_the_end_of_its_last_working_day_in_tehran() {
        let calendar = WorkingCalendar::default();
        let facts = closed(Resolution::Resolved, false);
        // Three working days from Saturday: Sunday, Monday, Tuesday; Tuesday ends at
        // midnight Tehran time, 20:30 UTC.
        let window = Span::WorkingDays(3);
        let until = at(2026, 12, 8, 20) + chrono::Duration::minutes(30);
        assert_eq!(
            standing(facts, window, &calendar, at(2026, 12, 8, 20)),
            Standing::Open { until }
        );
        assert_eq!(
            standing(facts, window, &calendar, until),
            Standing::Expired { until }
        );
    }

    #[test]
    fn a_friday_does_not_count_towards_the_window() {
        let calendar = WorkingCalendar::default();
        let facts = closed(Resolution::Thanked, false);
        // Six working days from Saturday 5 Dec: 6, 7, 8, 9, 10 and (Friday 11 skipped) 12.
        let until = standing(facts, Span::WorkingDays(6), &calendar, at(2026, 12, 6, 0))
            .open_until()
            .unwrap();
        assert_eq!(until, at(2026, 12, 12, 20) + chrono::Duration::minutes(30));
    }

    #[test]
    fn once_only_and_never_after_a_withdrawal_or_while_open() {
        let calendar = WorkingCalendar::default();
        let now = at(2026, 12, 6, 0);
        let window = DEFAULT_WINDOW;
        assert_eq!(
            standing(closed(Resolution::Resolved, true), window, &calendar, now),
            Standing::Used
        );
        assert_eq!(
            standing(closed(Resolution::Withdrawn, false), window, &calendar, now),
            Standing::NoOutcome
        );
        for status in [Status::InReview, Status::Referred, Status::Registered] {
            let open = Facts {
                status,
                resolution: None,
                closed_at: None,
                objected_before: true,
            };
            assert_eq!(standing(open, window, &calendar, now), Standing::NoOutcome);
        }
        for resolution in [
            Resolution::Thanked,
            Resolution::Declined,
            Resolution::NoShow,
            Resolution::MeetingNoAction,
            Resolution::Resolved,
        ] {
            assert!(matches!(
                standing(closed(resolution, false), window, &calendar, now),
                Standing::Open { .. }
            ));
        }
    }
}
