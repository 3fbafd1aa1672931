//! Queries on `requests`, `request_identities` and `request_events`. The identity table is only
//! touched by the functions whose names say so, so a reader can see which paths reach it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{request_events, request_identities, requests};
use crate::domain::ids::{RequestId, UnitId, UserId};
use crate::domain::request::{ActorKind, Channel, RequestKind, Resolution, Status, Subject};

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = requests)]
#[diesel(treat_none_as_default_value = false)]
pub struct RequestRow {
    pub id: RequestId,
    pub tracking_code: String,
    pub channel: Channel,
    pub body: String,
    pub search_text: String,
    pub proposed_kind: Option<RequestKind>,
    pub kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub subject_unit_id: Option<UnitId>,
    pub status: Status,
    pub resolution: Option<Resolution>,
    pub version: i32,
    pub registered_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = request_identities)]
#[diesel(treat_none_as_default_value = false)]
pub struct IdentityRow {
    pub request_id: RequestId,
    /// Sealed (`vault`), as are the mobile, the national ID and the email.
    pub name: String,
    pub mobile: String,
    pub national_id: Option<String>,
    pub email: Option<String>,
    /// The mobile's blind index: how a request is found by its citizen's number. Absent only
    /// on a row written before identities were sealed, until the first start seals it.
    pub mobile_index: Option<String>,
}

#[derive(
    Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize, serde::Deserialize,
)]
#[diesel(table_name = request_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct EventRow {
    pub id: String,
    pub request_id: RequestId,
    pub seq: i32,
    pub at: NaiveDateTime,
    pub actor_kind: ActorKind,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub public: bool,
    pub details: String,
}

/// Which requests a staff listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct RequestFilter {
    pub status: Option<Status>,
    pub kind: Option<RequestKind>,
    pub channel: Option<Channel>,
    pub unit_id: Option<UnitId>,
    pub created_from: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
    /// Already normalised with `citizen::search_key`.
    pub text: Option<String>,
    /// Keyset cursor: only requests strictly older than this (time, id).
    pub before: Option<(NaiveDateTime, String)>,
}

pub fn insert(conn: &mut DbConnection, row: &RequestRow) -> QueryResult<()> {
    diesel::insert_into(requests::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn tracking_code_exists(conn: &mut DbConnection, code: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        requests::table.filter(requests::tracking_code.eq(code)),
    ))
    .get_result(conn)
}

