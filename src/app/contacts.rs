//! The walk-in and call log: every contact is recorded with its outcome, and a contact that
//! produced a request is registered with it in one transaction.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::db::contacts::{self as repo, ContactRow};
use crate::db::requests as request_repo;
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::citizen::{CitizenName, ContactSummary};
use crate::domain::contact::{ContactChannel, ContactOutcome, ContactRuleError, check_outcome};
use crate::domain::ids::{RequestId, UnitId, UserId};
use crate::domain::masking;
use crate::domain::phone::MobileNumber;
use crate::domain::{FieldError, keep, parse_field};
use crate::vault::{Field, Vault};

use super::page::{Page, PageRequest};
use super::requests::{self, ParsedRequest, Registrar, RequestInput, RequestWithHistory};
use super::{AppError, AppResult};

/// A contact as the intake expert or operator logs it.
#[derive(Debug, Clone)]
pub struct ContactInput {
    pub channel: ContactChannel,
    pub summary: String,
    pub citizen_name: Option<String>,
    pub citizen_mobile: Option<String>,
    pub outcome: ContactOutcome,
    /// For `transferred`: the unit the call went to.
    pub unit_id: Option<UnitId>,
    /// For `registered`: a request registered earlier…
    pub request_id: Option<RequestId>,
    /// …or one to register now, with the contact.
    pub request: Option<RequestInput>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: String,
    pub channel: ContactChannel,
    pub summary: String,
    pub citizen_name: Option<String>,
    pub citizen_mobile: Option<String>,
    pub outcome: ContactOutcome,
    pub unit_id: Option<UnitId>,
    pub request_id: Option<RequestId>,
    pub staff_id: UserId,
    pub created_at: NaiveDateTime,
}

/// A logged contact, and the request registered with it if any.
#[derive(Debug, Clone)]
pub struct LoggedContact {
    pub contact: Contact,
    pub request: Option<RequestWithHistory>,
}

/// Logs a contact (and registers its request, when it carries one), all or nothing.
pub fn log(
    conn: &mut DbConnection,
    rules: &super::deadlines::Rules,
    staff_id: &UserId,
    input: ContactInput,
) -> AppResult<LoggedContact> {
    let parsed = parse(&input)?;
    write_transaction(conn, |conn| {
        if let Some(unit) = &input.unit_id {
            super::handling::require_active_unit(conn, unit, "unit_id")?;
        }
        if let Some(id) = &input.request_id
            && request_repo::find(conn, id)?.is_none()
        {
            return Err(
                FieldError::new("request_id", "unknown_request", "no request has this id").into(),
            );
        }
        let request = match &parsed.new_request {
            Some(new) => {
                let registrar = Registrar::Staff {
                    user_id: staff_id.to_owned(),
                    channel: input.channel.request_channel(),
                };
                Some(requests::register_in(conn, rules, new, &registrar)?)
            }
            None => None,
        };
        let row = parsed.row(&rules.vault, staff_id, &input, request.as_ref());
        repo::insert(conn, &row)?;
        Ok(LoggedContact {
            contact: Contact::shown(row, &rules.vault),
            request,
        })
    })
}

/// A contact's input that parsed, every bad field named at once.
struct ParsedContact {
    summary: ContactSummary,
    citizen_name: Option<String>,
    citizen_mobile: Option<String>,
    /// The request to register with it.
    new_request: Option<ParsedRequest>,
}

fn parse(input: &ContactInput) -> AppResult<ParsedContact> {
    let mut errors = Vec::new();
    let summary = keep(
        &mut errors,
        parse_field("summary", ContactSummary::parse(&input.summary)),
    );
    let citizen_name = optional(&input.citizen_name).and_then(|raw| {
        let parsed = parse_field("citizen_name", CitizenName::parse(raw));
        keep(&mut errors, parsed.map(CitizenName::into_string))
    });
    let citizen_mobile = optional(&input.citizen_mobile).and_then(|raw| {
        let parsed = parse_field("citizen_mobile", MobileNumber::parse(raw));
        keep(&mut errors, parsed.map(MobileNumber::into_string))
    });
    errors.extend(outcome_error(input));
    errors.extend(link_error(input));
    let registered = input.outcome == ContactOutcome::Registered;
    let new_request = match &input.request {
        Some(request) if registered => match requests::parse(request) {
            Ok(parsed) => Some(parsed),
            Err(AppError::Invalid(inner)) => {
                errors.extend(inner.into_iter().map(|e| FieldError {
                    field: format!("request.{}", e.field),
                    ..e
                }));
                None
            }
            Err(other) => return Err(other),
        },
        _ => None,
    };
    match summary.filter(|_| errors.is_empty()) {
        Some(summary) => Ok(ParsedContact {
            summary,
            citizen_name,
            citizen_mobile,
            new_request,
        }),
        None => Err(AppError::Invalid(errors)),
    }
}

/// The channel, outcome and unit must agree (`contact::check_outcome`).
fn outcome_error(input: &ContactInput) -> Option<FieldError> {
    let rule = check_outcome(input.channel, input.outcome, input.unit_id.is_some()).err()?;
    let field = match rule {
        ContactRuleError::TransferNeedsPhone => "outcome",
        ContactRuleError::TransferNeedsUnit | ContactRuleError::UnitWithoutTransfer => "unit_id",
    };
    Some(FieldError::new(field, "outcome_mismatch", rule.to_string()))
}

