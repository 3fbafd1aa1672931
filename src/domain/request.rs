//! A citizen's request ("درخواست"): how it arrived, what it is about, and where it stands.

use super::labels::labels;

labels! {
    /// How a request reached the desk.
    pub enum Channel {
        /// A walk-in, registered by an intake expert.
        InPerson = "in_person",
        /// A call, registered by the phone operator.
        Phone = "phone",
        /// Submitted by the citizen through a portal.
        Online = "online",
    }
}

labels! {
    /// What a request is: a meeting with the head of the Center, or feedback on the performance
    /// of a person, a unit or an affiliated entity.
    pub enum RequestKind {
        Meeting = "meeting",
        Suggestion = "suggestion",
        Criticism = "criticism",
        Complaint = "complaint",
        Report = "report",
    }
}

labels! {
    /// Whom feedback is about.
    pub enum Subject {
        Person = "person",
        Unit = "unit",
        AffiliatedEntity = "affiliated_entity",
    }
}

labels! {
    /// Where a request stands in its lifecycle (see `lifecycle`).
    pub enum Status {
        Registered = "registered",
        InReview = "in_review",
        Referred = "referred",
        MeetingScheduled = "meeting_scheduled",
        FollowUp = "follow_up",
        Closed = "closed",
    }
}

labels! {
    /// How a closed request ended.
    pub enum Resolution {
        Thanked = "thanked",
        Declined = "declined",
        NoShow = "no_show",
        MeetingNoAction = "meeting_no_action",
        Resolved = "resolved",
        Withdrawn = "withdrawn",
    }
}

impl Status {
    /// Open requests can still change; a closed one is final.
    pub fn is_open(self) -> bool {
        self != Status::Closed
    }
}

labels! {
    /// Who did something to a request, as the history records it.
    pub enum ActorKind {
        Citizen = "citizen",
        Staff = "staff",
        System = "system",
    }
}