pub fn insert_identity(conn: &mut DbConnection, row: &IdentityRow) -> QueryResult<()> {
    diesel::insert_into(request_identities::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn insert_event(conn: &mut DbConnection, row: &EventRow) -> QueryResult<()> {
    diesel::insert_into(request_events::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &RequestId) -> QueryResult<Option<RequestRow>> {
    requests::table
        .find(id)
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_tracking_code(
    conn: &mut DbConnection,
    code: &str,
) -> QueryResult<Option<RequestRow>> {
    requests::table
        .filter(requests::tracking_code.eq(code))
        .select(RequestRow::as_select())
        .first(conn)
        .optional()
}

/// The tracking codes of every request whose identity's mobile has this blind index, in no
/// order: what a text for a unit must not carry when it is about any of them.
pub fn tracking_codes_of_mobile(
    conn: &mut DbConnection,
    mobile_index: &str,
) -> QueryResult<Vec<String>> {
    requests::table
        .inner_join(request_identities::table)
        .filter(request_identities::mobile_index.eq(mobile_index))
        .select(requests::tracking_code)
        .load(conn)
}

/// The blind index of a request's citizen's mobile (empty when it has none yet).
pub fn mobile_index(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Option<String>> {
    request_identities::table
        .find(request_id)
        .select(request_identities::mobile_index)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

/// The sealed mobile of a request's citizen, as the outbox rows that text them carry it.
pub fn sealed_mobile(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Option<String>> {
    request_identities::table
        .find(request_id)
        .select(request_identities::mobile)
        .first(conn)
        .optional()
}

pub fn find_identity(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Option<IdentityRow>> {
    request_identities::table
        .find(request_id)
        .select(IdentityRow::as_select())
        .first(conn)
        .optional()
}

/// The history of a request in order; only the public events when `public_only`.
pub fn events(
    conn: &mut DbConnection,
    request_id: &RequestId,
    public_only: bool,
) -> QueryResult<Vec<EventRow>> {
    let mut query = request_events::table
        .filter(request_events::request_id.eq(request_id))
        .select(EventRow::as_select())
        .into_boxed();
    if public_only {
        query = query.filter(request_events::public.eq(true));
    }
    query.order(request_events::seq.asc()).load(conn)
}

/// Whether the history of a request holds an event of `action` (e.g. the one objection).
pub fn has_event(
    conn: &mut DbConnection,
    request_id: &RequestId,
    action: &str,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        request_events::table
            .filter(request_events::request_id.eq(request_id))
            .filter(request_events::action.eq(action)),
    ))
    .get_result(conn)
}

/// The next event number of a request.
pub fn next_seq(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<i32> {
    let last: Option<i32> = request_events::table
        .filter(request_events::request_id.eq(request_id))
        .select(diesel::dsl::max(request_events::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// Moves a request to a new status if nobody changed it since `version` was read; returns
/// whether it did (zero rows means a concurrent change).
pub fn change_status(
    conn: &mut DbConnection,
    id: &RequestId,
    version: i32,
    status: Status,
    resolution: Option<Resolution>,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let closed_at = (status == Status::Closed).then_some(at);
    let updated = diesel::update(
        requests::table
            .filter(requests::id.eq(id))
            .filter(requests::version.eq(version)),
    )
    .set((
        requests::status.eq(status.as_str()),
        requests::resolution.eq(resolution.map(Resolution::as_str)),
        requests::version.eq(version + 1),
        requests::updated_at.eq(at),
        requests::closed_at.eq(closed_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// One page of requests, newest first, `limit` at most.
pub fn list(
    conn: &mut DbConnection,
    filter: &RequestFilter,
    limit: i64,
) -> QueryResult<Vec<RequestRow>> {
    let mut query = requests::table.select(RequestRow::as_select()).into_boxed();
    if let Some(status) = &filter.status {
        query = query.filter(requests::status.eq(*status));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(shows_kind(*kind));
    }
    if let Some(channel) = &filter.channel {
        query = query.filter(requests::channel.eq(*channel));
    }
    if let Some(unit) = &filter.unit_id {
        query = query.filter(requests::subject_unit_id.eq(unit));
    }
    if let Some(from) = filter.created_from {
        query = query.filter(requests::created_at.ge(from));
    }
    if let Some(before) = filter.created_before {
        query = query.filter(requests::created_at.lt(before));
    }
    if let Some(text) = &filter.text {
        query = query.filter(
            requests::search_text
                .like(format!("%{}%", escape_like(text)))
                .escape('\\'),
        );
    }
    if let Some((at, id)) = &filter.before {
        // `(created_at, id) < (at, id)`, written so that its first half bounds the index scan
        // (an OR alone would be a filter, and a deep page would walk every row above it); the
        // second half only drops the rows that share the cursor's instant.
        query = query
            .filter(requests::created_at.le(*at))
            .filter(requests::created_at.lt(*at).or(requests::id.lt(id.clone())));
    }
    query
        .order((requests::created_at.desc(), requests::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Makes `%`, `_` and `\` match themselves in a LIKE pattern.
fn escape_like(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Sets the classification review decided (after the guarded status change in the same
/// transaction, which is what protects it from a concurrent change).
pub fn set_classification(
    conn: &mut DbConnection,
    id: &RequestId,
    kind: RequestKind,
    subject: Option<Subject>,
    subject_unit_id: Option<&UnitId>,
) -> QueryResult<()> {
    diesel::update(requests::table.find(id))
        .set((
            requests::kind.eq(kind),
            requests::subject.eq(subject),
            requests::subject_unit_id.eq(subject_unit_id),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The kinds of some requests, by id (for the policies that depend on them).
pub fn kinds(
    conn: &mut DbConnection,
    ids: &[RequestId],
) -> QueryResult<std::collections::BTreeMap<RequestId, Option<RequestKind>>> {
    Ok(requests::table
        .filter(requests::id.eq_any(ids))
        .select((requests::id, requests::kind))
        .load::<(RequestId, Option<RequestKind>)>(conn)?
        .into_iter()
        .collect())
}

/// Requests that show `kind`: the review's kind, or until review sets one, the citizen's
/// proposal (what there is to filter on). Shared by the staff list and a portal's own list.
#[diesel::dsl::auto_type(no_type_alias)]
pub(crate) fn shows_kind(kind: RequestKind) -> _ {
    requests::kind.eq(kind).or(requests::kind
        .is_null()
        .and(requests::proposed_kind.eq(kind)))
}
