//! The request lifecycle as one pure function of status, kind, actor and command (PRODUCT.md,
//! "The request lifecycle"): every change of status is decided here and nowhere else, together
//! with the history event it writes and the messages it sends. The use cases load, call
//! `apply`, and write what it returns.
//!
//! ```text
//! registered ✉tracking code
//!    └─ classify ─▶ in_review                     (reclassify while in_review)
//! in_review, feedback kind:  refer ─▶ referred ✉ | thank ─▶ closed(thanked) ✉
//! in_review, meeting:        schedule ─▶ meeting_scheduled ✉ | redirect ─▶ referred ✉
//!                            | decline ─▶ closed(declined) ✉
//! meeting_scheduled:         reschedule ✉ | cancel ─▶ in_review ✉ | outcome(no_show) ─▶ closed
//!                            | outcome(held, no action) ─▶ closed(meeting_no_action) ✉
//!                            | outcome(held, follow-ups) ─▶ follow_up
//! referred, feedback kind:  refer (another unit) ─▶ referred ✉
//! referred | follow_up:      close, once every referral is accepted ─▶ closed(resolved) ✉
//! any open status:           withdraw (the citizen) ─▶ closed(withdrawn)
//! closed with an outcome:     object (the citizen, once, in its window) ─▶ in_review
//! ```
//!
//! Three rules ride on the table. An outcome (held or no-show) fits only once the meeting's start
//! time has passed. An objection fits only once, and only inside its window
//! (`objection::Standing`). And closing a request, by any path, settles what hangs on it in the same
//! transaction (`Settlement`): a meeting still scheduled is cancelled, freeing its slot, and
//! every referral not yet accepted is withdrawn, so no unit keeps working on a closed request.

use chrono::NaiveDateTime;

use super::labels::labels;
use super::objection::Standing;
use super::request::{RequestKind, Resolution, Status};
use super::role::Role;

labels! {
    /// A template of an SMS — to the citizen, or (`staff_notice`) to a member of staff; the
    /// parameters travel beside it. Its label is the name the outbox stores and the templates
    /// file overrides.
    pub enum Template {
        /// «your request is registered; its tracking code is …»
        TrackingCodeIssued = "tracking_code_issued",
        /// «your request was referred to the responsible unit»
        Referred = "referred",
        /// «thank you for your suggestion / criticism / complaint / report»
        Thanked = "thanked",
        /// «your meeting with the head of the Center is on … at …»
        MeetingScheduled = "meeting_scheduled",
        /// «your meeting was moved to … at …»
        MeetingRescheduled = "meeting_rescheduled",
        /// «your meeting was cancelled; the desk will contact you»
        MeetingCancelled = "meeting_cancelled",
        /// «your request is being handled by unit X instead of a meeting»
        MeetingRedirected = "meeting_redirected",
        /// «your meeting request was declined: reason»
        MeetingDeclined = "meeting_declined",
        /// «the meeting needed no further action»
        MeetingNoAction = "meeting_no_action",
        /// «your request was dealt with: outcome»
        Resolved = "resolved",
        /// «a message about your request is waiting: read and answer it with your code»
        MessageWaiting = "message_waiting",
        /// «the answer to your request needs more time: it will come by …»
        DeadlineExtended = "deadline_extended",
        /// «a reminder: your meeting with the head is on … at …»
        MeetingReminder = "meeting_reminder",
        /// To a member of staff: their inbox line (a deadline's reminder or escalation, an
        /// objection). It has no `{tracking_code}`: a unit member's lines never name the
        /// request, and an override cannot make them.
        StaffNotice = "staff_notice",
        /// «your code for the citizen's door is …»: a one-time code; no tracking code (it is
        /// sent before anyone knows which request the citizen wants).
        CitizenCode = "citizen_code",
        /// «on … the personal details and the text of request … are erased; its record stays»:
        /// the retention sweep's notice, a notice period before (`domain::retention`).
        RetentionNotice = "retention_notice",
    }
}

/// Who acts: a staff role, or the citizen (proven by tracking code and mobile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Staff(Role),
    Citizen,
}

