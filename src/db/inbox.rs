//! Queries on `staff_notifications`, the staff inbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::staff_notifications;
use crate::domain::ids::{DeadlineId, ReferralId, RequestId, StaffNotificationId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff_notifications)]
#[diesel(treat_none_as_default_value = false)]
pub struct StaffNotificationRow {
    pub id: StaffNotificationId,
    pub user_id: UserId,
    pub topic: String,
    /// Never set on a unit member's row.
    pub request_id: Option<RequestId>,
    pub referral_id: Option<ReferralId>,
    pub deadline_id: Option<DeadlineId>,
    /// The deadline's extensions when it was written.
    pub round: i32,
    pub message: String,
    pub details: String,
    pub created_at: NaiveDateTime,
    pub read_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &StaffNotificationRow) -> QueryResult<()> {
    diesel::insert_into(staff_notifications::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// One page of a member's inbox, newest first (`before`: the keyset of the page before).
pub fn page(
    conn: &mut DbConnection,
    user: &UserId,
    unread_only: bool,
    before: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<StaffNotificationRow>> {
    let mut query = staff_notifications::table
        .filter(staff_notifications::user_id.eq(user))
        .order((
            staff_notifications::created_at.desc(),
            staff_notifications::id.desc(),
        ))
        .limit(limit)
        .select(StaffNotificationRow::as_select())
        .into_boxed();
    if unread_only {
        query = query.filter(staff_notifications::read_at.is_null());
    }
    if let Some((at, id)) = before {
        query = query.filter(
            staff_notifications::created_at
                .lt(at)
                .or(staff_notifications::created_at
                    .eq(at)
                    .and(staff_notifications::id.lt(id))),
        );
    }
    query.load(conn)
}

/// How many of a member's notifications are unread.
pub fn unread(conn: &mut DbConnection, user: &UserId) -> QueryResult<i64> {
    staff_notifications::table
        .filter(staff_notifications::user_id.eq(user))
        .filter(staff_notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks one of a member's notifications read (or unread again). False when it is not theirs
/// or does not exist: the caller answers 404 either way.
pub fn mark(
    conn: &mut DbConnection,
    user: &UserId,
    id: &StaffNotificationId,
    read_at: Option<NaiveDateTime>,
) -> QueryResult<Option<StaffNotificationRow>> {
    let changed = diesel::update(
        staff_notifications::table
            .filter(staff_notifications::id.eq(id))
            .filter(staff_notifications::user_id.eq(user)),
    )
    .set(staff_notifications::read_at.eq(read_at))
    .execute(conn)?;
    if changed == 0 {
        return Ok(None);
    }
    staff_notifications::table
        .find(id)
        .select(StaffNotificationRow::as_select())
        .first(conn)
        .optional()
}

/// Marks all of a member's unread notifications read; returns how many.
pub fn mark_all(conn: &mut DbConnection, user: &UserId, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        staff_notifications::table
            .filter(staff_notifications::user_id.eq(user))
            .filter(staff_notifications::read_at.is_null()),
    )
    .set(staff_notifications::read_at.eq(at))
    .execute(conn)
}
