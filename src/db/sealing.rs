//! The rows whose sealed values are not (all) under a given key, and their guarded rewrite:
//! what `app::sealing` goes through to seal rows written in the clear and to re-seal under a
//! new key. A rewrite names every value it read, so a row changed in between (erased by the
//! retention sweep, say) is left to the next round instead of being overwritten.

use diesel::prelude::*;

use super::DbConnection;
use super::citizen_codes::CodeRow;
use super::contacts::ContactRow;
use super::notifications::NotificationRow;
use super::requests::IdentityRow;
use super::schema::{citizen_codes, contacts, notifications, request_identities};

diesel::define_sql_function! {
    /// SQL's `coalesce` for a nullable text: a guard that matches "still null" as well as
    /// "still this value" on both backends (`IS NOT DISTINCT FROM` is PostgreSQL's alone).
    fn coalesce(value: diesel::sql_types::Nullable<diesel::sql_types::Text>, otherwise: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Whether a nullable column still holds `value` (`None`: still null). A sealed value is never
/// empty, so the empty text stands for null.
fn still(value: &Option<String>) -> &str {
    value.as_deref().unwrap_or("")
}

/// Each `…_outside` reads in id order from just after `after` (`""`: from the start), so a
/// pass over a table reads each row once however many it rewrites.
///
/// `LIKE` patterns: every value sealed under one key begins `v1:<key>:`; every sealed value `v1:`.
pub fn under(key_id: &str) -> String {
    format!("v1:{key_id}:%")
}

pub const ANY_KEY: &str = "v1:%";

/// Up to `limit` identities with a value that does not match `pattern`, or no blind index.
pub fn identities_outside(
    conn: &mut DbConnection,
    pattern: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<IdentityRow>> {
    use request_identities::dsl as i;
    i::request_identities
        .filter(i::request_id.gt(after))
        .filter(
            i::name
                .not_like(pattern)
                .or(i::mobile.not_like(pattern))
                .or(i::national_id
                    .is_not_null()
                    .and(i::national_id.not_like(pattern)))
                .or(i::email.is_not_null().and(i::email.not_like(pattern)))
                .or(i::mobile_index.is_null()),
        )
        .order(i::request_id)
        .limit(limit)
        .select(IdentityRow::as_select())
        .load(conn)
}

/// Writes `new` over `old` if the row still holds what `old` read; whether it did.
pub fn rewrite_identity(
    conn: &mut DbConnection,
    old: &IdentityRow,
    new: &IdentityRow,
) -> QueryResult<bool> {
    use request_identities::dsl as i;
    let changed = diesel::update(
        i::request_identities
            .filter(i::request_id.eq(&old.request_id))
            .filter(i::name.eq(&old.name))
            .filter(i::mobile.eq(&old.mobile))
            .filter(coalesce(i::national_id, "").eq(still(&old.national_id)))
            .filter(coalesce(i::email, "").eq(still(&old.email))),
    )
    .set((
        i::name.eq(&new.name),
        i::mobile.eq(&new.mobile),
        i::national_id.eq(&new.national_id),
        i::email.eq(&new.email),
        i::mobile_index.eq(&new.mobile_index),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Up to `limit` contacts with a name or mobile that does not match `pattern`.
pub fn contacts_outside(
    conn: &mut DbConnection,
    pattern: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<ContactRow>> {
    use contacts::dsl as c;
    c::contacts
        .filter(c::id.gt(after))
        .filter(
            c::citizen_name
                .is_not_null()
                .and(c::citizen_name.not_like(pattern))
                .or(c::citizen_mobile
                    .is_not_null()
                    .and(c::citizen_mobile.not_like(pattern))),
        )
        .order(c::id)
        .limit(limit)
        .select(ContactRow::as_select())
        .load(conn)
}

pub fn rewrite_contact(
    conn: &mut DbConnection,
    old: &ContactRow,
    name: &Option<String>,
    mobile: &Option<String>,
) -> QueryResult<bool> {
    use contacts::dsl as c;
    let changed = diesel::update(
        c::contacts
            .filter(c::id.eq(&old.id))
            .filter(coalesce(c::citizen_name, "").eq(still(&old.citizen_name)))
            .filter(coalesce(c::citizen_mobile, "").eq(still(&old.citizen_mobile))),
    )
    .set((c::citizen_name.eq(name), c::citizen_mobile.eq(mobile)))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Up to `limit` outbox rows whose recipient does not match `pattern` (an erased one, empty,
/// is left alone).
pub fn notifications_outside(
    conn: &mut DbConnection,
    pattern: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    use notifications::dsl as n;
    n::notifications
        .filter(n::id.gt(after))
        .filter(n::recipient.not_like(pattern))
        .filter(n::recipient.ne(""))
        .order(n::id)
        .limit(limit)
        .select(NotificationRow::as_select())
        .load(conn)
}

pub fn rewrite_recipient(
    conn: &mut DbConnection,
    old: &NotificationRow,
    recipient: &str,
) -> QueryResult<bool> {
    use notifications::dsl as n;
    let changed = diesel::update(
        n::notifications
            .filter(n::id.eq(&old.id))
            .filter(n::recipient.eq(&old.recipient)),
    )
    .set(n::recipient.eq(recipient))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Up to `limit` one-time codes whose number does not match `pattern`.
pub fn codes_outside(
    conn: &mut DbConnection,
    pattern: &str,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<CodeRow>> {
    citizen_codes::table
        .filter(citizen_codes::id.gt(after))
        .filter(citizen_codes::mobile.not_like(pattern))
        .order(citizen_codes::id)
        .limit(limit)
        .select(CodeRow::as_select())
        .load(conn)
}

pub fn rewrite_code(conn: &mut DbConnection, old: &CodeRow, mobile: &str) -> QueryResult<bool> {
    let changed = diesel::update(
        citizen_codes::table
            .filter(citizen_codes::id.eq(&old.id))
            .filter(citizen_codes::mobile.eq(&old.mobile)),
    )
    .set(citizen_codes::mobile.eq(mobile))
    .execute(conn)?;
    Ok(changed == 1)
}