/// How a held meeting ended, as the head records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingOutcome {
    NoShow,
    HeldNoAction,
    /// Held, and these many follow-up referrals are to be made (at least one).
    HeldWithFollowUps(usize),
}

/// Where the scheduled meeting stands against the clock, as the use case read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MeetingStart {
    /// Its start time has passed: an outcome can be recorded.
    Passed,
    /// It starts at this instant (UTC), still ahead.
    Ahead(NaiveDateTime),
}

/// What a caller asks to do to an existing request. Only what the decision depends on is
/// here; the data that travels with a command (unit, text, times) stays with the use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Classify(RequestKind),
    Refer,
    Thank,
    Schedule,
    Redirect,
    Decline,
    Reschedule,
    Cancel,
    RecordOutcome(MeetingOutcome),
    /// Close as resolved.
    Close,
    Withdraw,
    /// The citizen objects to how the request ended.
    Object,
}

labels! {
    /// A command by name: what `allowed_actions` lists and a refusal names.
    pub enum Action {
        Classify = "classify",
        Refer = "refer",
        Thank = "thank",
        Schedule = "schedule",
        Redirect = "redirect",
        Decline = "decline",
        Reschedule = "reschedule",
        Cancel = "cancel",
        /// The head's outcome of a meeting (`POST …/outcome`).
        Outcome = "outcome",
        Close = "close",
        /// The citizen's, through the public door.
        Withdraw = "withdraw",
        /// The citizen's objection to the outcome, through the public door.
        Object = "object",
    }
}

impl Command {
    pub fn action(self) -> Action {
        match self {
            Command::Classify(_) => Action::Classify,
            Command::Refer => Action::Refer,
            Command::Thank => Action::Thank,
            Command::Schedule => Action::Schedule,
            Command::Redirect => Action::Redirect,
            Command::Decline => Action::Decline,
            Command::Reschedule => Action::Reschedule,
            Command::Cancel => Action::Cancel,
            Command::RecordOutcome(_) => Action::Outcome,
            Command::Close => Action::Close,
            Command::Withdraw => Action::Withdraw,
            Command::Object => Action::Object,
        }
    }

    pub fn name(self) -> &'static str {
        self.action().as_str()
    }

    /// One representative of every command, to ask which fit a state.
    const REPRESENTATIVES: [Command; 12] = [
        Command::Classify(RequestKind::Complaint),
        Command::Refer,
        Command::Thank,
        Command::Schedule,
        Command::Redirect,
        Command::Decline,
        Command::Reschedule,
        Command::Cancel,
        Command::RecordOutcome(MeetingOutcome::NoShow),
        Command::Close,
        Command::Withdraw,
        Command::Object,
    ];

    /// Whether `actor` may give this command at all, whatever the request's state.
    fn allowed(self, actor: Actor) -> bool {
        self.action().allowed(actor)
    }
}

impl Action {
    /// The roles that may give a command of this name (the citizen gives only `withdraw` and
    /// `object`). It
    /// depends on the name alone, so a caller's role can be checked before anything is read
    /// or validated: a role that may never do this gets 403, never a 404, 412 or 422 that
    /// tells it about the request or the body.
    pub fn allowed(self, actor: Actor) -> bool {
        use Role::*;
        match (self, actor) {
            (Action::Withdraw | Action::Object, Actor::Citizen) => true,
            (_, Actor::Citizen) | (Action::Withdraw | Action::Object, Actor::Staff(_)) => false,
            (Action::Reschedule | Action::Cancel, Actor::Staff(role)) => {
                matches!(role, Reviewer | Head | Admin)
            }
            (Action::Outcome, Actor::Staff(role)) => matches!(role, Head | Admin),
            (_, Actor::Staff(role)) => matches!(role, Reviewer | Admin),
        }
    }
}

/// The state the decision reads: status, the kind set on review, and the two facts beside them
/// that some commands wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    pub kind: Option<RequestKind>,
    /// Every referral of the request is accepted (true when it has none): `close` waits for it.
    pub all_referrals_accepted: bool,
    /// The scheduled meeting against the clock, if one is scheduled: an outcome waits for its
    /// start.
    pub meeting: Option<MeetingStart>,
    /// Where a closed request stands for the citizen's objection.
    pub objection: Standing,
}

