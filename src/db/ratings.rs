//! Queries on `ratings`: one per closed request.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::ratings;
use crate::domain::ids::RequestId;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ratings)]
#[diesel(treat_none_as_default_value = false)]
pub struct RatingRow {
    pub request_id: RequestId,
    pub score: i32,
    pub comment: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Stores a rating; the primary key on `request_id` refuses a second one.
pub fn insert(conn: &mut DbConnection, row: &RatingRow) -> QueryResult<()> {
    diesel::insert_into(ratings::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The rating of a request, if it was rated.
pub fn find(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<Option<RatingRow>> {
    ratings::table
        .find(request_id)
        .select(RatingRow::as_select())
        .first(conn)
        .optional()
}
