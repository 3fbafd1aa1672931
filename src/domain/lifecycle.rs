//! The request lifecycle as one pure function of status and command (PRODUCT.md, "The request
//! lifecycle"): every change of status is decided here and nowhere else, together with the
//! history event it writes and the messages it sends.

use super::request::{Resolution, Status};

/// A template of a message to the citizen; the parameters travel beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// «your request is registered; its tracking code is …»
    TrackingCodeIssued,
}

impl Template {
    pub fn as_str(self) -> &'static str {
        match self {
            Template::TrackingCodeIssued => "tracking_code_issued",
        }
    }
}

/// What a caller asks to do to an existing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// The citizen withdraws their request (proven by tracking code and mobile).
    Withdraw,
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::Withdraw => "withdraw",
        }
    }
}

/// The decided change: the new status, the history event and the messages to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: Option<Status>,
    pub to: Status,
    pub resolution: Option<Resolution>,
    /// The history event's action, e.g. `registered`, `withdrawn`.
    pub action: &'static str,
    /// Whether the citizen sees the event on the public lookup.
    pub public: bool,
    pub notify: Vec<Template>,
}

/// A command that does not fit the request's status; says which would.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{command} is not possible while the request is {status}; possible now: {}", possible_list(.possible))]
pub struct TransitionError {
    pub status: Status,
    pub command: &'static str,
    pub possible: Vec<&'static str>,
}

fn possible_list(possible: &[&str]) -> String {
    if possible.is_empty() {
        "nothing (the request is closed)".to_owned()
    } else {
        possible.join(", ")
    }
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
    }
}

/// Decides what `command` does to a request in `status`, or says which commands would fit.
pub fn apply(status: Status, command: &Command) -> Result<Transition, TransitionError> {
    decide(status, command).ok_or_else(|| TransitionError {
        status,
        command: command.name(),
        possible: possible(status),
    })
}

/// The names of the commands that fit `status`.
pub fn possible(status: Status) -> Vec<&'static str> {
    // One representative of each command: whether a command fits depends on the status only.
    [Command::Withdraw]
        .iter()
        .filter(|command| decide(status, command).is_some())
        .map(Command::name)
        .collect()
}

/// The table itself: every (status, command) pair, matched exhaustively.
fn decide(status: Status, command: &Command) -> Option<Transition> {
    match (status, command) {
        (Status::Closed, Command::Withdraw) => None,
        (
            Status::Registered
            | Status::InReview
            | Status::Referred
            | Status::MeetingScheduled
            | Status::FollowUp,
            Command::Withdraw,
        ) => Some(Transition {
            from: Some(status),
            to: Status::Closed,
            resolution: Some(Resolution::Withdrawn),
            action: "withdrawn",
            public: true,
            notify: Vec::new(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registering_sends_the_tracking_code() {
        let t = register();
        assert_eq!(t.to, Status::Registered);
        assert_eq!(t.notify, [Template::TrackingCodeIssued]);
        assert!(t.public);
    }

    #[test]
    fn every_open_status_can_be_withdrawn_and_closed_cannot() {
        for &status in Status::ALL {
            let result = apply(status, &Command::Withdraw);
            if status.is_open() {
                let t = result.unwrap();
                assert_eq!(
                    (t.to, t.resolution),
                    (Status::Closed, Some(Resolution::Withdrawn))
                );
                assert_eq!(t.from, Some(status));
            } else {
                let refused = result.unwrap_err();
                assert!(refused.possible.is_empty());
                assert!(
                    refused
                        .to_string()
                        .contains("withdraw is not possible while the request is closed")
                );
            }
        }
    }
}
