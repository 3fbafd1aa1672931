//! Queries on `portals` and `request_portals` (which portal filed which request).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{portals, request_portals};
use crate::domain::ids::{PortalId, RequestId};
use crate::domain::request::{RequestKind, Status};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = portals)]
pub struct PortalRow {
    pub id: PortalId,
    pub name: String,
    /// `domain::portal::Scopes::stored`.
    pub scopes: String,
    pub key_hash: String,
    pub key_hint: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &PortalRow) -> QueryResult<()> {
    diesel::insert_into(portals::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<PortalRow>> {
    portals::table
        .order(portals::name.asc())
        .select(PortalRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: &PortalId) -> QueryResult<Option<PortalRow>> {
    portals::table
        .find(id)
        .select(PortalRow::as_select())
        .first(conn)
        .optional()
}

/// The active portal whose key hashes to `key_hash`.
pub fn by_key_hash(conn: &mut DbConnection, key_hash: &str) -> QueryResult<Option<PortalRow>> {
    portals::table
        .filter(portals::key_hash.eq(key_hash))
        .filter(portals::active.eq(true))
        .select(PortalRow::as_select())
        .first(conn)
        .optional()
}

/// Writes a portal's changeable fields back (name, scopes, active, key), guarded by nothing
/// but its id: admins' edits of one portal are rare and last-writer-wins is what they expect.
pub fn update(conn: &mut DbConnection, row: &PortalRow) -> QueryResult<usize> {
    diesel::update(portals::table.find(&row.id))
        .set((
            portals::name.eq(&row.name),
            portals::scopes.eq(&row.scopes),
            portals::key_hash.eq(&row.key_hash),
            portals::key_hint.eq(&row.key_hint),
            portals::active.eq(row.active),
            portals::updated_at.eq(row.updated_at),
        ))
        .execute(conn)
}

pub fn name_taken(conn: &mut DbConnection, name: &str, other_than: &PortalId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        portals::table
            .filter(portals::name.eq(name))
            .filter(portals::id.ne(other_than)),
    ))
    .get_result(conn)
}

/// Records that `portal` filed `request`.
pub fn record_filing(
    conn: &mut DbConnection,
    request: &RequestId,
    portal: &PortalId,
) -> QueryResult<()> {
    diesel::insert_into(request_portals::table)
        .values((
            request_portals::request_id.eq(request),
            request_portals::portal_id.eq(portal),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The portal that filed `request`, if one did.
pub fn filer_of(conn: &mut DbConnection, request: &RequestId) -> QueryResult<Option<PortalId>> {
    request_portals::table
        .find(request)
        .select(request_portals::portal_id)
        .first(conn)
        .optional()
}

/// The ids of the requests `portal` filed, newest first, at most `limit`, created in
/// `[from, to)` when given. (Open311's list.)
pub fn filed_by(
    conn: &mut DbConnection,
    portal: &PortalId,
    filter: &FiledFilter,
    limit: i64,
) -> QueryResult<Vec<RequestId>> {
    use super::schema::requests;
    let mut query = request_portals::table
        .inner_join(requests::table.on(requests::id.eq(request_portals::request_id)))
        .filter(request_portals::portal_id.eq(portal))
        .select(requests::id)
        .order((requests::created_at.desc(), requests::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(from) = filter.from {
        query = query.filter(requests::created_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(requests::created_at.lt(to));
    }
    match filter.closed {
        Some(true) => query = query.filter(requests::status.eq(Status::Closed)),
        Some(false) => query = query.filter(requests::status.ne(Status::Closed)),
        None => {}
    }
    match filter.kind {
        Some(KindFilter::Kind(kind)) => {
            query = query.filter(super::requests::shows_kind(kind));
        }
        Some(KindFilter::Unclassified) => {
            query = query.filter(
                requests::kind
                    .is_null()
                    .and(requests::proposed_kind.is_null()),
            );
        }
        None => {}
    }
    query.load(conn)
}

/// Which of a portal's requests `filed_by` lists; applied in the query, before its limit.
#[derive(Debug, Default, Clone)]
pub struct FiledFilter {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Only closed (`true`) or only open (`false`) requests.
    pub closed: Option<bool>,
    pub kind: Option<KindFilter>,
}

/// The kind a request shows: the review's, else the citizen's proposal.
#[derive(Debug, Clone, Copy)]
pub enum KindFilter {
    Kind(RequestKind),
    /// Neither reviewed nor proposed.
    Unclassified,
}
