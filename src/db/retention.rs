//! Queries of the retention sweep (`app::retention`): the closed requests it owes a step, the
//! record of each announcement and erasure (`request_erasures`), and the erasure itself, one
//! table at a time, in the caller's transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::requests::RequestRow;
use super::schema::{
    citizen_codes, contacts, messages, notifications, ratings, request_erasures, request_events,
    request_identities, requests,
};
use crate::domain::conversation::AuthorKind;
use crate::domain::ids::RequestId;
use crate::domain::notification::NotificationStatus;
use crate::domain::request::Status;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = request_erasures)]
#[diesel(treat_none_as_default_value = false)]
pub struct ErasureRow {
    pub request_id: RequestId,
    pub noticed_at: NaiveDateTime,
    pub erase_on: NaiveDateTime,
    pub erased_at: Option<NaiveDateTime>,
}

/// Up to `limit` closed requests, closed at or before `closed_before`, that are not erased
/// yet, with their announcement if they had one; in id order after `after`.
pub fn due(
    conn: &mut DbConnection,
    closed_before: NaiveDateTime,
    after: Option<&RequestId>,
    limit: i64,
) -> QueryResult<Vec<(RequestRow, Option<ErasureRow>)>> {
    let mut query = requests::table
        .left_join(request_erasures::table)
        .filter(requests::status.eq(Status::Closed))
        .filter(requests::closed_at.le(closed_before))
        .filter(request_erasures::erased_at.is_null())
        .select((RequestRow::as_select(), Option::<ErasureRow>::as_select()))
        .order(requests::id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(requests::id.gt(after.clone()));
    }
    query.load(conn)
}

/// Records the announcement; false if another sweep recorded one first.
pub fn announce(conn: &mut DbConnection, row: &ErasureRow) -> QueryResult<bool> {
    let exists: bool = diesel::select(diesel::dsl::exists(
        request_erasures::table.find(&row.request_id),
    ))
    .get_result(conn)?;
    if exists {
        return Ok(false);
    }
    diesel::insert_into(request_erasures::table)
        .values(row)
        .execute(conn)?;
    Ok(true)
}

/// Marks the request erased; false if it already was (another sweep came first).
pub fn mark_erased(
    conn: &mut DbConnection,
    id: &RequestId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let changed = diesel::update(
        request_erasures::table
            .find(id)
            .filter(request_erasures::erased_at.is_null()),
    )
    .set(request_erasures::erased_at.eq(Some(at)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// When the request was erased, if it was.
pub fn erased_at(conn: &mut DbConnection, id: &RequestId) -> QueryResult<Option<NaiveDateTime>> {
    request_erasures::table
        .find(id)
        .select(request_erasures::erased_at)
        .first::<Option<NaiveDateTime>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Erases what the citizen of one request is and wrote: the identity row, the request's own
/// text (and its search key), the citizen's messages (their anonymised forms stay), the
/// rating's comment, an objection's text, the name and number of the contacts that led to it,
/// and the number on its messages already sent.
pub fn erase_request(conn: &mut DbConnection, id: &RequestId) -> QueryResult<()> {
    diesel::delete(request_identities::table.find(id)).execute(conn)?;
    diesel::update(requests::table.find(id))
        .set((requests::body.eq(""), requests::search_text.eq("")))
        .execute(conn)?;
    diesel::update(
        messages::table
            .filter(messages::request_id.eq(id))
            .filter(messages::author_kind.eq(AuthorKind::Citizen)),
    )
    .set(messages::body.eq(""))
    .execute(conn)?;
    diesel::update(ratings::table.find(id))
        .set(ratings::comment.eq(None::<String>))
        .execute(conn)?;
    diesel::update(
        request_events::table
            .filter(request_events::request_id.eq(id))
            .filter(request_events::action.eq("objected")),
    )
    .set(request_events::details.eq(r#"{"objection":null}"#))
    .execute(conn)?;
    diesel::update(contacts::table.filter(contacts::request_id.eq(id)))
        .set((
            contacts::citizen_name.eq(None::<String>),
            contacts::citizen_mobile.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(
        notifications::table
            .filter(notifications::request_id.eq(id))
            .filter(notifications::status.ne(NotificationStatus::Pending)),
    )
    .set(notifications::recipient.eq(""))
    .execute(conn)?;
    Ok(())
}

/// Forgets the name and number of contacts logged at or before `before` (a walk-in or call
/// that registered nothing has no request to wait for); how many.
pub fn erase_contacts(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        contacts::table
            .filter(contacts::created_at.le(before))
            .filter(
                contacts::citizen_name
                    .is_not_null()
                    .or(contacts::citizen_mobile.is_not_null()),
            ),
    )
    .set((
        contacts::citizen_name.eq(None::<String>),
        contacts::citizen_mobile.eq(None::<String>),
    ))
    .execute(conn)
}

/// Deletes one-time codes created at or before `before` (they live two minutes; a day is
/// plenty for any inquiry).
pub fn forget_codes(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(citizen_codes::table.filter(citizen_codes::created_at.le(before))).execute(conn)
}
