//! Queries on `citizen_codes`, the citizen's one-time codes (`domain::otp`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::citizen_codes;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = citizen_codes)]
#[diesel(treat_none_as_default_value = false)]
pub struct CodeRow {
    pub id: String,
    /// Sealed (`vault`): the number the citizen's token stands for.
    pub mobile: String,
    pub code_hash: String,
    pub tries: i32,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
    /// The number's blind index, by which the code a try is for is found.
    pub mobile_index: String,
}

pub fn insert(conn: &mut DbConnection, row: &CodeRow) -> QueryResult<()> {
    diesel::insert_into(citizen_codes::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The newest code sent to the mobile of `mobile_index`: the one a try is for (a newer code
/// replaces the older).
pub fn latest(conn: &mut DbConnection, mobile_index: &str) -> QueryResult<Option<CodeRow>> {
    citizen_codes::table
        .filter(citizen_codes::mobile_index.eq(mobile_index))
        .order((citizen_codes::created_at.desc(), citizen_codes::id.desc()))
        .select(CodeRow::as_select())
        .first(conn)
        .optional()
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<CodeRow>> {
    citizen_codes::table
        .find(id)
        .select(CodeRow::as_select())
        .first(conn)
        .optional()
}

/// Counts a try on the code if it still has the tries it was read with; true when it did
/// (false: a concurrent try came first, and this one is refused).
pub fn count_try(conn: &mut DbConnection, id: &str, tries_read: i32) -> QueryResult<bool> {
    let changed = diesel::update(
        citizen_codes::table
            .filter(citizen_codes::id.eq(id))
            .filter(citizen_codes::tries.eq(tries_read))
            .filter(citizen_codes::used_at.is_null()),
    )
    .set(citizen_codes::tries.eq(tries_read + 1))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Marks the code used, once; true when this call did.
pub fn spend(conn: &mut DbConnection, id: &str, at: NaiveDateTime) -> QueryResult<bool> {
    let changed = diesel::update(
        citizen_codes::table
            .filter(citizen_codes::id.eq(id))
            .filter(citizen_codes::used_at.is_null()),
    )
    .set(citizen_codes::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(changed == 1)
}