impl State {
    /// A request in `status` of `kind` with nothing pending on the side.
    pub fn new(status: Status, kind: Option<RequestKind>) -> State {
        State {
            status,
            kind,
            all_referrals_accepted: true,
            meeting: None,
            objection: Standing::NoOutcome,
        }
    }
}

/// The decided change: the new status, the history event and the messages to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<Status>,
    pub to: Status,
    pub resolution: Option<Resolution>,
    /// The history event's action, e.g. `registered`, `referred`, `withdrawn`.
    pub action: &'static str,
    /// Whether the citizen sees the event on the public lookup.
    pub public: bool,
    pub notify: Vec<Template>,
    /// What hangs on the request that this change settles.
    pub settle: Settlement,
}

/// What a change does to the meeting and referrals of the request. Every change that closes a
/// request settles both, whatever the path (a withdrawal, a decline, the head's outcome, a close):
/// nothing may stay scheduled or in a unit's work once the request is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settlement {
    /// Cancel the request's meeting if it is still scheduled (its slot is freed).
    pub cancel_scheduled_meeting: bool,
    /// Withdraw every referral of the request that is not accepted yet.
    pub withdraw_unfinished_referrals: bool,
}

impl Settlement {
    const NOTHING: Settlement = Settlement {
        cancel_scheduled_meeting: false,
        withdraw_unfinished_referrals: false,
    };
    const EVERYTHING: Settlement = Settlement {
        cancel_scheduled_meeting: true,
        withdraw_unfinished_referrals: true,
    };
}

/// Why a command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor's role may not give this command at all (403).
    #[error("your role may not {command} a request")]
    Forbidden { command: &'static str },
    /// The command does not fit the request's state now (409); says which would.
    #[error("{command} is not possible while the request is {status}{kind}; possible now: {}", possible_list(.possible), kind = kind_note(.kind))]
    NotNow {
        command: &'static str,
        status: Status,
        kind: Option<RequestKind>,
        possible: Vec<&'static str>,
    },
    /// `close` while a referral is not yet accepted (409).
    #[error("close is possible once every referral is accepted")]
    ReferralsOpen,
    /// An outcome for a meeting that has not started yet (409).
    #[error("the meeting starts at {}; its outcome can be recorded once it has started", .starts_at.and_utc().to_rfc3339())]
    MeetingNotStarted { starts_at: NaiveDateTime },
    /// A second objection (409).
    #[error("this request was objected to once already; an outcome can be objected to only once")]
    ObjectedAlready,
    /// An objection after its window (409).
    #[error("the time to object ended at {}", .until.and_utc().to_rfc3339())]
    ObjectionWindowClosed { until: NaiveDateTime },
}

fn possible_list(possible: &[&str]) -> String {
    if possible.is_empty() {
        "nothing".to_owned()
    } else {
        possible.join(", ")
    }
}

fn kind_note(kind: &Option<RequestKind>) -> String {
    kind.map(|k| format!(" (kind {k})")).unwrap_or_default()
}

/// The first step of every request: registered, with its tracking code sent to the citizen.
pub fn register() -> Transition {
    Transition {
        from: None,
        to: Status::Registered,
        resolution: None,
        action: "registered",
        public: true,
        notify: vec![Template::TrackingCodeIssued],
        settle: Settlement::NOTHING,
    }
}

