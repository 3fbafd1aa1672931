//! The audit log: revealing a citizen's identity, which is the one way staff read it in full,
//! and the record every reveal leaves (PRODUCT rule 11). A reveal and its record are one
//! transaction: an identity is never shown without the row that says who saw it.

use chrono::NaiveDateTime;

use crate::db::audit::{self as repo, AuditFilter, AuditRow};
use crate::db::{DbConnection, requests as request_repo, write_transaction};
use crate::domain::ids::{RequestId, UserId};
use crate::domain::reveal::{self, IdentityField, ReasonPolicy, RevealRefusal};
use crate::domain::{FieldError, Role, StaffUser};

use super::deadlines::Rules;
use super::page::{Key, Keyed, Page, PageRequest};
use super::requests::Identity;
use super::{AppError, AppResult};

/// The action a reveal is recorded as.
pub const IDENTITY_REVEALED: &str = "identity_revealed";

/// What a reveal asks for.
#[derive(Debug, Clone, Default)]
pub struct RevealInput {
    /// `identity`, or field names; none means every field.
    pub fields: Vec<String>,
    pub reason: Option<String>,
}

/// A reveal's answer: the identity with the revealed fields in full (the others masked), and
/// the record it left.
#[derive(Debug, Clone, PartialEq)]
pub struct Revealed {
    pub identity: Identity,
    pub event: AuditEvent,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: UserId,
    pub actor_role: Role,
    pub action: String,
    pub request_id: Option<RequestId>,
    pub fields: Vec<IdentityField>,
    pub reason: Option<String>,
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        AuditEvent {
            fields: row
                .fields
                .split(',')
                .filter_map(IdentityField::parse)
                .collect(),
            id: row.id,
            at: row.at,
            actor_id: row.actor_id,
            actor_role: row.actor_role,
            action: row.action,
            request_id: row.request_id,
            reason: row.reason,
        }
    }
}

impl Keyed for AuditRow {
    fn key(&self) -> Key {
        (self.at, self.id.clone())
    }
}

/// Reveals the identity of request `id` to `staff`, recording it. A role that may not reveal,
/// and intake or operator staff on a request they did not register, hear 403 whether the
/// request exists or not (the answer tells nothing of it); the others 404 for none.
pub fn reveal(
    conn: &mut DbConnection,
    (rules, policy): (&Rules, ReasonPolicy),
    staff: &StaffUser,
    id: &RequestId,
    input: &RevealInput,
) -> AppResult<Revealed> {
    let asked = asked_fields(&input.fields)?;
    let reason = reveal::reason(policy, input.reason.as_deref())
        .map_err(|refusal| invalid("reason", "reason", refusal))?;
    write_transaction(conn, |conn| {
        may_reveal(conn, staff, id)?;
        let identity =
            super::requests::kept_identity(conn, &rules.vault, id)?.ok_or_else(|| {
                AppError::conflict(
                    "identity-erased",
                    "this request's identity was erased at the end of its retention period",
                )
            })?;
        let fields = identity.present(&asked);
        let row = AuditRow {
            id: crate::db::new_id(),
            at: rules.now(),
            actor_id: staff.id.clone(),
            actor_role: staff.role,
            action: IDENTITY_REVEALED.to_owned(),
            request_id: Some(id.clone()),
            fields: fields
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(","),
            reason,
        };
        repo::insert(conn, &row)?;
        Ok(Revealed {
            identity: identity.masked_but(&fields),
            event: AuditEvent::from(row),
        })
    })
}

/// Whether `staff` may reveal the identity of request `id` (403 if not, whether it exists or
/// not; then 404 if it does not). Handlers ask before they read the body, so that a caller who
/// may not hears 403 whatever it sent.
pub fn may_reveal(conn: &mut DbConnection, staff: &StaffUser, id: &RequestId) -> AppResult<()> {
    let request = request_repo::find(conn, id)?;
    let registered_it = request
        .as_ref()
        .is_some_and(|r| r.registered_by.as_ref() == Some(&staff.id));
    reveal::may_reveal(staff.role, registered_it).map_err(|refusal| match refusal {
        RevealRefusal::Role => AppError::Forbidden("your role may not reveal an identity"),
        _ => AppError::Forbidden(
            "only the member of staff who registered this request may reveal its identity in your role",
        ),
    })?;
    request.map(|_| ()).ok_or(AppError::NotFound("request"))
}

fn asked_fields(labels: &[String]) -> AppResult<Vec<IdentityField>> {
    if labels.is_empty() {
        return Ok(IdentityField::ALL.to_vec());
    }
    reveal::fields(&labels.join(",")).map_err(|refusal| invalid("fields", "unknown_field", refusal))
}

fn invalid(field: &str, code: &str, refusal: RevealRefusal) -> AppError {
    let code = match refusal {
        RevealRefusal::ReasonMissing => "required",
        RevealRefusal::ReasonTooLong => "length",
        _ => code,
    };
    AppError::Invalid(vec![FieldError::new(field, code, refusal.to_string())])
}

/// Which events a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct AuditQuery {
    pub request_id: Option<RequestId>,
    pub actor_id: Option<UserId>,
    /// At or after.
    pub from: Option<NaiveDateTime>,
    /// Before.
    pub to: Option<NaiveDateTime>,
}

/// One page of the audit log, newest first.
pub fn list(
    conn: &mut DbConnection,
    query: AuditQuery,
    page: &PageRequest,
) -> AppResult<Page<AuditEvent>> {
    let filter = |before| AuditFilter {
        request_id: query.request_id.clone(),
        actor_id: query.actor_id.clone(),
        from: query.from,
        before_time: query.to,
        before,
    };
    page.fetch(
        |before, limit| repo::list(conn, &filter(before), limit),
        AuditEvent::from,
    )
}

/// When, and by which role, a request's identity was read: the citizen's own record (the
/// person is not named, the role is).
pub fn reads_of(conn: &mut DbConnection, request_id: &RequestId) -> AppResult<Vec<IdentityRead>> {
    Ok(repo::of_request(conn, request_id)?
        .into_iter()
        .map(|row| IdentityRead {
            at: row.at,
            role: row.actor_role,
            fields: AuditEvent::from(row).fields,
        })
        .collect())
}

/// One read of a citizen's identity, as the citizen is told of it.
#[derive(Debug, Clone, PartialEq)]
pub struct IdentityRead {
    pub at: NaiveDateTime,
    pub role: Role,
    pub fields: Vec<IdentityField>,
}
