//! Portals (machine clients): registered by an admin, each with scopes and a key shown once;
//! a key presented on a call is looked up by its hash.

use chrono::NaiveDateTime;

use super::{AppError, AppResult};
use crate::db::portals::{self as repo, PortalRow};
/// What a portal's list of its own requests filters on (applied in the query).
pub use crate::db::portals::{FiledFilter, KindFilter};
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::ids::PortalId;
use crate::domain::portal::{self, Scope, Scopes};
use crate::domain::text::normalise_line;

/// A registered portal (its key is never shown again, only a hint of it).
#[derive(Debug, Clone, PartialEq)]
pub struct Portal {
    pub id: PortalId,
    pub name: String,
    pub scopes: Scopes,
    pub key_hint: String,
    pub active: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl From<PortalRow> for Portal {
    fn from(row: PortalRow) -> Self {
        Self {
            scopes: Scopes::from_stored(&row.scopes),
            id: row.id,
            name: row.name,
            key_hint: row.key_hint,
            active: row.active,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

/// A portal with its key, as the one answer that shows the key.
#[derive(Debug, Clone)]
pub struct Issued {
    pub portal: Portal,
    pub key: String,
}

/// A change to a portal; what is absent stays.
#[derive(Debug, Clone, Default)]
pub struct PortalChanges {
    pub name: Option<String>,
    pub scopes: Option<Vec<Scope>>,
    pub active: Option<bool>,
    /// Replace the key (the old one stops working at once); the answer shows the new one.
    pub new_key: bool,
}

/// The portal a call came from, as its key proved.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub id: PortalId,
    pub name: String,
    pub scopes: Scopes,
}

impl Caller {
    /// 403 unless the portal holds `scope`: the one place a portal's scopes are checked.
    pub fn require(&self, scope: Scope) -> AppResult<()> {
        match self.scopes.has(scope) {
            true => Ok(()),
            false => Err(AppError::Forbidden(scope.refusal())),
        }
    }
}

fn parse_name(name: &str) -> AppResult<String> {
    let name = normalise_line(name);
    let length = name.chars().count();
    if !(2..=200).contains(&length) {
        return Err(AppError::invalid("name", "length", "2 to 200 characters"));
    }
    Ok(name)
}

fn parse_scopes(scopes: Vec<Scope>) -> AppResult<Scopes> {
    if scopes.is_empty() {
        return Err(AppError::invalid(
            "scopes",
            "empty",
            "name at least one scope",
        ));
    }
    Ok(Scopes::new(scopes))
}

fn fresh_key() -> String {
    portal::new_key(rand::random())
}

/// Registers a portal and issues its key.
pub fn create(conn: &mut DbConnection, name: &str, scopes: Vec<Scope>) -> AppResult<Issued> {
    let (name, scopes) = match (parse_name(name), parse_scopes(scopes)) {
        (Ok(name), Ok(scopes)) => (name, scopes),
        (Err(AppError::Invalid(mut a)), Err(AppError::Invalid(b))) => {
            a.extend(b);
            return Err(AppError::Invalid(a));
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let key = fresh_key();
    let now = db::now();
    let row = PortalRow {
        id: PortalId::generate(),
        name,
        scopes: scopes.stored(),
        key_hash: portal::key_hash(&key),
        key_hint: portal::key_hint(&key),
        active: true,
        created_at: now,
        updated_at: now,
    };
    write_transaction(conn, |conn| {
        if repo::name_taken(conn, &row.name, &row.id)? {
            return Err(name_taken());
        }
        repo::insert(conn, &row)?;
        Ok(())
    })?;
    Ok(Issued {
        portal: Portal::from(row),
        key,
    })
}

fn name_taken() -> AppError {
    AppError::conflict("portal-name-taken", "another portal has this name")
}

pub fn list(conn: &mut DbConnection) -> AppResult<Vec<Portal>> {
    Ok(repo::list(conn)?.into_iter().map(Portal::from).collect())
}

pub fn get(conn: &mut DbConnection, id: &PortalId) -> AppResult<Portal> {
    repo::find(conn, id)?
        .map(Portal::from)
        .ok_or(AppError::NotFound("portal"))
}

/// Changes a portal; with `new_key`, the answer carries the new key.
pub fn update(
    conn: &mut DbConnection,
    id: &PortalId,
    changes: PortalChanges,
) -> AppResult<(Portal, Option<String>)> {
    let name = changes.name.as_deref().map(parse_name).transpose()?;
    let scopes = changes.scopes.map(parse_scopes).transpose()?;
    write_transaction(conn, |conn| {
        let mut row = repo::find(conn, id)?.ok_or(AppError::NotFound("portal"))?;
        if let Some(name) = &name {
            if repo::name_taken(conn, name, id)? {
                return Err(name_taken());
            }
            row.name = name.clone();
        }
        if let Some(scopes) = &scopes {
            row.scopes = scopes.stored();
        }
        if let Some(active) = changes.active {
            row.active = active;
        }
        let key = changes.new_key.then(fresh_key);
        if let Some(key) = &key {
            row.key_hash = portal::key_hash(key);
            row.key_hint = portal::key_hint(key);
        }
        row.updated_at = db::now();
        repo::update(conn, &row)?;
        Ok((Portal::from(row), key))
    })
}

/// The active portal holding `key`; none for anything else (no portal, revoked, not a key).
pub fn authenticate(conn: &mut DbConnection, key: &str) -> AppResult<Option<Caller>> {
    if !portal::looks_like_key(key) {
        return Ok(None);
    }
    Ok(
        repo::by_key_hash(conn, &portal::key_hash(key))?.map(|row| Caller {
            scopes: Scopes::from_stored(&row.scopes),
            id: row.id,
            name: row.name,
        }),
    )
}

/// A request `portal` filed, by its tracking code, with its public record; another's (or
/// none) is 404 alike, so a portal learns nothing of requests it did not file.
pub fn own_request(
    conn: &mut DbConnection,
    rules: &super::deadlines::Rules,
    portal: &PortalId,
    raw_code: &str,
) -> AppResult<super::requests::RequestWithHistory> {
    let code = super::public::parse_code(raw_code)?;
    let row = crate::db::requests::find_by_tracking_code(conn, code.as_str())?
        .ok_or(AppError::NotFound("request"))?;
    if repo::filer_of(conn, &row.id)?.as_ref() != Some(portal) {
        return Err(AppError::NotFound("request"));
    }
    super::public::record_of(conn, &row.id, rules)
}

/// The requests of `codes` that `portal` filed, in the order asked: a code that is malformed,
/// unknown or another portal's is left out (GeoReport v2 lists what it has), but a failing
/// database fails the whole answer rather than shorten it.
pub fn own_requests_by_codes<'a>(
    conn: &mut DbConnection,
    rules: &super::deadlines::Rules,
    portal: &PortalId,
    codes: impl Iterator<Item = &'a str>,
) -> AppResult<Vec<super::requests::RequestWithHistory>> {
    let mut found = Vec::new();
    for code in codes {
        match own_request(conn, rules, portal, code) {
            Ok(record) => found.push(record),
            Err(AppError::NotFound(_) | AppError::Invalid(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(found)
}

/// The requests `portal` filed that `filter` admits, newest first, at most `limit`, with their
/// public records.
pub fn own_requests(
    conn: &mut DbConnection,
    rules: &super::deadlines::Rules,
    portal: &PortalId,
    filter: &repo::FiledFilter,
    limit: i64,
) -> AppResult<Vec<super::requests::RequestWithHistory>> {
    repo::filed_by(conn, portal, filter, limit)?
        .iter()
        .map(|id| super::public::record_of(conn, id, rules))
        .collect()
}
