//! Queries on `contacts`, the walk-in and call log.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::contacts;
use crate::domain::contact::{ContactChannel, ContactOutcome};
use crate::domain::ids::{RequestId, UnitId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = contacts)]
#[diesel(treat_none_as_default_value = false)]
pub struct ContactRow {
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

/// Which contacts a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct ContactFilter {
    pub channel: Option<ContactChannel>,
    pub outcome: Option<ContactOutcome>,
    pub staff_id: Option<UserId>,
    pub created_from: Option<NaiveDateTime>,
    pub created_before: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &ContactRow) -> QueryResult<()> {
    diesel::insert_into(contacts::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Applies a `ContactFilter` to any boxed query on `contacts` (a page or the grouped counts).
macro_rules! apply_filter {
    ($query:expr, $filter:expr) => {{
        let filter: &ContactFilter = $filter;
        let mut query = $query;
        if let Some(channel) = &filter.channel {
            query = query.filter(contacts::channel.eq(*channel));
        }
        if let Some(outcome) = &filter.outcome {
            query = query.filter(contacts::outcome.eq(*outcome));
        }
        if let Some(staff) = &filter.staff_id {
            query = query.filter(contacts::staff_id.eq(staff.clone()));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(contacts::created_at.ge(from));
        }
        if let Some(before) = filter.created_before {
            query = query.filter(contacts::created_at.lt(before));
        }
        query
    }};
}

/// One page of contacts, newest first, older than the cursor when one is given.
pub fn list(
    conn: &mut DbConnection,
    filter: &ContactFilter,
    before: Option<&(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<ContactRow>> {
    let mut query = apply_filter!(
        contacts::table.select(ContactRow::as_select()).into_boxed(),
        filter
    );
    if let Some((at, id)) = before {
        query = query.filter(
            contacts::created_at.lt(*at).or(contacts::created_at
                .eq(*at)
                .and(contacts::id.lt(id.clone()))),
        );
    }
    query
        .order((contacts::created_at.desc(), contacts::id.desc()))
        .limit(limit)
        .load(conn)
}

/// How many contacts match, by (channel, outcome): the desk's workload figures.
pub fn counts(
    conn: &mut DbConnection,
    filter: &ContactFilter,
) -> QueryResult<Vec<(ContactChannel, ContactOutcome, i64)>> {
    let grouped = contacts::table
        .group_by((contacts::channel, contacts::outcome))
        .select((
            contacts::channel,
            contacts::outcome,
            diesel::dsl::count_star(),
        ))
        .into_boxed();
    apply_filter!(grouped, filter).load(conn)
}
