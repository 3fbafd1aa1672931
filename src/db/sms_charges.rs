//! `sms_charges`: which messages took a slot of their number's SMS cap, and when (see
//! `domain::sms_cap`). Written by the claim that sends a message, read by later claims; a retry
//! within the window keeps its row as it is, one after the window moves it to the new claim.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::upsert::excluded;

use super::DbConnection;
use super::schema::sms_charges;
use crate::domain::ids::NotificationId;

/// A slot taken.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sms_charges)]
pub struct Charge {
    pub notification_id: NotificationId,
    /// The blind index of the number.
    pub recipient_index: String,
    pub charged_at: NaiveDateTime,
}

/// The slots the numbers of `recipients` (blind indexes) took after `since`.
pub fn since(
    conn: &mut DbConnection,
    recipients: &[&str],
    since: NaiveDateTime,
) -> QueryResult<Vec<Charge>> {
    sms_charges::table
        .filter(sms_charges::recipient_index.eq_any(recipients))
        .filter(sms_charges::charged_at.gt(since))
        .select(Charge::as_select())
        .load(conn)
}

/// Records that these messages took a slot now (a message charged before is moved to now).
pub fn charge(conn: &mut DbConnection, charges: &[Charge]) -> QueryResult<()> {
    for charge in charges {
        // Both backends speak `ON CONFLICT … DO UPDATE`; diesel's multi-backend type does not
        // (nor does its SQLite backend for several rows at once), so each row's statement is
        // run on the concrete connection.
        let query = diesel::insert_into(sms_charges::table)
            .values(charge)
            .on_conflict(sms_charges::notification_id)
            .do_update()
            .set(sms_charges::charged_at.eq(excluded(sms_charges::charged_at)));
        match conn {
            DbConnection::Postgresql(c) => query.execute(c)?,
            DbConnection::Sqlite(c) => query.execute(c)?,
        };
    }
    Ok(())
}
