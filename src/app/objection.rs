//! The citizen's objection to how their request ended (`domain::objection` decides when one is
//! possible). One transaction: the proof of ownership, the lifecycle's `object` (closed →
//! in review, the objection's text in the history event), the desk's review deadline that the
//! reopening starts, and a line in every active reviewer's inbox, so the desk hears of it
//! without watching the list.

use chrono::NaiveDateTime;

use crate::db::inbox::StaffNotificationRow;
use crate::db::requests::RequestRow;
use crate::db::{DbConnection, users, write_transaction};
use crate::domain::citizen::RequestText;
use crate::domain::ids::StaffNotificationId;
use crate::domain::lifecycle::Command;
use crate::domain::{FieldError, Role};

use super::AppResult;
use super::deadlines::SharedRules;
use super::handling::{self, Acting, Effects};
use super::limits::Limits;
use super::requests::RequestWithHistory;

/// The inbox topic of an objection.
pub const TOPIC: &str = "objection";

/// Objects to the outcome of the request behind `raw_code`, for the citizen who proves it is
/// theirs with `mobile`; `text` says why (10 to 4000 characters, like a request's own text).
/// Answers the request's public record after the reopening.
pub fn object(
    conn: &mut DbConnection,
    (limits, rules): (&Limits, &SharedRules),
    client: &str,
    (raw_code, mobile): (&str, &str),
    text: &str,
) -> AppResult<RequestWithHistory> {
    let code = &super::public::count_proof(conn, limits, client, raw_code, mobile)?;
    let (mobile, text) = parsed(mobile, text)?;
    write_transaction(conn, |conn| {
        let row = super::public::owned_request(conn, &rules.vault, code, &mobile)?;
        handling::decide_and_commit(
            conn,
            &row,
            &Acting::citizen(rules.clone()),
            Command::Object,
            |_, _, _, _| {
                Ok(Effects {
                    details: serde_json::json!({ "objection": text.as_str() }),
                    params: serde_json::json!({}),
                })
            },
        )?;
        tell_the_desk(conn, &rules.vault, &row, rules.now())?;
        super::public::record_of(conn, &row.id, rules)
    })
}

/// The mobile number and the objection's text, every bad field named.
fn parsed(
    mobile: &str,
    text: &str,
) -> AppResult<(crate::domain::phone::MobileNumber, RequestText)> {
    let mut errors = Vec::new();
    let mobile = crate::domain::keep(
        &mut errors,
        crate::domain::parse_field("mobile", crate::domain::phone::MobileNumber::parse(mobile)),
    );
    let text = crate::domain::keep(
        &mut errors,
        RequestText::parse(text)
            .map_err(|_| FieldError::new("text", "length", "say why in 10 to 4000 characters")),
    );
    match (mobile, text) {
        (Some(mobile), Some(text)) if errors.is_empty() => Ok((mobile, text)),
        _ => Err(super::AppError::Invalid(errors)),
    }
}

/// One inbox line for every active reviewer: the request is back in their review.
fn tell_the_desk(
    conn: &mut DbConnection,
    vault: &crate::vault::Vault,
    row: &RequestRow,
    now: NaiveDateTime,
) -> AppResult<()> {
    let line = format!(
        "اعتراض شهروند به نتیجه\u{200C}ی درخواست {}: درخواست دوباره در بررسی است",
        row.tracking_code
    );
    for user_id in users::active_ids(conn, Role::Reviewer, None)? {
        super::inbox::deliver(
            conn,
            vault,
            &StaffNotificationRow {
                id: StaffNotificationId::generate(),
                user_id,
                topic: TOPIC.to_owned(),
                request_id: Some(row.id.clone()),
                referral_id: None,
                deadline_id: None,
                round: 0,
                message: line.clone(),
                details: serde_json::json!({ "tracking_code": row.tracking_code }).to_string(),
                created_at: now,
                read_at: None,
            },
        )?;
    }
    Ok(())
}
