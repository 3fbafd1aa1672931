//! The conversation of a request: the desk and the units write to the citizen, the citizen
//! answers, and what the citizen writes reaches a unit only anonymised. Who may write when,
//! where a reply goes, and what each party may read of a message are decided here, in plain
//! Rust, so that every endpoint that shows a message asks the same rules.
//!
//! ```text
//! desk ──message──▶ citizen                       (the desk reads everything, as written)
//! unit ──question (on its referral)──▶ citizen    (the referral waits for the citizen)
//! citizen ──reply──▶ desk, and the waiting referral's unit:
//!     nothing to remove   → released at once (the unit reads it as written)
//!     something found     → held; the desk releases it (as proposed or edited) or not at all
//! ```
//!
//! Anonymity holds both ways: the unit writes to "the citizen" and never learns who it is; the
//! citizen sees the unit by name and the desk by role. A closed request ends its conversation.

use super::anonymise::{self, CitizenIdentity};
use super::error::HasCode;
use super::ids::ReferralId;
use super::labels::labels;
use super::request::Status;
use super::role::Role;
use super::text::{char_len, normalise_text};

labels! {
    /// Who wrote a message.
    pub enum AuthorKind {
        Citizen = "citizen",
        Desk = "desk",
        Unit = "unit",
    }
}

labels! {
    /// How far a citizen's reply to a unit has gone: held for the desk, or released to the
    /// unit. Messages that are not such replies have no release.
    pub enum Release {
        /// The anonymiser found something: the unit sees only that a reply is waiting.
        Held = "held",
        /// The unit reads `unit_text`.
        Released = "released",
    }
}

/// The most characters a message may hold (after normalisation).
pub const MAX_MESSAGE_CHARS: usize = 2000;

/// A message's text, normalised as every text is, lines kept, 1 to `MAX_MESSAGE_CHARS`
/// characters: a question or an answer, not a second request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a message has 1 to 2000 characters")]
pub struct MessageTextError;

impl HasCode for MessageTextError {
    fn code(&self) -> &'static str {
        "length"
    }
}