/// Decides what `command` by `actor` does to a request in `state`.
pub fn apply(state: State, actor: Actor, command: Command) -> Result<Transition, Refusal> {
    if !command.allowed(actor) {
        return Err(Refusal::Forbidden {
            command: command.name(),
        });
    }
    // Rules on facts beside the status: they refuse only a command that fits the status.
    let fits = decide(state, command);
    match (command, state.meeting) {
        (Command::Close, _) if fits.is_some() && !state.all_referrals_accepted => {
            return Err(Refusal::ReferralsOpen);
        }
        (Command::RecordOutcome(_), Some(MeetingStart::Ahead(starts_at))) if fits.is_some() => {
            return Err(Refusal::MeetingNotStarted { starts_at });
        }
        _ => {}
    }
    match (command, state.objection) {
        (Command::Object, Standing::Used) if fits.is_some() => {
            return Err(Refusal::ObjectedAlready);
        }
        (Command::Object, Standing::Expired { until }) if fits.is_some() => {
            return Err(Refusal::ObjectionWindowClosed { until });
        }
        _ => {}
    }
    fits.ok_or_else(|| Refusal::NotNow {
        command: command.name(),
        status: state.status,
        kind: state.kind,
        possible: possible(state, actor),
    })
}

/// The names of the commands `actor` could give to a request in `state` now: those `apply`
/// would accept, facts included (no `close` while a referral is open, no `outcome` before the
/// meeting). What a client shows as buttons, decided by the same table.
pub fn possible(state: State, actor: Actor) -> Vec<&'static str> {
    allowed_actions(state, actor)
        .into_iter()
        .map(Action::as_str)
        .collect()
}

/// `possible`, as actions.
pub fn allowed_actions(state: State, actor: Actor) -> Vec<Action> {
    Command::REPRESENTATIVES
        .into_iter()
        .filter(|command| command.allowed(actor) && fits_now(state, *command))
        .map(Command::action)
        .collect()
}

/// Whether `command` fits `state`, status and facts alike (the role aside).
fn fits_now(state: State, command: Command) -> bool {
    decide(state, command).is_some()
        && match command {
            Command::Close => state.all_referrals_accepted,
            Command::RecordOutcome(_) => !matches!(state.meeting, Some(MeetingStart::Ahead(_))),
            Command::Object => matches!(state.objection, Standing::Open { .. }),
            _ => true,
        }
}

