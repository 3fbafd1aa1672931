//! `contacts`: the log of every walk-in and call, written by intake experts and operators, read
//! by them and by the desk's reviewers, the head and admins. Counts come with every list.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

use super::cursor;
use super::error::ApiError;
use super::json::ValidJson;
use super::list_query::{ListQuery, PageParams};
use super::requests::{CitizenRequest, READERS, REGISTRARS, RequestDetailView};
use super::staff::Staff;
use super::state::AppState;
use super::views::utc;
use crate::app::contacts::{self, Contact, ContactFilter, ContactInput};
use crate::app::requests as request_cases;
use crate::domain::contact::{ContactChannel, ContactOutcome};

/// One walk-in or call.
#[derive(Debug, Deserialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "channel": "phone", "summary": "پرسش درباره‌ی ساعت کاری واحد امور مالی؛ به آن واحد وصل شد",
    "citizen_name": "رضا کریمی", "outcome": "transferred", "unit_id": "0d6f3c52-8d0e-4f4e-9a0b-2b9c1a7d5e10"
}))]
pub struct NewContactBody {
    pub channel: ContactChannel,
    /// What the citizen wanted and what was done, 2 to 1000 characters.
    #[schema(min_length = 2, max_length = 1000)]
    pub summary: String,
    /// When the citizen gave it.
    pub citizen_name: Option<String>,
    /// When the citizen gave it; any usual form.
    pub citizen_mobile: Option<String>,
    pub outcome: ContactOutcome,
    /// For `transferred` (phone only): the unit the call went to.
    pub unit_id: Option<Uuid>,
    /// For `registered`: a request registered earlier…
    pub request_id: Option<Uuid>,
    /// …or the request to register now, with this contact, in one transaction.
    pub request: Option<CitizenRequest>,
}

/// A logged contact.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "id": "2a7c9e1b-3d4f-4a5b-8c6d-7e8f9a0b1c2d", "channel": "in_person",
    "summary": "راهنمایی درباره‌ی مدارک لازم برای پرونده", "citizen_name": null, "citizen_mobile": null,
    "outcome": "guided", "unit_id": null, "request_id": null,
    "staff_id": "5f0c2f7e-4a8e-4d4b-9a57-1c1b2f0e9a11", "created_at": "2026-11-29T09:10:00Z"
}))]
pub struct ContactView {
    #[schema(format = Uuid)]
    pub id: String,
    pub channel: ContactChannel,
    pub summary: String,
    pub citizen_name: Option<String>,
    /// E.164.
    pub citizen_mobile: Option<String>,
    pub outcome: ContactOutcome,
    #[schema(format = Uuid)]
    pub unit_id: Option<String>,
    #[schema(format = Uuid)]
    pub request_id: Option<String>,
    /// Who logged it.
    #[schema(format = Uuid)]
    pub staff_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<Contact> for ContactView {
    fn from(c: Contact) -> Self {
        Self {
            id: c.id,
            channel: c.channel,
            summary: c.summary,
            citizen_name: c.citizen_name,
            citizen_mobile: c.citizen_mobile,
            outcome: c.outcome,
            unit_id: c.unit_id.map(Into::into),
            request_id: c.request_id.map(Into::into),
            staff_id: c.staff_id.into(),
            created_at: utc(c.created_at),
        }
    }
}

/// A logged contact and, for one that registered a request now, that request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoggedContactView {
    pub contact: ContactView,
    pub request: Option<RequestDetailView>,
}

/// How many contacts match the filter, over all pages.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "total": 42, "by_outcome": {"guided": 30, "registered": 8, "transferred": 4},
    "by_channel": {"in_person": 25, "phone": 17}
}))]
pub struct ContactCounts {
    pub total: i64,
    /// Every outcome, zero or not.
    pub by_outcome: BTreeMap<String, i64>,
    /// Every channel, zero or not.
    pub by_channel: BTreeMap<String, i64>,
}

/// One page of contacts, newest first, and the counts of all that match.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    pub items: Vec<ContactView>,
    pub next_cursor: Option<String>,
    pub counts: ContactCounts,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    pub channel: Option<ContactChannel>,
    pub outcome: Option<ContactOutcome>,
    /// Contacts logged by this staff member.
    pub staff_id: Option<Uuid>,
    /// Logged at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Logged before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Log a walk-in or a call (intake, operator).
///
/// Outcome `guided`: verbal guidance only. `transferred`: a call put through to a unit (name it
/// in `unit_id`). `registered`: link a request registered earlier (`request_id`), or register
/// one now (`request`) — then the request, its tracking-code SMS and the contact are stored
/// together or not at all.
#[utoipa::path(
    tag = "contacts", security(("bearer" = [])), request_body = NewContactBody,
    responses((status = 201, description = "Logged", body = LoggedContactView))
)]
#[post("/contacts")]
pub async fn log_contact(
    state: web::Data<AppState>,
    staff: Staff,
    body: ValidJson<NewContactBody>,
) -> Result<HttpResponse, ApiError> {
    staff.require(REGISTRARS)?;
    let body = body.into_inner()?;
    let input = ContactInput {
        channel: body.channel,
        summary: body.summary,
        citizen_name: body.citizen_name,
        citizen_mobile: body.citizen_mobile,
        outcome: body.outcome,
        unit_id: body.unit_id.map(Into::into),
        request_id: body.request_id.map(Into::into),
        request: body.request.as_ref().map(CitizenRequest::request_input),
    };
    let staff_id = staff.user().id.clone();
    let role = staff.user().role;
    let rules = state.deadlines.clone();
    let (contact, request) = state
        .db(move |conn| {
            let logged = contacts::log(conn, &rules, &staff_id, input)?;
            let request = match &logged.request {
                Some(registered) => Some(request_cases::detail(
                    conn,
                    &registered.request.id,
                    role,
                    &rules,
                )?),
                None => None,
            };
            Ok((logged.contact, request))
        })
        .await?;
    Ok(HttpResponse::Created().json(LoggedContactView {
        contact: contact.into(),
        request: request.map(RequestDetailView::from),
    }))
}

/// List contacts with counts (intake, operator, reviewer, head, admin).
#[utoipa::path(tag = "contacts", security(("bearer" = [])), params(ContactQuery, PageParams), responses((status = 200, description = "One page of contacts and the counts of all that match", body = ContactList)))]
#[get("/contacts")]
pub async fn list_contacts(
    state: web::Data<AppState>,
    staff: Staff,
    query: ListQuery<ContactQuery>,
) -> Result<HttpResponse, ApiError> {
    staff.require(READERS)?;
    let (query, page) = query.into_parts()?;
    let filter = ContactFilter {
        channel: query.channel,
        outcome: query.outcome,
        staff_id: query.staff_id.map(Into::into),
        created_from: query.from.map(|t| t.naive_utc()),
        created_before: query.to.map(|t| t.naive_utc()),
    };
    let vault = state.vault();
    let (page, counts) = state
        .db(move |conn| contacts::list(conn, &vault, filter, &page))
        .await?;
    let owned = |counts: BTreeMap<&'static str, i64>| {
        counts.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    };
    Ok(HttpResponse::Ok().json(ContactList {
        items: page.items.into_iter().map(ContactView::from).collect(),
        next_cursor: page.next.as_ref().map(cursor::encode),
        counts: ContactCounts {
            total: counts.total,
            by_outcome: owned(counts.by_outcome),
            by_channel: owned(counts.by_channel),
        },
    }))
}
