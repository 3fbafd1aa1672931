//! Queries on `messages`, the conversations. The functions a unit's view uses take the
//! referral and read only its rows; which of them the unit may read, and as what text, is
//! `domain::conversation::shown`'s to say.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::messages;
use crate::domain::Role;
use crate::domain::conversation::{AuthorKind, Release};
use crate::domain::ids::{ReferralId, RequestId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages)]
#[diesel(treat_none_as_default_value = false)]
pub struct MessageRow {
    pub id: String,
    pub request_id: RequestId,
    pub seq: i32,
    pub author_kind: AuthorKind,
    pub author_id: Option<UserId>,
    pub author_role: Option<Role>,
    pub referral_id: Option<ReferralId>,
    pub body: String,
    pub unit_body: Option<String>,
    pub release: Option<Release>,
    pub released_by: Option<UserId>,
    pub released_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert(conn: &mut DbConnection, row: &MessageRow) -> QueryResult<()> {
    diesel::insert_into(messages::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The next message number of a request's conversation, for a writer that holds the
/// conversation (`hold`): two writers never read the same number.
pub fn next_seq(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<i32> {
    let last: Option<i32> = messages::table
        .filter(messages::request_id.eq(request_id))
        .select(diesel::dsl::max(messages::seq))
        .first(conn)?;
    Ok(last.unwrap_or(0) + 1)
}

/// Holds a request's conversation for the rest of the transaction, so that concurrent
/// writers (the desk, a unit, the citizen) number their messages one after another instead
/// of colliding on the unique (request, seq). PostgreSQL: the request's row lock. SQLite:
/// nothing to do, its writers hold the whole database (`write_transaction`).
pub fn hold(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT id FROM requests WHERE id = $1 FOR UPDATE")
            .bind::<diesel::sql_types::Text, _>(request_id.as_str())
            .execute(c)?;
    }
    Ok(())
}

/// A request's whole conversation, in order.
pub fn of_request(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::request_id.eq(request_id))
        .select(MessageRow::as_select())
        .order(messages::seq.asc())
        .load(conn)
}

/// The messages on one referral (its unit's questions and the replies to them), in order.
pub fn of_referral(
    conn: &mut DbConnection,
    referral_id: &ReferralId,
) -> QueryResult<Vec<MessageRow>> {
    messages::table
        .filter(messages::referral_id.eq(referral_id))
        .select(MessageRow::as_select())
        .order(messages::seq.asc())
        .load(conn)
}

pub fn find(
    conn: &mut DbConnection,
    request_id: &RequestId,
    id: &str,
) -> QueryResult<Option<MessageRow>> {
    messages::table
        .filter(messages::request_id.eq(request_id))
        .filter(messages::id.eq(id))
        .select(MessageRow::as_select())
        .first(conn)
        .optional()
}

/// Releases a held reply to its unit with `unit_body`; false when it is not held (any more).
pub fn release(
    conn: &mut DbConnection,
    id: &str,
    unit_body: &str,
    by: &UserId,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let held: Release = Release::Held;
    let released: Release = Release::Released;
    let updated = diesel::update(
        messages::table
            .filter(messages::id.eq(id))
            .filter(messages::release.eq(held)),
    )
    .set((
        messages::release.eq(released),
        messages::unit_body.eq(unit_body),
        messages::released_by.eq(by),
        messages::released_at.eq(at),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// For each of `referrals` that has messages, what they amount to (`Activity`). One query for a
/// page: a referral's messages are few, and folding them in order is exact where grouped
/// maxima would not say since when a referral waits.
pub fn activity(
    conn: &mut DbConnection,
    referrals: &[ReferralId],
) -> QueryResult<BTreeMap<ReferralId, Activity>> {
    let rows: Vec<(
        Option<ReferralId>,
        AuthorKind,
        Option<Release>,
        NaiveDateTime,
    )> = messages::table
        .filter(messages::referral_id.eq_any(referrals))
        .order((messages::request_id.asc(), messages::seq.asc()))
        .select((
            messages::referral_id,
            messages::author_kind,
            messages::release,
            messages::created_at,
        ))
        .load(conn)?;
    let mut activity: BTreeMap<ReferralId, Activity> = BTreeMap::new();
    for (referral, author, release, at) in rows {
        let Some(referral) = referral else { continue };
        activity
            .entry(referral)
            .or_default()
            .add(author, release, at);
    }
    Ok(activity)
}

/// What a referral's conversation amounts to, for its view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// The first question the citizen has not answered yet.
    unanswered_since: Option<NaiveDateTime>,
    pub held_replies: i64,
}

impl Activity {
    /// Folds in the next message, in order: a question starts (or continues) the wait, an
    /// answer ends it.
    fn add(&mut self, author: AuthorKind, release: Option<Release>, at: NaiveDateTime) {
        match author {
            AuthorKind::Unit => {
                self.unanswered_since.get_or_insert(at);
            }
            AuthorKind::Citizen => {
                self.unanswered_since = None;
                if release == Some(Release::Held) {
                    self.held_replies += 1;
                }
            }
            AuthorKind::Desk => {}
        }
    }

    /// Since when the referral waits for the citizen, if it does.
    pub fn awaiting_since(&self) -> Option<NaiveDateTime> {
        self.unanswered_since
    }
}

/// The unanswered questions' referral, latest first: what a citizen's reply answers.
pub fn latest_question_referral(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Option<ReferralId>> {
    let unit: AuthorKind = AuthorKind::Unit;
    messages::table
        .filter(messages::request_id.eq(request_id))
        .filter(messages::author_kind.eq(unit))
        .order(messages::seq.desc())
        .select(messages::referral_id)
        .first::<Option<ReferralId>>(conn)
        .optional()
        .map(Option::flatten)
}
