//! Queries on `audit_events`, the append-only record of who revealed which identity. Rows are
//! only ever inserted (the database refuses anything else: see the migration's trigger).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::audit_events;
use crate::domain::Role;
use crate::domain::ids::{RequestId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
#[diesel(treat_none_as_default_value = false)]
pub struct AuditRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: UserId,
    pub actor_role: Role,
    pub action: String,
    pub request_id: Option<RequestId>,
    /// The fields revealed, comma-separated (`name,mobile`).
    pub fields: String,
    pub reason: Option<String>,
}

/// Which events a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub request_id: Option<RequestId>,
    pub actor_id: Option<UserId>,
    pub from: Option<NaiveDateTime>,
    pub before_time: Option<NaiveDateTime>,
    /// Keyset cursor: only events strictly older than this (time, id).
    pub before: Option<(NaiveDateTime, String)>,
}

pub fn insert(conn: &mut DbConnection, row: &AuditRow) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Events newest first, at most `limit`.
pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_events::table
        .select(AuditRow::as_select())
        .into_boxed();
    if let Some(request) = &filter.request_id {
        query = query.filter(audit_events::request_id.eq(request.clone()));
    }
    if let Some(actor) = &filter.actor_id {
        query = query.filter(audit_events::actor_id.eq(actor.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_events::at.ge(from));
    }
    if let Some(to) = filter.before_time {
        query = query.filter(audit_events::at.lt(to));
    }
    if let Some((at, id)) = &filter.before {
        query = query.filter(
            audit_events::at.lt(*at).or(audit_events::at
                .eq(*at)
                .and(audit_events::id.lt(id.clone()))),
        );
    }
    query
        .order((audit_events::at.desc(), audit_events::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Every event on one request, oldest first: what its citizen is shown.
pub fn of_request(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<Vec<AuditRow>> {
    audit_events::table
        .filter(audit_events::request_id.eq(request_id))
        .order((audit_events::at.asc(), audit_events::id.asc()))
        .select(AuditRow::as_select())
        .load(conn)
}
