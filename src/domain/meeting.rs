//! A meeting with the head: where it stands, and the one rule of how it moves. Only a scheduled
//! meeting changes: it is moved (rescheduled, still scheduled), cancelled, or ends with the
//! head's outcome (held, or the citizen did not come). Every other status is final.

use super::labels::labels;

labels! {
    // `scheduled` → `held` | `no_show` (the head's outcome) | `cancelled`.
    pub enum MeetingStatus {
        Scheduled = "scheduled",
        Held = "held",
        Cancelled = "cancelled",
        NoShow = "no_show",
    }
}

/// What happens to a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingEvent {
    Reschedule,
    Cancel,
    Held,
    NoShow,
}

impl MeetingStatus {
    /// The status after `event`, or `None` when the meeting is final already.
    pub fn after(self, event: MeetingEvent) -> Option<MeetingStatus> {
        match (self, event) {
            (MeetingStatus::Scheduled, MeetingEvent::Reschedule) => Some(MeetingStatus::Scheduled),
            (MeetingStatus::Scheduled, MeetingEvent::Cancel) => Some(MeetingStatus::Cancelled),
            (MeetingStatus::Scheduled, MeetingEvent::Held) => Some(MeetingStatus::Held),
            (MeetingStatus::Scheduled, MeetingEvent::NoShow) => Some(MeetingStatus::NoShow),
            (MeetingStatus::Held | MeetingStatus::Cancelled | MeetingStatus::NoShow, _) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_scheduled_meeting_moves() {
        use MeetingEvent::*;
        for event in [Reschedule, Cancel, Held, NoShow] {
            assert!(MeetingStatus::Scheduled.after(event).is_some(), "{event:?}");
            for done in [
                MeetingStatus::Held,
                MeetingStatus::Cancelled,
                MeetingStatus::NoShow,
            ] {
                assert_eq!(done.after(event), None, "{done:?} {event:?}");
            }
        }
        assert_eq!(
            MeetingStatus::Scheduled.after(Cancel),
            Some(MeetingStatus::Cancelled)
        );
    }
}
