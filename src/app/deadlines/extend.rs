//! An extension: the desk gives a referral's unit more time to answer, with a reason. The
//! referral's due time and its answer deadline move together (the deadline's stages run again
//! toward the new time), the history records it (publicly, without the reason), and the
//! citizen is told by SMS with the new date, all in one transaction.

use chrono::{Duration, NaiveDateTime};

use crate::db::deadlines as repo;
use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::referrals::{self, ReferralRow};
use crate::db::{DbConnection, requests as request_repo, write_transaction};
use crate::domain::calendar::Span;
use crate::domain::citizen::RequestText;
use crate::domain::deadline::DeadlineKind;
use crate::domain::ids::ReferralId;
use crate::domain::lifecycle::Template;
use crate::domain::request::ActorKind;
use crate::domain::{FieldError, Role, StaffUser, parse_field};

use super::super::history::{self, Entry};
use super::super::referrals::Referral;
use super::super::{AppError, AppResult};
use super::Rules;

/// How much more time: a new due time, or a span added to the current one.
#[derive(Debug, Clone)]
pub enum Extension {
    Until(NaiveDateTime),
    By(String),
}

/// Who may extend: the desk.
pub const EXTENDERS: &[Role] = &[Role::Reviewer, Role::Admin];

/// Extends the answer of referral `id` by `extension`, for `reason`. 404 for an unknown
/// referral, 409 for one that is no longer the unit's to answer, 412 for a stale `If-Match`,
/// 422 for a new due time not after the current one, or an unreadable span.
pub fn extend(
    conn: &mut DbConnection,
    rules: &Rules,
    staff: &StaffUser,
    id: &ReferralId,
    (extension, reason): (Extension, &str),
    if_match: Option<i32>,
) -> AppResult<Referral> {
    if !EXTENDERS.contains(&staff.role) {
        return Err(AppError::Forbidden("only the desk extends a referral"));
    }
    let reason = parse_field("reason", RequestText::parse(reason))?;
    let now = rules.now();
    write_transaction(conn, |conn| {
        let referral = referrals::find(conn, id)?.ok_or(AppError::NotFound("referral"))?;
        if if_match.is_some_and(|v| v != referral.version) {
            return Err(super::super::handling::stale_version(
                "referral",
                referral.version,
            ));
        }
        if !referral.status.is_unanswered() {
            return Err(AppError::conflict(
                "not-extendable",
                format!(
                    "the referral is {}; only a referral still to be answered can be extended",
                    referral.status
                ),
            ));
        }
        let due = new_due(rules, referral.due_at, &extension, now)?;
        if !referrals::set_due(conn, id, Some(referral.version), due, now)? {
            return Err(super::super::handling::concurrent_change("referral"));
        }
        for open in repo::open_of_referral(conn, id)? {
            if open.kind == DeadlineKind::Answer {
                repo::extend(conn, &open.id, due, now)?;
            }
        }
        tell(conn, staff, &referral, (due, reason.as_str()), now)?;
        super::super::referrals::get(conn, staff, id, now)
    })
}

/// Records the extension in the history (public, the reason for the desk only) and tells the
/// citizen by SMS.
fn tell(
    conn: &mut DbConnection,
    staff: &StaffUser,
    referral: &ReferralRow,
    (due, reason): (NaiveDateTime, &str),
    now: NaiveDateTime,
) -> AppResult<()> {
    let request = request_repo::find(conn, &referral.request_id)?
        .ok_or_else(|| AppError::Internal("a referral's request went missing".to_owned()))?;
    history::record(
        conn,
        &request.id,
        Entry {
            public: true,
            ..Entry::beside(request.status, "deadline_extended")
        },
        (ActorKind::Staff, Some(staff.id.clone())),
        serde_json::json!({
            "referral": referral.reference,
            "from": referral.due_at.and_utc().to_rfc3339(),
            "due_at": due.and_utc().to_rfc3339(),
            "reason": reason,
        }),
        now,
    )?;
    let recipient = super::super::requests::recipient(conn, &request.id)?;
    // The citizen reads the last day the answer may take: a deadline that ends at Tehran
    // midnight ends on the day before it.
    let until = due - Duration::seconds(1);
    outbox::insert(
        conn,
        &NotificationRow::pending(
            Some(request.id.clone()),
            Template::DeadlineExtended,
            &recipient,
            serde_json::json!({
                "tracking_code": request.tracking_code,
                "until": until.and_utc().to_rfc3339(),
            })
            .to_string(),
            now,
        ),
    )?;
    Ok(())
}

/// The new due time an extension gives, after the current one and after now.
fn new_due(
    rules: &Rules,
    current: NaiveDateTime,
    extension: &Extension,
    now: NaiveDateTime,
) -> AppResult<NaiveDateTime> {
    let due = match extension {
        Extension::Until(due) => *due,
        Extension::By(span) => {
            let span = Span::parse(span).ok_or_else(|| {
                FieldError::new(
                    "by",
                    "invalid",
                    "give working days as 3d or hours of working time as 12h",
                )
            })?;
            if matches!(span, Span::WorkingDays(0) | Span::Hours(0)) {
                return Err(FieldError::new("by", "empty", "an extension adds some time").into());
            }
            // Counted from the current due time, or from now if that has passed.
            rules.due(current.max(now), span)
        }
    };
    if due <= current || due <= now {
        return Err(FieldError::new(
            "due_at",
            "not_later",
            "the new due time must be after the current one and in the future",
        )
        .into());
    }
    Ok(due)
}
