//! Queries on `units`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{units, users};
use crate::domain::UnitKind;
use crate::domain::ids::UnitId;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = units, treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct UnitRow {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Which units a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    pub active: Option<bool>,
    pub kind: Option<UnitKind>,
    pub parent_id: Option<UnitId>,
}

pub fn insert(conn: &mut DbConnection, row: &UnitRow) -> QueryResult<()> {
    diesel::insert_into(units::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &UnitId) -> QueryResult<Option<UnitRow>> {
    units::table
        .find(id)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()
}

pub fn list(conn: &mut DbConnection, filter: &UnitFilter) -> QueryResult<Vec<UnitRow>> {
    let mut query = units::table.select(UnitRow::as_select()).into_boxed();
    if let Some(active) = filter.active {
        query = query.filter(units::active.eq(active));
    }
    if let Some(kind) = &filter.kind {
        query = query.filter(units::kind.eq(*kind));
    }
    if let Some(parent) = &filter.parent_id {
        query = query.filter(units::parent_id.eq(parent.clone()));
    }
    query.order((units::name.asc(), units::id.asc())).load(conn)
}

/// Writes every column of `row` but its id and creation time.
pub fn update(conn: &mut DbConnection, row: &UnitRow) -> QueryResult<usize> {
    diesel::update(units::table.find(&row.id))
        .set(row)
        .execute(conn)
}

pub fn delete(conn: &mut DbConnection, id: &UnitId) -> QueryResult<usize> {
    diesel::delete(units::table.find(id)).execute(conn)
}

/// The chain from `id` up to its root, `id` first. Stops after `limit` steps so that a corrupt
/// loop cannot hang a request.
pub fn ancestors(conn: &mut DbConnection, id: &UnitId, limit: usize) -> QueryResult<Vec<UnitId>> {
    let mut chain = vec![id.to_owned()];
    let mut current = id.to_owned();
    while chain.len() <= limit {
        let parent: Option<Option<UnitId>> = units::table
            .find(&current)
            .select(units::parent_id)
            .first(conn)
            .optional()?;
        match parent.flatten() {
            Some(next) if !chain.contains(&next) => {
                chain.push(next.clone());
                current = next;
            }
            _ => break,
        }
    }
    Ok(chain)
}

/// What still points at a unit; a unit in use can be deactivated but not deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitUsage {
    pub users: i64,
    pub children: i64,
}

impl UnitUsage {
    pub fn in_use(&self) -> bool {
        self.users > 0 || self.children > 0
    }
}

pub fn usage(conn: &mut DbConnection, id: &UnitId) -> QueryResult<UnitUsage> {
    let users = users::table
        .filter(users::unit_id.eq(id))
        .count()
        .get_result(conn)?;
    let children = units::table
        .filter(units::parent_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok(UnitUsage { users, children })
}

pub fn name_taken(
    conn: &mut DbConnection,
    name: &str,
    except_id: Option<&UnitId>,
) -> QueryResult<bool> {
    let mut query = units::table.filter(units::name.eq(name)).into_boxed();
    if let Some(id) = except_id {
        query = query.filter(units::id.ne(id.to_owned()));
    }
    query.count().get_result::<i64>(conn).map(|n| n > 0)
}

impl From<UnitRow> for crate::domain::Unit {
    fn from(row: UnitRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            kind: row.kind,
            parent_id: row.parent_id,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}
