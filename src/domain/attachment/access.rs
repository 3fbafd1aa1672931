//! Who may read an attached file. A document identifies a citizen as surely as their name (a
//! scanned ID card, a signed letter), so a unit reads one only when the desk released it to
//! that unit's referral, or when the unit sent it itself; the citizen reads their own files and
//! those staff sent them; the desk reads everything.

use crate::domain::conversation::AuthorKind;
use crate::domain::ids::ReferralId;

/// What decides access to one attached file.
#[derive(Debug, Clone, Copy)]
pub struct Filed<'a> {
    pub author: AuthorKind,
    /// Sent with a message (rather than with the submission itself).
    pub on_message: bool,
    /// A unit's file: the referral whose conversation carried it.
    pub sent_on: Option<&'a ReferralId>,
    /// The referrals the desk released it to.
    pub released_to: &'a [ReferralId],
}

/// Who asks for a file.
#[derive(Debug, Clone, Copy)]
pub enum FileReader<'a> {
    Desk,
    /// A unit's staff, through their referral.
    Unit {
        referral_id: &'a ReferralId,
    },
    /// The citizen who proved the request is theirs.
    Citizen,
}

/// Whether `reader` may list and download `file`. Anything else is "not found", never
/// "forbidden": a unit must not learn that a file it may not read exists.
pub fn may_read(file: &Filed<'_>, reader: FileReader<'_>) -> bool {
    match reader {
        FileReader::Desk => true,
        FileReader::Unit { referral_id } => {
            file.released_to.contains(referral_id)
                || (file.author == AuthorKind::Unit && file.sent_on == Some(referral_id))
        }
        FileReader::Citizen => file.author == AuthorKind::Citizen || file.on_message,
    }
}

/// The name `reader` sees a file under. A unit reads a citizen's file under a neutral one,
/// `attachment-<first 8 characters of its id>.<extension>`: the name a citizen gave a file
/// ("ali-rezaei-id-card.jpg") can identify them. Everyone else reads the stored name.
pub fn shown_name(
    file: &Filed<'_>,
    reader: FileReader<'_>,
    (id, stored_name, kind): (&str, &str, super::FileType),
) -> String {
    match reader {
        FileReader::Unit { .. } if file.author == AuthorKind::Citizen => {
            let short: String = id.chars().take(8).collect();
            format!("attachment-{short}.{}", kind.extension())
        }
        _ => stored_name.to_owned(),
    }
}

/// Whether the desk may release a file to a referral: only a citizen's (staff files are not
/// the citizen's to protect, and a unit already has its own), only while the referral is
/// being worked on.
pub fn may_release(file: &Filed<'_>, referral_finished: bool) -> Result<(), ReleaseRefusal> {
    if file.author != AuthorKind::Citizen {
        return Err(ReleaseRefusal::NotTheCitizens);
    }
    if referral_finished {
        return Err(ReleaseRefusal::ReferralFinished);
    }
    Ok(())
}

/// Why a file cannot be released.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReleaseRefusal {
    #[error("only the citizen's files are released to a unit; staff files are the desk's own")]
    NotTheCitizens,
    #[error("the referral is finished; a file can be released only to a referral in progress")]
    ReferralFinished,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn referral() -> ReferralId {
        ReferralId::generate()
    }

    #[test]
    fn a_unit_reads_a_citizens_file_under_a_neutral_name_and_its_own_under_theirs() {
        let ours = referral();
        let unit = FileReader::Unit { referral_id: &ours };
        let id = "3d9a7c1e-5b2f-4c8a-9e0d-1f2a3b4c5d6e";
        let mut file = Filed {
            author: AuthorKind::Citizen,
            on_message: false,
            sent_on: None,
            released_to: &[],
        };
        let named = (id, "علی-رضایی-کارت-ملی.jpg", super::super::FileType::Jpeg);
        assert_eq!(shown_name(&file, unit, named), "attachment-3d9a7c1e.jpg");
        assert_eq!(shown_name(&file, FileReader::Desk, named), named.1);
        assert_eq!(shown_name(&file, FileReader::Citizen, named), named.1);
        file.author = AuthorKind::Unit;
        assert_eq!(shown_name(&file, unit, named), named.1);
    }

    #[test]
    fn a_citizens_file_reaches_a_unit_only_once_released_to_its_referral() {
        let (ours, other) = (referral(), referral());
        let released = [other.clone()];
        let mut file = Filed {
            author: AuthorKind::Citizen,
            on_message: true,
            sent_on: None,
            released_to: &[],
        };
        let unit = FileReader::Unit { referral_id: &ours };
        assert!(!may_read(&file, unit));
        file.released_to = &released;
        assert!(!may_read(&file, unit), "released to another referral");
        assert!(may_read(
            &file,
            FileReader::Unit {
                referral_id: &other
            }
        ));
        assert!(may_read(&file, FileReader::Desk));
        assert!(may_read(&file, FileReader::Citizen));
    }

    #[test]
    fn a_unit_reads_what_it_sent_on_its_referral_and_the_citizen_what_staff_sent() {
        let ours = referral();
        let file = Filed {
            author: AuthorKind::Unit,
            on_message: true,
            sent_on: Some(&ours),
            released_to: &[],
        };
        assert!(may_read(&file, FileReader::Unit { referral_id: &ours }));
        assert!(!may_read(
            &file,
            FileReader::Unit {
                referral_id: &referral()
            }
        ));
        assert!(may_read(&file, FileReader::Citizen));
        let desk_draft = Filed {
            author: AuthorKind::Desk,
            on_message: false,
            ..file
        };
        assert!(!may_read(&desk_draft, FileReader::Citizen));
    }

    #[test]
    fn only_a_citizens_file_is_released_and_only_to_a_referral_in_progress() {
        let citizen = Filed {
            author: AuthorKind::Citizen,
            on_message: false,
            sent_on: None,
            released_to: &[],
        };
        assert_eq!(may_release(&citizen, false), Ok(()));
        assert_eq!(
            may_release(&citizen, true),
            Err(ReleaseRefusal::ReferralFinished)
        );
        let desk = Filed {
            author: AuthorKind::Desk,
            ..citizen
        };
        assert_eq!(
            may_release(&desk, false),
            Err(ReleaseRefusal::NotTheCitizens)
        );
    }
}
