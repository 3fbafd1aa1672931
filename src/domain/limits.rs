//! The abuse limits: which ones exist, what they allow, and the one rule that decides a hit.
//!
//! Each limit is a fixed-window counter per key (an address, a mobile number, a username): at
//! most `max` admitted hits per key in each `window`, the window starting at the first hit.
//! The decision admits or refuses *and* counts in one step, so that N concurrent requests admit
//! exactly `max`: a store applies [`decide`] under its own lock (memory) or as one atomic
//! upsert (PostgreSQL, `db::counters`, which mirrors it in SQL). A refused hit is not counted,
//! so giving back an admitted hit ([`Window::released`]) frees exactly one place.

use chrono::NaiveDateTime;

/// The limits, by what they protect. `scope` names each one in storage; never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Online submissions per client address.
    SubmissionsPerClient,
    /// Online submissions per mobile number: each one sends an SMS that the Center pays for.
    SubmissionsPerMobile,
    /// Public lookups, withdrawals and ratings per client address: blunts guessing codes.
    LookupsPerClient,
    /// Proofs of ownership (withdrawal, rating) per mobile number, with the lookups'
    /// allowance: guessing codes for one number from many addresses is as limited as from one.
    ProofsPerMobile,
    /// Failed sign-ins per username: slows guessing one account's password.
    SignInFailuresPerUsername,
    /// Failed sign-ins per client address: slows trying many usernames from one place.
    SignInFailuresPerAddress,
    /// A citizen's messages per request: a conversation, not a channel for a flood.
    CitizenMessagesPerRequest,
    /// SMS a request's conversation sends ("a message is waiting"): past it, messages are
    /// still written, the citizen finds them at their next visit, and no SMS is paid for.
    ConversationSmsPerRequest,
    /// Uploads from one client address: each one is stored until it is attached or swept.
    UploadsPerClient,
    /// Online meeting requests (proposed kind `meeting`) per mobile number: the head's
    /// calendar is the scarcest thing the desk has.
    MeetingRequestsPerMobile,
    /// One-time codes sent to one mobile number: each is an SMS the Center pays for (SMS
    /// pumping sends them to premium numbers by the thousand).
    CodesPerMobile,
    /// One-time codes asked for from one client address, whatever the numbers.
    CodesPerClient,
    /// Submissions by one portal (its key): a portal files for many citizens from one
    /// address, so it has an allowance of its own in place of the per-address one.
    SubmissionsPerPortal,
}

impl Limit {
    pub const ALL: [Limit; 13] = [
        Limit::SubmissionsPerClient,
        Limit::SubmissionsPerMobile,
        Limit::LookupsPerClient,
        Limit::ProofsPerMobile,
        Limit::SignInFailuresPerUsername,
        Limit::SignInFailuresPerAddress,
        Limit::CitizenMessagesPerRequest,
        Limit::ConversationSmsPerRequest,
        Limit::UploadsPerClient,
        Limit::MeetingRequestsPerMobile,
        Limit::CodesPerMobile,
        Limit::CodesPerClient,
        Limit::SubmissionsPerPortal,
    ];

    /// The stored name of the limit's counters.
    pub fn scope(self) -> &'static str {
        match self {
            Limit::SubmissionsPerClient => "submissions_per_client",
            Limit::SubmissionsPerMobile => "submissions_per_mobile",
            Limit::LookupsPerClient => "lookups_per_client",
            Limit::ProofsPerMobile => "proofs_per_mobile",
            Limit::SignInFailuresPerUsername => "sign_in_failures_per_username",
            Limit::SignInFailuresPerAddress => "sign_in_failures_per_address",
            Limit::CitizenMessagesPerRequest => "citizen_messages_per_request",
            Limit::ConversationSmsPerRequest => "conversation_sms_per_request",
            Limit::UploadsPerClient => "uploads_per_client",
            Limit::MeetingRequestsPerMobile => "meeting_requests_per_mobile",
            Limit::CodesPerMobile => "codes_per_mobile",
            Limit::CodesPerClient => "codes_per_client",
            Limit::SubmissionsPerPortal => "submissions_per_portal",
        }
    }

    /// What a refusal tells the client (the problem's `detail`).
    pub fn refusal(self) -> &'static str {
        match self {
            Limit::SubmissionsPerClient => "too many submissions from this address",
            Limit::SubmissionsPerMobile => "too many submissions for this mobile number",
            Limit::LookupsPerClient => "too many lookups from this address",
            Limit::ProofsPerMobile => "too many attempts for this mobile number",
            Limit::SignInFailuresPerUsername => "too many failed attempts",
            Limit::SignInFailuresPerAddress => "too many failed sign-ins from this address",
            Limit::CitizenMessagesPerRequest => "too many messages on this request today",
            Limit::ConversationSmsPerRequest => "too many SMS for this conversation today",
            Limit::UploadsPerClient => "too many uploads from this address",
            Limit::MeetingRequestsPerMobile => "too many meeting requests for this mobile number",
            Limit::CodesPerMobile => "too many codes for this mobile number",
            Limit::CodesPerClient => "too many codes from this address",
            Limit::SubmissionsPerPortal => "too many submissions from this portal",
        }
    }
}

