//! Queries on `users`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::users;
use crate::domain::Role;
use crate::domain::ids::{UnitId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, treat_none_as_null = true)]
#[diesel(treat_none_as_default_value = false)]
pub struct UserRow {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    pub active: bool,
    pub token_version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// Canonical (`+989…`); where the staff SMS go.
    pub mobile: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub unit_id: Option<UnitId>,
    pub active: Option<bool>,
    /// Keyset cursor: only users created strictly before this (time, id).
    pub before: Option<(NaiveDateTime, String)>,
}

pub fn insert(conn: &mut DbConnection, row: &UserRow) -> QueryResult<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<UserRow>> {
    users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_username(conn: &mut DbConnection, username: &str) -> QueryResult<Option<UserRow>> {
    users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()
}

/// Users newest first, at most `limit`.
pub fn list(conn: &mut DbConnection, filter: &UserFilter, limit: i64) -> QueryResult<Vec<UserRow>> {
    let mut query = users::table.select(UserRow::as_select()).into_boxed();
    if let Some(role) = &filter.role {
        query = query.filter(users::role.eq(*role));
    }
    if let Some(unit) = &filter.unit_id {
        query = query.filter(users::unit_id.eq(unit.clone()));
    }
    if let Some(active) = filter.active {
        query = query.filter(users::active.eq(active));
    }
    if let Some((at, id)) = &filter.before {
        // `(created_at, id) < (at, id)`, written as `requests::list` writes it.
        query = query
            .filter(users::created_at.le(*at))
            .filter(users::created_at.lt(*at).or(users::id.lt(id.clone())));
    }
    query
        .order((users::created_at.desc(), users::id.desc()))
        .limit(limit)
        .load(conn)
}

/// Writes every column of `row` but its id and creation time.
pub fn update(conn: &mut DbConnection, row: &UserRow) -> QueryResult<usize> {
    diesel::update(users::table.find(&row.id))
        .set(row)
        .execute(conn)
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn count_active_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin))
        .filter(users::active.eq(true))
        .count()
        .get_result(conn)
}

impl From<UserRow> for crate::domain::StaffUser {
    fn from(row: UserRow) -> Self {
        Self {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            role: row.role,
            unit_id: row.unit_id,
            active: row.active,
            token_version: row.token_version,
            created_at: row.created_at,
            updated_at: row.updated_at,
            mobile: row.mobile,
        }
    }
}

/// The mobile number a member of staff gave, if they are active and gave one.
pub fn mobile_of(conn: &mut DbConnection, id: &UserId) -> QueryResult<Option<String>> {
    users::table
        .find(id)
        .filter(users::active.eq(true))
        .select(users::mobile)
        .first::<Option<String>>(conn)
        .optional()
        .map(Option::flatten)
}

/// The active members of `role` (of `unit`, when given): who a notice for that role goes to.
pub fn active_ids(
    conn: &mut DbConnection,
    role: Role,
    unit: Option<&UnitId>,
) -> QueryResult<Vec<UserId>> {
    let mut query = users::table
        .filter(users::role.eq(role))
        .filter(users::active.eq(true))
        .order(users::id.asc())
        .select(users::id)
        .into_boxed();
    if let Some(unit) = unit {
        query = query.filter(users::unit_id.eq(unit));
    }
    query.load(conn)
}
