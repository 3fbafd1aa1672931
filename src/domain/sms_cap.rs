//! The per-number SMS cap: at most `per_window` messages to one number in any window (an hour in
//! production), so that a flood of submissions for one number cannot run up the bill.
//!
//! A message takes a slot of its number's window when it is *claimed* to be sent (its
//! `charged_at`), not when the provider answers: two dispatchers with sends in flight then see
//! each other's, and cannot both send the last allowed one. A message keeps its slot through
//! retries within the window (one message, one slot); after the window a retry takes a new one.
//!
//! `split` decides, for the due messages of one claim, which go now and which wait, and until
//! when. The caller must hold off other claims for the same numbers while it decides and
//! records (see `db::outbox::claim`); the rule itself is plain arithmetic on times.

use std::collections::HashMap;

use chrono::{NaiveDateTime, TimeDelta};

/// At most `per_window` messages to one number in any `window`; 0 means no cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap {
    pub per_window: u32,
    pub window: TimeDelta,
}

impl Cap {
    /// No cap: every due message goes.
    pub const NONE: Cap = Cap {
        per_window: 0,
        window: TimeDelta::zero(),
    };

    /// Whether the cap limits anything.
    pub fn is_on(&self) -> bool {
        self.per_window > 0 && self.window > TimeDelta::zero()
    }

    /// Charges after this occupy a slot at `now` (saturating: a window longer than the calendar
    /// reaches back to its start instead of overflowing).
    pub fn window_start(&self, now: NaiveDateTime) -> NaiveDateTime {
        now.checked_sub_signed(self.window)
            .unwrap_or(NaiveDateTime::MIN)
    }

    /// Whether a charge at `at` still occupies a slot at `now`. A charge after `now` (another
    /// dispatcher's clock running ahead) counts too: the cap errs towards holding.
    pub fn in_window(&self, at: NaiveDateTime, now: NaiveDateTime) -> bool {
        at > self.window_start(now)
    }

    /// When a slot taken at `at` frees.
    fn frees(&self, at: NaiveDateTime) -> NaiveDateTime {
        at.checked_add_signed(self.window)
            .unwrap_or(NaiveDateTime::MAX)
    }

    /// Why a message waits, as the desk reads it in `last_error`.
    pub fn hold_reason(&self, until: NaiveDateTime) -> String {
        let per = if self.window == TimeDelta::hours(1) {
            "hour".to_owned()
        } else {
            format!("{} s", self.window.num_seconds())
        };
        format!(
            "held: this number has had its {} SMS per {per}; sent from {} UTC when a slot frees",
            self.per_window,
            until.format("%Y-%m-%d %H:%M:%S")
        )
    }
}

/// One due message, as the cap sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate<'a> {
    pub recipient: &'a str,
    /// When it last took a slot (a claim to send it), if ever.
    pub charged_at: Option<NaiveDateTime>,
}

/// What becomes of one due message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Claimed and sent now; `charge`: it takes a new slot (false when it holds one from an
    /// earlier attempt within the window).
    Go { charge: bool },
    /// Not claimed: due again `until`, the moment a slot of its number frees for it.
    Hold { until: NaiveDateTime },
}