/// At most `max` hits per key in each `window`. `max == u32::MAX` (the setting `off`) is no
/// limit at all: nothing is counted or stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub max: u32,
    pub window: std::time::Duration,
}

impl Allowance {
    pub const OFF: Allowance = Allowance {
        max: u32::MAX,
        window: std::time::Duration::ZERO,
    };

    pub fn new(max: u32, window: std::time::Duration) -> Self {
        Self { max, window }
    }

    pub fn is_off(&self) -> bool {
        self.max == u32::MAX
    }

    fn window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX)
    }
}

/// One key's counter: admitted hits in the window that ends at `ends`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub hits: u32,
    pub ends: NaiveDateTime,
}

/// What a hit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Counted: the key's counter is now `Window`.
    Admit(Window),
    /// Not counted: the window is full for this long.
    Refuse { retry_after: std::time::Duration },
}

/// Decides one hit on a key whose counter is `current` (none yet, or a window that may have
/// ended).
pub fn decide(current: Option<Window>, now: NaiveDateTime, allowance: Allowance) -> Decision {
    match current {
        Some(window) if window.ends > now => {
            if window.hits < allowance.max {
                Decision::Admit(Window {
                    hits: window.hits + 1,
                    ends: window.ends,
                })
            } else {
                Decision::Refuse {
                    retry_after: (window.ends - now).to_std().unwrap_or_default(),
                }
            }
        }
        _ if allowance.max == 0 => Decision::Refuse {
            retry_after: allowance.window,
        },
        _ => Decision::Admit(Window {
            hits: 1,
            ends: now
                .checked_add_signed(allowance.window())
                .unwrap_or(NaiveDateTime::MAX),
        }),
    }
}

impl Window {
    /// The counter after an admitted hit of the window ending `ends` is given back; unchanged
    /// when that window is over (a new one counts apart).
    pub fn released(self, ends: NaiveDateTime) -> Window {
        if self.ends == ends {
            Window {
                hits: self.hits.saturating_sub(1),
                ends: self.ends,
            }
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0)
            .unwrap_or_default()
            .naive_utc()
    }

    const TWO_PER_MINUTE: Allowance = Allowance {
        max: 2,
        window: Duration::from_secs(60),
    };

    fn admitted(decision: Decision) -> Window {
        match decision {
            Decision::Admit(window) => window,
            Decision::Refuse { .. } => panic!("refused"),
        }
    }

    #[test]
    fn the_first_hit_opens_a_window_and_the_max_fills_it() {
        let first = admitted(decide(None, at(0), TWO_PER_MINUTE));
        assert_eq!(
            first,
            Window {
                hits: 1,
                ends: at(60)
            }
        );
        let second = admitted(decide(Some(first), at(10), TWO_PER_MINUTE));
        assert_eq!(
            second,
            Window {
                hits: 2,
                ends: at(60)
            }
        );
        assert_eq!(
            decide(Some(second), at(45), TWO_PER_MINUTE),
            Decision::Refuse {
                retry_after: Duration::from_secs(15)
            }
        );
    }

    #[test]
    fn an_ended_window_starts_again() {
        let full = Window {
            hits: 2,
            ends: at(60),
        };
        assert_eq!(
            decide(Some(full), at(60), TWO_PER_MINUTE),
            Decision::Admit(Window {
                hits: 1,
                ends: at(120)
            })
        );
    }

    #[test]
    fn a_refused_hit_is_not_counted_so_a_release_frees_one_place() {
        let full = Window {
            hits: 2,
            ends: at(60),
        };
        let released = full.released(at(60));
        assert_eq!(released.hits, 1);
        assert!(matches!(
            decide(Some(released), at(1), TWO_PER_MINUTE),
            Decision::Admit(Window { hits: 2, .. })
        ));
        assert_eq!(
            full.released(at(61)),
            full,
            "another window's hit is not given back"
        );
    }

    #[test]
    fn a_zero_allowance_refuses_everything() {
        let none = Allowance::new(0, Duration::from_secs(60));
        assert!(matches!(decide(None, at(0), none), Decision::Refuse { .. }));
    }

    #[test]
    fn scopes_are_distinct() {
        let mut scopes: Vec<_> = Limit::ALL.iter().map(|l| l.scope()).collect();
        scopes.sort_unstable();
        scopes.dedup();
        assert_eq!(scopes.len(), Limit::ALL.len());
    }
}
