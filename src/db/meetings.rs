//! Queries on `meetings`, the head's calendar.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::meetings;
use crate::domain::ids::{MeetingId, RequestId};
use crate::domain::meeting::MeetingStatus;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = meetings)]
#[diesel(treat_none_as_default_value = false)]
pub struct MeetingRow {
    pub id: MeetingId,
    pub request_id: RequestId,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub place: String,
    pub status: MeetingStatus,
    pub action_required: Option<bool>,
    pub notes: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &MeetingRow) -> QueryResult<()> {
    diesel::insert_into(meetings::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &MeetingId) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .find(id)
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

/// The scheduled meeting of a request, if it has one.
pub fn scheduled_for(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .filter(meetings::request_id.eq(request_id))
        .filter(meetings::status.eq(MeetingStatus::Scheduled))
        .select(MeetingRow::as_select())
        .first(conn)
        .optional()
}

/// The meetings of a request, by start time, starting in [from, to) where given.
pub fn of_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
    from: Option<NaiveDateTime>,
    to: Option<NaiveDateTime>,
) -> QueryResult<Vec<MeetingRow>> {
    let mut query = meetings::table
        .filter(meetings::request_id.eq(request_id.to_owned()))
        .select(MeetingRow::as_select())
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(meetings::starts_at.ge(from));
    }
    if let Some(to) = to {
        query = query.filter(meetings::starts_at.lt(to));
    }
    query
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .load(conn)
}

/// The request's latest meeting, whatever its status (a request has at most one scheduled).
pub fn latest_for(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Option<MeetingRow>> {
    meetings::table
        .filter(meetings::request_id.eq(request_id))
        .select(MeetingRow::as_select())
        .order((meetings::created_at.desc(), meetings::id.desc()))
        .first(conn)
        .optional()
}

/// Cancels the request's meeting if it is still scheduled; returns the ids it cancelled.
pub fn cancel_scheduled_for(
    conn: &mut DbConnection,
    request_id: &RequestId,
    at: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    diesel::update(
        meetings::table
            .filter(meetings::request_id.eq(request_id))
            .filter(meetings::status.eq(MeetingStatus::Scheduled)),
    )
    .set((
        meetings::status.eq(MeetingStatus::Cancelled),
        meetings::version.eq(meetings::version + 1),
        meetings::updated_at.eq(at),
    ))
    .returning(meetings::id)
    .get_results(conn)
}

/// A scheduled meeting, other than `except`, that overlaps [start, end).
pub fn overlapping(
    conn: &mut DbConnection,
    start: NaiveDateTime,
    end: NaiveDateTime,
    except: Option<&MeetingId>,
) -> QueryResult<Option<MeetingRow>> {
    let mut query = meetings::table
        .filter(meetings::status.eq(MeetingStatus::Scheduled))
        .filter(meetings::starts_at.lt(end))
        .filter(meetings::ends_at.gt(start))
        .select(MeetingRow::as_select())
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(meetings::id.ne(id.to_owned()));
    }
    query
        .order(meetings::starts_at.asc())
        .first(conn)
        .optional()
}

/// Meetings in [from, to), by start time.
pub fn calendar(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<MeetingRow>> {
    meetings::table
        .filter(meetings::starts_at.ge(from))
        .filter(meetings::starts_at.lt(to))
        .select(MeetingRow::as_select())
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .load(conn)
}

/// Scheduled meetings starting in (from, to], by start time: those a reminder may be due for.
pub fn scheduled_between(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<MeetingRow>> {
    meetings::table
        .filter(meetings::status.eq(MeetingStatus::Scheduled))
        .filter(meetings::starts_at.gt(from))
        .filter(meetings::starts_at.le(to))
        .select(MeetingRow::as_select())
        .order((meetings::starts_at.asc(), meetings::id.asc()))
        .load(conn)
}

/// Claims the reminder of a meeting at its start time: true when this call wrote it (and so
/// sends it), false when it was already claimed.
pub fn claim_reminder(
    conn: &mut DbConnection,
    meeting: &MeetingId,
    starts_at: NaiveDateTime,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    use super::schema::meeting_reminders;
    let query = diesel::insert_into(meeting_reminders::table)
        .values((
            meeting_reminders::meeting_id.eq(meeting),
            meeting_reminders::starts_at.eq(starts_at),
            meeting_reminders::sent_at.eq(at),
        ))
        .on_conflict((meeting_reminders::meeting_id, meeting_reminders::starts_at))
        .do_nothing();
    // As in `idempotency::claim`: the multi-backend connection has no ON CONFLICT.
    let written = match conn {
        DbConnection::Postgresql(c) => query.execute(c)?,
        DbConnection::Sqlite(c) => query.execute(c)?,
    };
    Ok(written == 1)
}

/// Records a meeting's arrival unless one is recorded; the arrival time kept either way.
pub fn record_arrival(
    conn: &mut DbConnection,
    meeting: &MeetingId,
    by: &crate::domain::ids::UserId,
    at: NaiveDateTime,
) -> QueryResult<(NaiveDateTime, bool)> {
    use super::schema::meeting_arrivals;
    let query = diesel::insert_into(meeting_arrivals::table)
        .values((
            meeting_arrivals::meeting_id.eq(meeting),
            meeting_arrivals::arrived_at.eq(at),
            meeting_arrivals::recorded_by.eq(by),
        ))
        .on_conflict(meeting_arrivals::meeting_id)
        .do_nothing();
    // As in `idempotency::claim`: the multi-backend connection has no ON CONFLICT.
    let written = match conn {
        DbConnection::Postgresql(c) => query.execute(c)?,
        DbConnection::Sqlite(c) => query.execute(c)?,
    };
    let kept = meeting_arrivals::table
        .find(meeting)
        .select(meeting_arrivals::arrived_at)
        .first(conn)?;
    Ok((kept, written == 1))
}

/// The arrivals recorded for some meetings.
pub fn arrivals(
    conn: &mut DbConnection,
    meetings: &[MeetingId],
) -> QueryResult<std::collections::BTreeMap<MeetingId, NaiveDateTime>> {
    use super::schema::meeting_arrivals;
    Ok(meeting_arrivals::table
        .filter(meeting_arrivals::meeting_id.eq_any(meetings))
        .select((meeting_arrivals::meeting_id, meeting_arrivals::arrived_at))
        .load::<(MeetingId, NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}

/// Writes a meeting's changeable columns if nobody changed it since `version`.
pub fn update(conn: &mut DbConnection, row: &MeetingRow, version: i32) -> QueryResult<bool> {
    let updated = diesel::update(
        meetings::table
            .filter(meetings::id.eq(&row.id))
            .filter(meetings::version.eq(version)),
    )
    .set((
        meetings::starts_at.eq(row.starts_at),
        meetings::ends_at.eq(row.ends_at),
        meetings::place.eq(&row.place),
        meetings::status.eq(&row.status),
        meetings::action_required.eq(row.action_required),
        meetings::notes.eq(&row.notes),
        meetings::version.eq(version + 1),
        meetings::updated_at.eq(row.updated_at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Serialises schedulers on PostgreSQL for the rest of the transaction, so that two
/// overlapping meetings cannot both pass the overlap check (SQLite has one writer anyway).
pub fn lock_calendar(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgresql(_) => diesel::sql_query("SELECT pg_advisory_xact_lock(7261002)")
            .execute(conn)
            .map(|_| ()),
        DbConnection::Sqlite(_) => Ok(()),
    }
}