/// Decides each candidate in order (oldest due first). `charges` are the charge times of the
/// candidates' numbers, the candidates' own included, as read under the caller's lock; the ones
/// outside the window at `now` are ignored.
///
/// Held messages of one number are spread over the slots as they free, in order: the first
/// waits for the oldest charge to leave the window, the next for the one after, and so on
/// (counting the slots the earlier held ones will take), so that they do not all wake at once
/// only to be held again.
pub fn split(
    cap: &Cap,
    now: NaiveDateTime,
    candidates: &[Candidate<'_>],
    charges: &[(&str, NaiveDateTime)],
) -> Vec<Decision> {
    let holds_slot = |c: &Candidate<'_>| c.charged_at.is_some_and(|at| cap.in_window(at, now));
    if !cap.is_on() {
        return candidates
            .iter()
            .map(|c| Decision::Go {
                charge: !holds_slot(c),
            })
            .collect();
    }
    let limit = usize::try_from(cap.per_window).unwrap_or(usize::MAX);
    // Per number, the times its slots are taken, ascending: charges in the window, then the
    // slots this claim gives or promises.
    let mut taken: HashMap<&str, Vec<NaiveDateTime>> = HashMap::new();
    for &(recipient, at) in charges {
        if cap.in_window(at, now) {
            taken.entry(recipient).or_default().push(at);
        }
    }
    for times in taken.values_mut() {
        times.sort_unstable();
    }
    candidates
        .iter()
        .map(|candidate| {
            if holds_slot(candidate) {
                return Decision::Go { charge: false };
            }
            let times = taken.entry(candidate.recipient).or_default();
            if times.len() < limit {
                insert_sorted(times, now);
                return Decision::Go { charge: true };
            }
            // With n slots taken (n ≥ limit), the window holds limit − 1 of them once the
            // (n − limit)-th oldest leaves it.
            let until = cap.frees(times[times.len() - limit]);
            insert_sorted(times, until);
            Decision::Hold { until }
        })
        .collect()
}

fn insert_sorted(times: &mut Vec<NaiveDateTime>, at: NaiveDateTime) {
    let position = times.partition_point(|&t| t <= at);
    times.insert(position, at);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap()
            .naive_utc()
    }

    fn cap(per_window: u32, seconds: i64) -> Cap {
        Cap {
            per_window,
            window: TimeDelta::seconds(seconds),
        }
    }

    fn fresh(recipient: &str) -> Candidate<'_> {
        Candidate {
            recipient,
            charged_at: None,
        }
    }

    const GO: Decision = Decision::Go { charge: true };

    #[test]
    fn under_the_cap_everything_goes_and_is_charged() {
        let candidates = vec![fresh("a"), fresh("a"), fresh("b")];
        assert_eq!(
            split(&cap(10, 3600), at(0), &candidates, &[]),
            vec![GO, GO, GO]
        );
    }

    #[test]
    fn over_the_cap_the_rest_waits_for_the_slots_to_free_one_by_one() {
        let candidates = vec![fresh("a"); 5];
        let charges = [("a", at(-50)), ("a", at(-30))];
        let decisions = split(&cap(3, 100), at(0), &candidates, &charges);
        assert_eq!(
            decisions,
            vec![
                GO,
                // -50 leaves the window at 50, -30 at 70, the one sent now at 100.
                Decision::Hold { until: at(50) },
                Decision::Hold { until: at(70) },
                Decision::Hold { until: at(100) },
                // …and the first held one's slot, taken at 50, at 150.
                Decision::Hold { until: at(150) },
            ]
        );
    }

    #[test]
    fn a_number_at_its_cap_does_not_hold_another_number() {
        let candidates = vec![fresh("a"), fresh("b")];
        let charges = [("a", at(-1)), ("a", at(-2))];
        assert_eq!(
            split(&cap(2, 60), at(0), &candidates, &charges),
            vec![Decision::Hold { until: at(58) }, GO]
        );
    }

    #[test]
    fn a_retry_within_the_window_keeps_its_slot_and_takes_no_second() {
        let retry = Candidate {
            recipient: "a",
            charged_at: Some(at(-10)),
        };
        // Its own charge fills the cap: it goes anyway, a new message does not.
        let charges = [("a", at(-10))];
        assert_eq!(
            split(&cap(1, 60), at(0), &[retry, fresh("a")], &charges),
            vec![
                Decision::Go { charge: false },
                Decision::Hold { until: at(50) }
            ]
        );
    }

    #[test]
    fn a_retry_after_the_window_takes_a_new_slot() {
        let retry = Candidate {
            recipient: "a",
            charged_at: Some(at(-61)),
        };
        assert_eq!(
            split(&cap(1, 60), at(0), &[retry], &[("a", at(-61))]),
            vec![GO]
        );
    }

    #[test]
    fn charges_outside_the_window_do_not_count() {
        let charges = [("a", at(-60)), ("a", at(-61))];
        assert_eq!(
            split(&cap(1, 60), at(0), &[fresh("a")], &charges),
            vec![GO],
            "exactly one window ago or earlier: out of the window"
        );
    }

    #[test]
    fn a_charge_from_a_clock_running_ahead_counts() {
        let charges = [("a", at(5))];
        assert_eq!(
            split(&cap(1, 60), at(0), &[fresh("a")], &charges),
            vec![Decision::Hold { until: at(65) }]
        );
    }

    #[test]
    fn a_lowered_cap_holds_until_enough_slots_free() {
        let charges: Vec<(&str, NaiveDateTime)> = (1..=6).map(|s| ("a", at(-s * 10))).collect();
        // Six charges at -60…-10 and a cap of 2: the fifth oldest (-20) must leave first.
        assert_eq!(
            split(&cap(2, 100), at(0), &[fresh("a")], &charges),
            vec![Decision::Hold { until: at(80) }]
        );
    }

    #[test]
    fn a_window_beyond_the_calendar_does_not_overflow() {
        let endless = Cap {
            per_window: 1,
            window: TimeDelta::MAX,
        };
        assert_eq!(
            split(&endless, at(0), &[fresh("a")], &[("a", at(-1))]),
            vec![Decision::Hold {
                until: NaiveDateTime::MAX
            }]
        );
    }

    #[test]
    fn no_cap_sends_everything() {
        let retry = Candidate {
            recipient: "a",
            charged_at: Some(at(-1)),
        };
        let none = Cap {
            per_window: 0,
            window: TimeDelta::hours(1),
        };
        assert_eq!(
            split(&none, at(0), &[fresh("a"), retry], &[]),
            vec![GO, Decision::Go { charge: false }]
        );
        assert_eq!(split(&Cap::NONE, at(0), &[fresh("a")], &[]), vec![GO]);
    }

    #[test]
    fn replayed_claims_never_put_more_than_the_cap_in_a_window_and_send_everything() {
        // Random arrivals for two numbers; each step claims what is due, as the outbox does, and
        // a held message comes back when its time comes. No window ever holds more than the cap,
        // a hold is always for later, and with no more arrivals everything goes out.
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..300 {
            let cap = cap(rng.random_range(1..5), rng.random_range(1..50));
            let mut sent: Vec<(&str, NaiveDateTime)> = Vec::new();
            // (number, due at)
            let mut queue: Vec<(&str, NaiveDateTime)> = Vec::new();
            let mut now = 0;
            let mut arrived = 0;
            for step in 0..100_000 {
                if step >= 40 && queue.is_empty() {
                    break;
                }
                now += rng.random_range(0..10);
                if step < 40 {
                    for _ in 0..rng.random_range(0..4) {
                        queue.push((if rng.random_bool(0.7) { "a" } else { "b" }, at(now)));
                        arrived += 1;
                    }
                }
                queue.sort_by_key(|&(_, due)| due);
                let (due, later): (Vec<_>, Vec<_>) =
                    queue.iter().partition(|&&(_, due)| due <= at(now));
                let candidates: Vec<Candidate<'_>> = due.iter().map(|&(r, _)| fresh(r)).collect();
                let decisions = split(&cap, at(now), &candidates, &sent);
                queue = later;
                for (&(recipient, _), decision) in due.iter().zip(decisions) {
                    match decision {
                        Decision::Go { charge: true } => sent.push((recipient, at(now))),
                        Decision::Go { charge: false } => unreachable!("never charged before"),
                        Decision::Hold { until } => {
                            assert!(until > at(now), "{cap:?}: held until the past");
                            queue.push((recipient, until));
                        }
                    }
                }
            }
            assert!(queue.is_empty(), "{cap:?}: {} never sent", queue.len());
            assert_eq!(sent.len(), arrived);
            for &(recipient, start) in &sent {
                let within = sent
                    .iter()
                    .filter(|&&(r, t)| r == recipient && t >= start && t < start + cap.window)
                    .count();
                assert!(
                    within <= cap.per_window as usize,
                    "{cap:?}: {within} to {recipient} in a window"
                );
            }
        }
    }
}