impl MessageText {
    pub fn parse(raw: &str) -> Result<Self, MessageTextError> {
        let text = normalise_text(raw);
        if (1..=MAX_MESSAGE_CHARS).contains(&char_len(&text)) {
            Ok(Self(text))
        } else {
            Err(MessageTextError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Why a message cannot be written now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The request is closed: its conversation has ended.
    #[error("the request is closed; its conversation has ended")]
    Ended,
    /// A unit writes only on a referral it is still working on.
    #[error("this referral is finished; its unit no longer writes to the citizen")]
    ReferralFinished,
    /// Only a held reply is released.
    #[error("only a reply held for the desk is released")]
    NotHeld,
}

/// Whether anyone may still add to the conversation of a request in `status`.
pub fn open(status: Status) -> Result<(), Refusal> {
    if status == Status::Closed {
        Err(Refusal::Ended)
    } else {
        Ok(())
    }
}

/// Whether a unit may ask the citizen on a referral: the request open, the referral still its
/// unit's to work on (`unfinished` is `!ReferralStatus::is_finished`).
pub fn unit_may_ask(status: Status, unfinished: bool) -> Result<(), Refusal> {
    open(status)?;
    if unfinished {
        Ok(())
    } else {
        Err(Refusal::ReferralFinished)
    }
}

/// Who may write as the desk: the reviewers who run the desk, the head, the admin.
pub const DESK_WRITERS: &[Role] = &[Role::Reviewer, Role::Head, Role::Admin];

/// Who reads a request's whole conversation and every file of it: the desk's writers.
pub const DESK_READERS: &[Role] = DESK_WRITERS;

/// Who reads a referral's conversation and files: its unit's staff, and the desk.
pub const REFERRAL_READERS: &[Role] = &[Role::UnitStaff, Role::Reviewer, Role::Head, Role::Admin];

/// Who uploads files for their messages: everyone who writes one (the desk, units' staff).
pub const UPLOADERS: &[Role] = REFERRAL_READERS;

/// Who may release a held reply (or a citizen's file) to a unit: the reviewers (and the
/// admin), who refer.
pub const RELEASERS: &[Role] = &[Role::Reviewer, Role::Admin];

/// Where a citizen's reply to a unit goes, decided by the anonymiser over its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Routing {
    /// Nothing identifying found: the unit reads the text as written.
    Straight,
    /// Something found: held, with the anonymiser's proposal for the desk to release.
    Held { proposed: String },
}

/// The routing of `text`, a reply by `who` to a unit.
pub fn route(text: &str, who: &CitizenIdentity<'_>) -> Routing {
    if anonymise::find_identifiers(text, who).is_empty() {
        Routing::Straight
    } else {
        Routing::Held {
            proposed: anonymise::propose(text, who),
        }
    }
}

/// Who is reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reader<'a> {
    /// The desk: every message, as written.
    Desk,
    /// The citizen who filed the request (proven): what was written to them and by them.
    Citizen,
    /// The staff of the unit of this referral.
    Unit { referral_id: &'a ReferralId },
}

/// A message as stored, as far as the rules need it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<'a> {
    pub author: AuthorKind,
    /// The referral a unit's question was asked on, or that a citizen's reply answers.
    pub referral_id: Option<&'a ReferralId>,
    pub text: &'a str,
    pub release: Option<Release>,
    /// A reply as the unit may read it (set on release).
    pub unit_text: Option<&'a str>,
}

/// What a reader is shown of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown<'a> {
    /// Nothing: the message is not for this reader.
    Hidden,
    /// The message with this text.
    Text(&'a str),
    /// A reply exists but waits for the desk: the reader (a unit) learns only that.
    Waiting,
}

/// What `reader` may see of `message`. A unit never reads the citizen's own words before the
/// desk released them, nor any message that is not on its referral.
pub fn shown<'a>(message: &Stored<'a>, reader: Reader<'_>) -> Shown<'a> {
    match reader {
        Reader::Desk | Reader::Citizen => Shown::Text(message.text),
        Reader::Unit { referral_id } => {
            if message.referral_id != Some(referral_id) {
                return Shown::Hidden;
            }
            match (message.author, message.release, message.unit_text) {
                (AuthorKind::Unit, _, _) => Shown::Text(message.text),
                (AuthorKind::Citizen, Some(Release::Released), Some(text)) => Shown::Text(text),
                (AuthorKind::Citizen, _, _) => Shown::Waiting,
                (AuthorKind::Desk, _, _) => Shown::Hidden,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who() -> CitizenIdentity<'static> {
        CitizenIdentity {
            name: "زهرا احمدی",
            mobile: "+989121234567",
            national_id: Some("0499370899"),
            email: None,
            tracking_codes: &[],
        }
    }

    fn referral(text: &str) -> ReferralId {
        ReferralId::stored(text.to_owned())
    }

    fn message(author: AuthorKind, referral_id: Option<&ReferralId>) -> Stored<'_> {
        Stored {
            author,
            referral_id,
            text: "متن اصلی",
            release: None,
            unit_text: None,
        }
    }

    #[test]
    fn a_message_is_one_to_two_thousand_characters_normalised() {
        assert_eq!(
            MessageText::parse(" ي ").map(MessageText::into_string),
            Ok("ی".to_owned())
        );
        assert_eq!(MessageText::parse("   "), Err(MessageTextError));
        assert!(MessageText::parse(&"ا".repeat(2000)).is_ok());
        assert_eq!(MessageText::parse(&"ا".repeat(2001)), Err(MessageTextError));
    }

    #[test]
    fn a_closed_request_ends_the_conversation() {
        for status in Status::ALL {
            assert_eq!(
                open(*status).is_err(),
                *status == Status::Closed,
                "{status}"
            );
        }
        assert_eq!(
            unit_may_ask(Status::Referred, false),
            Err(Refusal::ReferralFinished)
        );
        assert_eq!(unit_may_ask(Status::Closed, true), Err(Refusal::Ended));
        assert_eq!(unit_may_ask(Status::FollowUp, true), Ok(()));
    }

    #[test]
    fn a_reply_with_nothing_to_remove_goes_straight_and_one_that_identifies_is_held() {
        assert_eq!(
            route("کار انجام نشده و هنوز منتظرم", &who()),
            Routing::Straight
        );
        let held = route("من زهرا احمدی هستم، شماره‌ام ۰۹۱۲۱۲۳۴۵۶۷", &who());
        let Routing::Held { proposed } = held else {
            panic!("held expected");
        };
        assert!(
            !proposed.contains("احمدی") && !proposed.contains("۰۹۱۲"),
            "{proposed}"
        );
    }

    #[test]
    fn a_unit_reads_only_its_referral_and_never_an_unreleased_reply() {
        let (r1, r2) = (referral("r1"), referral("r2"));
        let unit = Reader::Unit { referral_id: &r1 };
        assert_eq!(
            shown(&message(AuthorKind::Unit, Some(&r1)), unit),
            Shown::Text("متن اصلی")
        );
        assert_eq!(
            shown(&message(AuthorKind::Unit, Some(&r2)), unit),
            Shown::Hidden
        );
        assert_eq!(shown(&message(AuthorKind::Desk, None), unit), Shown::Hidden);
        let mut reply = message(AuthorKind::Citizen, Some(&r1));
        assert_eq!(shown(&reply, unit), Shown::Waiting);
        reply.release = Some(Release::Held);
        assert_eq!(shown(&reply, unit), Shown::Waiting);
        reply.release = Some(Release::Released);
        reply.unit_text = Some("متن بی‌نام");
        assert_eq!(shown(&reply, unit), Shown::Text("متن بی‌نام"));
        assert_eq!(shown(&reply, Reader::Desk), Shown::Text("متن اصلی"));
        assert_eq!(shown(&reply, Reader::Citizen), Shown::Text("متن اصلی"));
        let unrouted = message(AuthorKind::Citizen, None);
        assert_eq!(shown(&unrouted, unit), Shown::Hidden);
    }
}