/// A registered contact links to exactly one request, new or earlier; no other contact does.
fn link_error(input: &ContactInput) -> Option<FieldError> {
    let registered = input.outcome == ContactOutcome::Registered;
    match (
        registered,
        input.request_id.is_some(),
        input.request.is_some(),
    ) {
        (true, false, false) => Some(FieldError::new(
            "request",
            "required",
            "a registered contact carries the request to register, or the id of one registered earlier",
        )),
        (true, true, true) => Some(FieldError::new(
            "request_id",
            "conflict",
            "give either request (to register now) or request_id (registered earlier), not both",
        )),
        (false, true, _) | (false, _, true) => Some(FieldError::new(
            "outcome",
            "outcome_mismatch",
            "only a contact with outcome registered links to a request",
        )),
        _ => None,
    }
}

impl ParsedContact {
    /// The stored contact, linked to the request registered with it or named by id.
    fn row(
        self,
        vault: &Vault,
        staff_id: &UserId,
        input: &ContactInput,
        registered: Option<&RequestWithHistory>,
    ) -> ContactRow {
        let new = self.new_request.as_ref();
        ContactRow {
            id: db::new_id(),
            channel: input.channel,
            summary: self.summary.as_str().to_owned(),
            // The citizen named in the request is the one who came or called.
            citizen_name: self
                .citizen_name
                .or_else(|| new.map(|r| r.name.as_str().to_owned()))
                .map(|name| vault.seal(Field::Name, &name)),
            citizen_mobile: self
                .citizen_mobile
                .or_else(|| new.map(|r| r.mobile.as_str().to_owned()))
                .map(|mobile| vault.seal(Field::Mobile, &mobile)),
            outcome: input.outcome,
            unit_id: input.unit_id.clone(),
            request_id: registered
                .map(|r| r.request.id.clone())
                .or_else(|| input.request_id.clone()),
            staff_id: staff_id.to_owned(),
            created_at: db::now(),
        }
    }
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Which contacts a listing returns and counts; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct ContactFilter {
    pub channel: Option<ContactChannel>,
    pub outcome: Option<ContactOutcome>,
    /// Logged by this staff member.
    pub staff_id: Option<UserId>,
    /// Logged at or after.
    pub created_from: Option<NaiveDateTime>,
    /// Logged before.
    pub created_before: Option<NaiveDateTime>,
}

/// How many contacts match a filter, over all its pages.
#[derive(Debug, Clone, PartialEq)]
pub struct ContactCounts {
    pub total: i64,
    pub by_outcome: BTreeMap<&'static str, i64>,
    pub by_channel: BTreeMap<&'static str, i64>,
}

/// One page of contacts, newest first, and the counts of all that match.
pub fn list(
    conn: &mut DbConnection,
    vault: &Vault,
    filter: ContactFilter,
    page: &PageRequest,
) -> AppResult<(Page<Contact>, ContactCounts)> {
    let filter = repo::ContactFilter {
        channel: filter.channel,
        outcome: filter.outcome,
        staff_id: filter.staff_id,
        created_from: filter.created_from,
        created_before: filter.created_before,
    };
    let load = |before: Option<_>, limit| repo::list(conn, &filter, before.as_ref(), limit);
    let contacts = page.fetch(load, |row| Contact::shown(row, vault))?;
    // Every outcome and channel appears, zero or not, so dashboards need no special cases.
    let mut by_outcome: BTreeMap<&'static str, i64> = ContactOutcome::ALL
        .iter()
        .map(|o| (o.as_str(), 0))
        .collect();
    let mut by_channel: BTreeMap<&'static str, i64> = ContactChannel::ALL
        .iter()
        .map(|c| (c.as_str(), 0))
        .collect();
    let mut total = 0;
    for (channel, outcome, count) in repo::counts(conn, &filter)? {
        *by_channel.entry(channel.as_str()).or_default() += count;
        *by_outcome.entry(outcome.as_str()).or_default() += count;
        total += count;
    }
    let counts = ContactCounts {
        total,
        by_outcome,
        by_channel,
    };
    Ok((contacts, counts))
}

impl Contact {
    /// A contact as staff see it: the citizen's name and number opened and masked (a contact
    /// has no reveal: a registered one's identity is its request's, revealed there).
    fn shown(row: ContactRow, vault: &Vault) -> Self {
        let shown = |field, sealed: Option<String>, mask: fn(&str) -> String| {
            sealed.map(|s| {
                vault
                    .open(field, &s)
                    .map_or_else(|_| "***".to_owned(), |v| mask(&v))
            })
        };
        Contact {
            channel: row.channel,
            outcome: row.outcome,
            id: row.id,
            summary: row.summary,
            citizen_name: shown(Field::Name, row.citizen_name, masking::name),
            citizen_mobile: shown(Field::Mobile, row.citizen_mobile, masking::mobile),
            unit_id: row.unit_id,
            request_id: row.request_id,
            staff_id: row.staff_id,
            created_at: row.created_at,
        }
    }
}
