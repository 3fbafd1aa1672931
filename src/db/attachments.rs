//! Queries on `attachments` (uploaded files, attached or waiting to be) and
//! `attachment_releases` (which referral's unit may read which file). Who may read what is
//! `domain::attachment::may_read`'s to say; these functions only fetch and write rows.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{attachment_releases, attachments};
use crate::domain::attachment::FileType;
use crate::domain::conversation::AuthorKind;
use crate::domain::ids::{AttachmentId, ReferralId, RequestId, UserId};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = attachments)]
#[diesel(treat_none_as_default_value = false)]
pub struct AttachmentRow {
    pub id: AttachmentId,
    pub sha256: String,
    pub size: i64,
    pub file_type: FileType,
    pub file_name: String,
    pub author_kind: AuthorKind,
    pub uploaded_by: Option<UserId>,
    pub request_id: Option<RequestId>,
    pub message_id: Option<String>,
    pub referral_id: Option<ReferralId>,
    pub created_at: NaiveDateTime,
    pub attached_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut DbConnection, row: &AttachmentRow) -> QueryResult<()> {
    diesel::insert_into(attachments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &AttachmentId) -> QueryResult<Option<AttachmentRow>> {
    attachments::table
        .find(id)
        .select(AttachmentRow::as_select())
        .first(conn)
        .optional()
}

/// The files attached to a request, oldest first.
pub fn of_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::request_id.eq(request_id))
        .order((attachments::created_at.asc(), attachments::id.asc()))
        .select(AttachmentRow::as_select())
        .load(conn)
}

/// Which of a request's files went to which referral.
pub fn releases_of_request(
    conn: &mut DbConnection,
    request_id: &RequestId,
) -> QueryResult<Vec<(AttachmentId, ReferralId)>> {
    attachment_releases::table
        .inner_join(attachments::table)
        .filter(attachments::request_id.eq(request_id))
        .select((
            attachment_releases::attachment_id,
            attachment_releases::referral_id,
        ))
        .load::<(String, String)>(conn)
        .map(|pairs| {
            pairs
                .into_iter()
                .map(|(a, r)| (AttachmentId::stored(a), ReferralId::stored(r)))
                .collect()
        })
}

/// Who may attach an upload: the citizen's uploads are theirs by knowing the id (random, never
/// listed); a staff member's only by the one who uploaded them.
#[derive(Debug, Clone, Copy)]
pub enum Uploader<'a> {
    Citizen,
    Staff(&'a UserId),
}

/// Where uploads are attached.
#[derive(Debug, Clone, Copy)]
pub struct Attaching<'a> {
    pub request_id: &'a RequestId,
    pub message_id: Option<&'a str>,
    pub referral_id: Option<&'a ReferralId>,
    /// Uploads older than this are past their time and can no longer be attached.
    pub uploaded_after: NaiveDateTime,
    pub now: NaiveDateTime,
}

/// Attaches the `ids` that `uploader` uploaded and nothing has attached yet; returns how many
/// it attached (fewer than asked means some id was not the caller's to attach).
pub fn attach(
    conn: &mut DbConnection,
    ids: &[AttachmentId],
    uploader: Uploader<'_>,
    at: &Attaching<'_>,
) -> QueryResult<usize> {
    let free = attachments::table
        .filter(attachments::id.eq_any(ids))
        .filter(attachments::request_id.is_null())
        .filter(attachments::created_at.gt(at.uploaded_after));
    let set = (
        attachments::request_id.eq(Some(at.request_id)),
        attachments::message_id.eq(at.message_id),
        attachments::referral_id.eq(at.referral_id),
        attachments::attached_at.eq(Some(at.now)),
    );
    match uploader {
        Uploader::Citizen => diesel::update(free.filter(attachments::uploaded_by.is_null()))
            .set(set)
            .execute(conn),
        Uploader::Staff(user) => diesel::update(free.filter(attachments::uploaded_by.eq(user)))
            .set(set)
            .execute(conn),
    }
}

/// How many files a request carries, and their bytes together.
pub fn totals(conn: &mut DbConnection, request_id: &RequestId) -> QueryResult<(i64, i64)> {
    let sizes: Vec<i64> = attachments::table
        .filter(attachments::request_id.eq(request_id))
        .select(attachments::size)
        .load(conn)?;
    Ok((sizes.len() as i64, sizes.iter().sum()))
}

/// Records that `attachment_id` may be read by `referral_id`'s unit; returns whether it was
/// new (releasing twice changes nothing).
pub fn release(
    conn: &mut DbConnection,
    attachment_id: &AttachmentId,
    referral_id: &ReferralId,
    by: &UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let query = diesel::insert_into(attachment_releases::table)
        .values((
            attachment_releases::attachment_id.eq(attachment_id),
            attachment_releases::referral_id.eq(referral_id),
            attachment_releases::released_by.eq(by),
            attachment_releases::released_at.eq(now),
        ))
        .on_conflict((
            attachment_releases::attachment_id,
            attachment_releases::referral_id,
        ))
        .do_nothing();
    // As in `idempotency::claim`: the multi-backend connection has no ON CONFLICT.
    let inserted = match conn {
        DbConnection::Postgresql(c) => query.execute(c)?,
        DbConnection::Sqlite(c) => query.execute(c)?,
    };
    Ok(inserted == 1)
}

/// Up to `limit` uploads never attached and older than `cutoff`: the sweep's work.
pub fn unattached_before(
    conn: &mut DbConnection,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<AttachmentRow>> {
    attachments::table
        .filter(attachments::request_id.is_null())
        .filter(attachments::created_at.le(cutoff))
        .order(attachments::created_at.asc())
        .limit(limit)
        .select(AttachmentRow::as_select())
        .load(conn)
}

/// Deletes an upload if it is still unattached; returns whether it did (an attach that won
/// the race keeps it).
pub fn delete_unattached(conn: &mut DbConnection, id: &AttachmentId) -> QueryResult<bool> {
    diesel::delete(
        attachments::table
            .filter(attachments::id.eq(id))
            .filter(attachments::request_id.is_null()),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// Whether any upload still refers to this content.
pub fn content_in_use(conn: &mut DbConnection, sha256: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        attachments::table.filter(attachments::sha256.eq(sha256)),
    ))
    .get_result(conn)
}

/// Holds one content address for the rest of the transaction, so that an upload adding a
/// reference to it and the sweep deleting its last one take turns (PostgreSQL: an advisory
/// lock on the address; SQLite's writers take turns anyway).
pub fn hold_content(conn: &mut DbConnection, sha256: &str) -> QueryResult<()> {
    if let DbConnection::Postgresql(c) = conn {
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 16))")
            .bind::<diesel::sql_types::Text, _>(sha256)
            .execute(c)?;
    }
    Ok(())
}