/// The table itself: every (status, kind, command) combination, matched exhaustively. `None`
/// means the command does not fit.
fn decide(state: State, command: Command) -> Option<Transition> {
    use Command::*;
    use Status::*;
    let feedback = state.kind.is_some_and(|k| k != RequestKind::Meeting);
    let meeting = state.kind == Some(RequestKind::Meeting);
    let to = |to: Status, action: &'static str, notify: &[Template]| Transition {
        from: Some(state.status),
        to,
        resolution: None,
        action,
        public: true,
        notify: notify.to_vec(),
        settle: Settlement::NOTHING,
    };
    let close = |resolution: Resolution, action: &'static str, notify: &[Template]| Transition {
        resolution: Some(resolution),
        settle: Settlement::EVERYTHING,
        ..to(Closed, action, notify)
    };
    let transition = match (state.status, command) {
        (Registered, Classify(_)) => to(InReview, "classified", &[]),
        (InReview, Classify(_)) => Transition {
            public: false,
            ..to(InReview, "reclassified", &[])
        },
        // A feedback request may go to several units: referred again while referred.
        (InReview | Referred, Refer) if feedback => to(Referred, "referred", &[Template::Referred]),
        (InReview, Thank) if feedback => {
            close(Resolution::Thanked, "thanked", &[Template::Thanked])
        }
        (InReview, Schedule) if meeting => to(
            MeetingScheduled,
            "meeting_scheduled",
            &[Template::MeetingScheduled],
        ),
        (InReview, Redirect) if meeting => to(
            Referred,
            "meeting_redirected",
            &[Template::MeetingRedirected],
        ),
        (InReview, Decline) if meeting => close(
            Resolution::Declined,
            "meeting_declined",
            &[Template::MeetingDeclined],
        ),
        (MeetingScheduled, Reschedule) => to(
            MeetingScheduled,
            "meeting_rescheduled",
            &[Template::MeetingRescheduled],
        ),
        (MeetingScheduled, Cancel) => {
            to(InReview, "meeting_cancelled", &[Template::MeetingCancelled])
        }
        (MeetingScheduled, RecordOutcome(MeetingOutcome::NoShow)) => {
            close(Resolution::NoShow, "meeting_no_show", &[])
        }
        (MeetingScheduled, RecordOutcome(MeetingOutcome::HeldNoAction)) => close(
            Resolution::MeetingNoAction,
            "meeting_held_no_action",
            &[Template::MeetingNoAction],
        ),
        (MeetingScheduled, RecordOutcome(MeetingOutcome::HeldWithFollowUps(n))) if n > 0 => {
            to(FollowUp, "meeting_held_follow_up", &[])
        }
        (Referred | FollowUp, Close) => {
            close(Resolution::Resolved, "resolved", &[Template::Resolved])
        }
        (Registered | InReview | Referred | MeetingScheduled | FollowUp, Withdraw) => {
            close(Resolution::Withdrawn, "withdrawn", &[])
        }
        // Reopened for the desk to review again; the outcome it objects to is cleared.
        (Closed, Object) if state.objection != Standing::NoOutcome => to(InReview, "objected", &[]),
        (Registered | InReview | Referred | MeetingScheduled | FollowUp, Object) => return None,
        (
            Registered,
            Refer | Thank | Schedule | Redirect | Decline | Reschedule | Cancel | RecordOutcome(_)
            | Close,
        )
        | (InReview, Refer | Thank | Schedule | Redirect | Decline)
        | (InReview, Reschedule | Cancel | RecordOutcome(_) | Close)
        | (Referred, Refer)
        | (
            Referred,
            Classify(_) | Thank | Schedule | Redirect | Decline | Reschedule | Cancel
            | RecordOutcome(_),
        )
        | (MeetingScheduled, Classify(_) | Refer | Thank | Schedule | Redirect | Decline)
        | (MeetingScheduled, RecordOutcome(MeetingOutcome::HeldWithFollowUps(_)) | Close)
        | (
            FollowUp,
            Classify(_) | Refer | Thank | Schedule | Redirect | Decline | Reschedule | Cancel
            | RecordOutcome(_),
        )
        | (Closed, _) => return None,
    };
    Some(transition)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REVIEWER: Actor = Actor::Staff(Role::Reviewer);
    const HEAD: Actor = Actor::Staff(Role::Head);

    fn state(status: Status, kind: Option<RequestKind>) -> State {
        State::new(status, kind)
    }

    /// Every combination of the facts beside the status.
    fn every_fact(status: Status, kind: Option<RequestKind>) -> Vec<State> {
        let ahead = chrono::DateTime::from_timestamp(1_900_000_000, 0)
            .unwrap()
            .naive_utc();
        let mut all = Vec::new();
        for all_referrals_accepted in [true, false] {
            for meeting in [
                None,
                Some(MeetingStart::Passed),
                Some(MeetingStart::Ahead(ahead)),
            ] {
                all.push(State {
                    status,
                    kind,
                    all_referrals_accepted,
                    meeting,
                    objection: Standing::NoOutcome,
                });
            }
        }
        all
    }

    fn every_command() -> Vec<Command> {
        let mut all: Vec<Command> = RequestKind::ALL
            .iter()
            .map(|&k| Command::Classify(k))
            .collect();
        all.extend([
            Command::Refer,
            Command::Thank,
            Command::Schedule,
            Command::Redirect,
            Command::Decline,
            Command::Reschedule,
            Command::Cancel,
            Command::RecordOutcome(MeetingOutcome::NoShow),
            Command::RecordOutcome(MeetingOutcome::HeldNoAction),
            Command::RecordOutcome(MeetingOutcome::HeldWithFollowUps(2)),
            Command::RecordOutcome(MeetingOutcome::HeldWithFollowUps(0)),
            Command::Close,
            Command::Withdraw,
        ]);
        all
    }

    /// The whole table: (status, kind, facts) × command → the expected (status, resolution,
    /// templates), or refused. Every combination not listed must be refused, and `possible`
    /// must list exactly the commands accepted.
    #[test]
    fn every_status_kind_and_command_pair() {
        use Command::*;
        use RequestKind::*;
        use Status::*;
        type Expect = (Status, Option<Resolution>, Vec<Template>);
        let allowed = |st: State, c: Command| -> Option<Expect> {
            let (s, k) = (st.status, st.kind);
            let feedback = k.is_some_and(|k| k != Meeting);
            let meeting = k == Some(Meeting);
            let started = !matches!(st.meeting, Some(MeetingStart::Ahead(_)));
            Some(match (s, c) {
                (Registered, Classify(_)) | (InReview, Classify(_)) => (InReview, None, vec![]),
                (InReview | Referred, Refer) if feedback => {
                    (Referred, None, vec![Template::Referred])
                }
                (InReview, Thank) if feedback => {
                    (Closed, Some(Resolution::Thanked), vec![Template::Thanked])
                }
                (InReview, Schedule) if meeting => {
                    (MeetingScheduled, None, vec![Template::MeetingScheduled])
                }
                (InReview, Redirect) if meeting => {
                    (Referred, None, vec![Template::MeetingRedirected])
                }
                (InReview, Decline) if meeting => (
                    Closed,
                    Some(Resolution::Declined),
                    vec![Template::MeetingDeclined],
                ),
                (MeetingScheduled, Reschedule) => {
                    (MeetingScheduled, None, vec![Template::MeetingRescheduled])
                }
                (MeetingScheduled, Cancel) => (InReview, None, vec![Template::MeetingCancelled]),
                (MeetingScheduled, RecordOutcome(MeetingOutcome::NoShow)) if started => {
                    (Closed, Some(Resolution::NoShow), vec![])
                }
                (MeetingScheduled, RecordOutcome(MeetingOutcome::HeldNoAction)) if started => (
                    Closed,
                    Some(Resolution::MeetingNoAction),
                    vec![Template::MeetingNoAction],
                ),
                (MeetingScheduled, RecordOutcome(MeetingOutcome::HeldWithFollowUps(n)))
                    if n > 0 && started =>
                {
                    (FollowUp, None, vec![])
                }
                (Referred | FollowUp, Close) if st.all_referrals_accepted => {
                    (Closed, Some(Resolution::Resolved), vec![Template::Resolved])
                }
                _ => return None,
            })
        };
        let mut checked = 0;
        for &status in Status::ALL {
            for kind in std::iter::once(None).chain(RequestKind::ALL.iter().copied().map(Some)) {
                for st in every_fact(status, kind) {
                    let mut accepted = Vec::new();
                    for command in every_command() {
                        if command == Withdraw {
                            continue;
                        }
                        let actor = if matches!(command, RecordOutcome(_)) {
                            HEAD
                        } else {
                            REVIEWER
                        };
                        let got = apply(st, actor, command);
                        match allowed(st, command) {
                            Some((to, resolution, notify)) => {
                                let t = got.unwrap_or_else(|e| panic!("{st:?} {command:?}: {e}"));
                                assert_eq!(
                                    (t.to, t.resolution, t.notify),
                                    (to, resolution, notify),
                                    "{st:?} {command:?}"
                                );
                                assert_eq!(t.from, Some(status));
                                assert_eq!(
                                    t.settle,
                                    if t.to == Closed {
                                        Settlement::EVERYTHING
                                    } else {
                                        Settlement::NOTHING
                                    },
                                    "closing, and only closing, settles: {st:?} {command:?}"
                                );
                                accepted.push(command.name());
                            }
                            None => {
                                let refused =
                                    got.expect_err(&format!("{st:?} {command:?} must be refused"));
                                assert!(
                                    matches!(
                                        refused,
                                        Refusal::NotNow { .. }
                                            | Refusal::ReferralsOpen
                                            | Refusal::MeetingNotStarted { .. }
                                    ),
                                    "{refused:?}"
                                );
                            }
                        }
                        checked += 1;
                    }
                    // `possible` lists each accepted command once (outcomes and classifications
                    // by one name), for the roles that give them.
                    accepted.dedup();
                    let mut listed = possible(st, REVIEWER);
                    listed.extend(
                        possible(st, HEAD)
                            .into_iter()
                            .filter(|name| *name == "outcome"),
                    );
                    let mut expected: Vec<&str> = accepted
                        .iter()
                        .copied()
                        .filter(|name| *name != "outcome")
                        .collect();
                    expected.dedup();
                    if accepted.contains(&"outcome") {
                        expected.push("outcome");
                    }
                    listed.sort_unstable();
                    expected.sort_unstable();
                    assert_eq!(listed, expected, "{st:?}");
                }
            }
        }
        assert_eq!(
            checked,
            6 * 6 * 6 * 17,
            "6 statuses × 6 kinds (none and five) × 6 fact combinations × 17 staff commands"
        );
    }

    #[test]
    fn registering_sends_the_tracking_code() {
        let t = register();
        assert_eq!(t.to, Status::Registered);
        assert_eq!(t.notify, [Template::TrackingCodeIssued]);
        assert!(t.public);
    }

    #[test]
    fn every_open_status_can_be_withdrawn_by_the_citizen_only() {
        for &status in Status::ALL {
            let result = apply(
                state(status, Some(RequestKind::Meeting)),
                Actor::Citizen,
                Command::Withdraw,
            );
            if status.is_open() {
                let t = result.unwrap();
                assert_eq!(
                    (t.to, t.resolution),
                    (Status::Closed, Some(Resolution::Withdrawn))
                );
                assert!(t.notify.is_empty());
                assert_eq!(t.settle, Settlement::EVERYTHING);
            } else {
                let refused = result.unwrap_err();
                assert!(
                    refused
                        .to_string()
                        .contains("withdraw is not possible while the request is closed"),
                    "{refused}"
                );
            }
            assert!(matches!(
                apply(state(status, None), REVIEWER, Command::Withdraw),
                Err(Refusal::Forbidden { .. })
            ));
        }
    }

    #[test]
    fn roles_are_checked_before_the_state() {
        let scheduled = state(Status::MeetingScheduled, Some(RequestKind::Meeting));
        let outcome = Command::RecordOutcome(MeetingOutcome::HeldNoAction);
        assert!(matches!(
            apply(scheduled, REVIEWER, outcome),
            Err(Refusal::Forbidden { command: "outcome" })
        ));
        assert!(apply(scheduled, HEAD, outcome).is_ok());
        assert!(apply(scheduled, HEAD, Command::Reschedule).is_ok());
        assert!(apply(scheduled, Actor::Staff(Role::Admin), outcome).is_ok());
        for role in [Role::Intake, Role::Operator, Role::UnitStaff] {
            for command in every_command() {
                if command != Command::Withdraw {
                    assert!(
                        matches!(
                            apply(scheduled, Actor::Staff(role), command),
                            Err(Refusal::Forbidden { .. })
                        ),
                        "{role:?} {command:?}"
                    );
                }
            }
        }
        let in_review = state(Status::InReview, Some(RequestKind::Complaint));
        assert!(matches!(
            apply(in_review, HEAD, Command::Refer),
            Err(Refusal::Forbidden { .. })
        ));
        assert!(matches!(
            apply(in_review, Actor::Citizen, Command::Thank),
            Err(Refusal::Forbidden { .. })
        ));
    }

    #[test]
    fn a_refusal_names_the_commands_that_fit() {
        let refused = apply(
            state(Status::InReview, Some(RequestKind::Meeting)),
            REVIEWER,
            Command::Refer,
        )
        .unwrap_err();
        assert_eq!(
            refused,
            Refusal::NotNow {
                command: "refer",
                status: Status::InReview,
                kind: Some(RequestKind::Meeting),
                possible: vec!["classify", "schedule", "redirect", "decline"]
            }
        );
        assert!(
            refused
                .to_string()
                .contains("possible now: classify, schedule, redirect, decline"),
            "{refused}"
        );
        let waiting = State {
            all_referrals_accepted: false,
            ..state(Status::Referred, Some(RequestKind::Report))
        };
        assert_eq!(
            apply(waiting, REVIEWER, Command::Close),
            Err(Refusal::ReferralsOpen)
        );
        assert_eq!(
            possible(waiting, REVIEWER),
            ["refer"],
            "no close while one is open"
        );
    }

    #[test]
    fn reclassifying_is_not_shown_to_the_citizen() {
        let t = apply(
            state(Status::InReview, Some(RequestKind::Report)),
            REVIEWER,
            Command::Classify(RequestKind::Meeting),
        )
        .unwrap();
        assert!(!t.public);
        assert_eq!(t.action, "reclassified");
    }

    #[test]
    fn an_outcome_waits_for_the_meeting_to_start() {
        let starts_at = chrono::DateTime::from_timestamp(1_900_000_000, 0)
            .unwrap()
            .naive_utc();
        let scheduled = State {
            meeting: Some(MeetingStart::Ahead(starts_at)),
            ..state(Status::MeetingScheduled, Some(RequestKind::Meeting))
        };
        for outcome in [
            MeetingOutcome::NoShow,
            MeetingOutcome::HeldNoAction,
            MeetingOutcome::HeldWithFollowUps(1),
        ] {
            let refused = apply(scheduled, HEAD, Command::RecordOutcome(outcome)).unwrap_err();
            assert_eq!(refused, Refusal::MeetingNotStarted { starts_at });
            assert!(
                refused.to_string().contains("2030-03-17T17:46:40+00:00"),
                "{refused}"
            );
        }
        // The role and the status are judged first: the clock never hides a 403 or a 409.
        assert!(matches!(
            apply(
                scheduled,
                REVIEWER,
                Command::RecordOutcome(MeetingOutcome::NoShow)
            ),
            Err(Refusal::Forbidden { .. })
        ));
        assert!(matches!(
            apply(
                State {
                    status: Status::Closed,
                    ..scheduled
                },
                HEAD,
                Command::RecordOutcome(MeetingOutcome::NoShow)
            ),
            Err(Refusal::NotNow { .. })
        ));
        assert_eq!(
            possible(scheduled, HEAD),
            ["reschedule", "cancel"],
            "no outcome before the start"
        );
    }

    #[test]
    fn the_citizen_objects_once_inside_the_window_and_the_request_returns_to_review() {
        let until = chrono::DateTime::from_timestamp(1_900_000_000, 0)
            .unwrap()
            .naive_utc();
        let closed = |objection| State {
            objection,
            ..state(Status::Closed, Some(RequestKind::Complaint))
        };
        let t = apply(
            closed(Standing::Open { until }),
            Actor::Citizen,
            Command::Object,
        )
        .unwrap();
        assert_eq!(
            (t.from, t.to, t.resolution),
            (Some(Status::Closed), Status::InReview, None)
        );
        assert_eq!((t.action, t.public), ("objected", true));
        assert!(t.notify.is_empty());
        assert_eq!(t.settle, Settlement::NOTHING);
        assert_eq!(
            possible(closed(Standing::Open { until }), Actor::Citizen),
            ["object"]
        );
        assert_eq!(
            apply(closed(Standing::Used), Actor::Citizen, Command::Object),
            Err(Refusal::ObjectedAlready)
        );
        let late = apply(
            closed(Standing::Expired { until }),
            Actor::Citizen,
            Command::Object,
        );
        assert_eq!(late, Err(Refusal::ObjectionWindowClosed { until }));
        for standing in [
            Standing::Used,
            Standing::Expired { until },
            Standing::NoOutcome,
        ] {
            assert!(possible(closed(standing), Actor::Citizen).is_empty());
        }
        // Withdrawn (no outcome), or still open: not an objection's moment at all.
        assert!(matches!(
            apply(closed(Standing::NoOutcome), Actor::Citizen, Command::Object),
            Err(Refusal::NotNow { .. })
        ));
        for &status in Status::ALL.iter().filter(|s| s.is_open()) {
            let open = State {
                objection: Standing::Open { until },
                ..state(status, Some(RequestKind::Report))
            };
            assert!(matches!(
                apply(open, Actor::Citizen, Command::Object),
                Err(Refusal::NotNow { .. })
            ));
        }
        // Staff never object for the citizen.
        for role in [Role::Reviewer, Role::Head, Role::Admin] {
            assert!(matches!(
                apply(
                    closed(Standing::Open { until }),
                    Actor::Staff(role),
                    Command::Object
                ),
                Err(Refusal::Forbidden { .. })
            ));
        }
    }
}
