//! A referral ("ارجاع"): a request handed to one unit with an anonymised text. Its own small
//! lifecycle, one pure function like the request's:
//!
//! ```text
//! open ─acknowledge─▶ acknowledged ─answer─▶ answered ─accept─▶ accepted
//!   └──────────────answer──────────────────▶    └─return─▶ returned ─(acknowledge|answer)─▶ …
//! any but accepted ─(the request is closed)─▶ withdrawn
//! ```
//!
//! `withdrawn` is no step anyone takes: it is what closing the request does to a referral that
//! was not accepted yet (see `lifecycle::Settlement`), so that the unit sees it needs no more work.

use super::labels::labels;
use super::role::Role;

labels! {
    /// Why a unit receives a request.
    pub enum ReferralReason {
        /// Feedback that needs action.
        ActionRequired = "action_required",
        /// A meeting request the unit can meet instead.
        MeetingRedirect = "meeting_redirect",
        /// A follow-up the head asked for after a meeting.
        MeetingFollowUp = "meeting_follow_up",
    }
}

labels! {
    /// Where a referral stands.
    pub enum ReferralStatus {
        Open = "open",
        Acknowledged = "acknowledged",
        Answered = "answered",
        Accepted = "accepted",
        /// Sent back to the unit for more work.
        Returned = "returned",
        /// The request was closed before this referral was accepted: no more work.
        Withdrawn = "withdrawn",
    }
}

labels! {
    /// A step on a referral.
    pub enum Step {
        Acknowledge = "acknowledge",
        Answer = "answer",
        Accept = "accept",
        Return = "return",
    }
}

impl Step {
    pub fn name(self) -> &'static str {
        self.as_str()
    }

    /// Who may take it: the unit works the referral; the desk judges the answer.
    pub fn roles(self) -> &'static [Role] {
        match self {
            Step::Acknowledge | Step::Answer => &[Role::UnitStaff],
            Step::Accept | Step::Return => &[Role::Reviewer, Role::Admin],
        }
    }

    fn allowed(self, role: Role) -> bool {
        self.roles().contains(&role)
    }

    /// How the request's history records the step: a staff-only event beside the request's
    /// status, which a step never changes.
    pub fn history_action(self) -> &'static str {
        match self {
            Step::Acknowledge => "referral_acknowledged",
            Step::Answer => "referral_answered",
            Step::Accept => "referral_accepted",
            Step::Return => "referral_returned",
        }
    }
}

/// Why a step was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepRefusal {
    #[error("your role may not {0} a referral")]
    Forbidden(&'static str),
    #[error("{step} is not possible while the referral is {status}; possible now: {}", if .possible.is_empty() { "nothing".to_owned() } else { .possible.join(", ") })]
    NotNow {
        step: &'static str,
        status: ReferralStatus,
        possible: Vec<&'static str>,
    },
}

/// The status a step leads to, or why not.
pub fn apply(
    status: ReferralStatus,
    role: Role,
    step: Step,
) -> Result<ReferralStatus, StepRefusal> {
    if !step.allowed(role) {
        return Err(StepRefusal::Forbidden(step.name()));
    }
    decide(status, step).ok_or_else(|| StepRefusal::NotNow {
        step: step.name(),
        status,
        possible: possible_steps(status, role)
            .into_iter()
            .map(Step::name)
            .collect(),
    })
}

/// The steps `role` could take on a referral in `status` now.
pub fn possible_steps(status: ReferralStatus, role: Role) -> Vec<Step> {
    Step::ALL
        .iter()
        .copied()
        .filter(|s| s.allowed(role) && decide(status, *s).is_some())
        .collect()
}

fn decide(status: ReferralStatus, step: Step) -> Option<ReferralStatus> {
    use ReferralStatus::*;
    match (status, step) {
        (Open | Returned, Step::Acknowledge) => Some(Acknowledged),
        (Open | Acknowledged | Returned, Step::Answer) => Some(Answered),
        (Answered, Step::Accept) => Some(Accepted),
        (Answered, Step::Return) => Some(Returned),
        (Acknowledged, Step::Acknowledge)
        | (Open | Acknowledged | Returned | Accepted, Step::Accept | Step::Return)
        | (Answered | Accepted, Step::Acknowledge | Step::Answer)
        | (Withdrawn, _) => None,
    }
}

/// What closing its request does to a referral: withdraws it unless it is accepted (or
/// withdrawn already).
pub fn settle(status: ReferralStatus) -> Option<ReferralStatus> {
    (!status.is_finished()).then_some(ReferralStatus::Withdrawn)
}

impl ReferralStatus {
    /// No more work will be done on it: accepted, or withdrawn with its request.
    pub fn is_finished(self) -> bool {
        match self {
            ReferralStatus::Accepted | ReferralStatus::Withdrawn => true,
            ReferralStatus::Open
            | ReferralStatus::Acknowledged
            | ReferralStatus::Answered
            | ReferralStatus::Returned => false,
        }
    }

    /// Still the unit's to handle (counts as overdue past its due date).
    pub fn is_unanswered(self) -> bool {
        matches!(
            self,
            ReferralStatus::Open | ReferralStatus::Acknowledged | ReferralStatus::Returned
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_and_step() {
        use ReferralStatus::*;
        let expected = |status: ReferralStatus, step: Step| match (status, step) {
            (Open | Returned, Step::Acknowledge) => Some(Acknowledged),
            (Open | Acknowledged | Returned, Step::Answer) => Some(Answered),
            (Answered, Step::Accept) => Some(Accepted),
            (Answered, Step::Return) => Some(Returned),
            _ => None,
        };
        for &status in ReferralStatus::ALL {
            for &step in Step::ALL {
                let role = if matches!(step, Step::Accept | Step::Return) {
                    Role::Reviewer
                } else {
                    Role::UnitStaff
                };
                assert_eq!(
                    apply(status, role, step).ok(),
                    expected(status, step),
                    "{status} {step:?}"
                );
            }
        }
    }

    #[test]
    fn units_work_and_the_desk_judges() {
        assert_eq!(
            apply(ReferralStatus::Answered, Role::UnitStaff, Step::Accept),
            Err(StepRefusal::Forbidden("accept"))
        );
        assert_eq!(
            apply(ReferralStatus::Open, Role::Reviewer, Step::Answer),
            Err(StepRefusal::Forbidden("answer"))
        );
        let refused = apply(ReferralStatus::Accepted, Role::UnitStaff, Step::Answer).unwrap_err();
        assert_eq!(
            refused.to_string(),
            "answer is not possible while the referral is accepted; possible now: nothing"
        );
    }

    #[test]
    fn closing_the_request_withdraws_every_referral_not_accepted() {
        use ReferralStatus::*;
        for &status in ReferralStatus::ALL {
            let expected = match status {
                Accepted | Withdrawn => None,
                _ => Some(Withdrawn),
            };
            assert_eq!(settle(status), expected, "{status}");
        }
        for &step in Step::ALL {
            for role in [Role::UnitStaff, Role::Reviewer] {
                assert!(apply(Withdrawn, role, step).is_err(), "{step:?} {role:?}");
            }
        }
    }
}
