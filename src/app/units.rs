//! Administration of units: create, list, read, change, delete (only when nothing uses them).

use crate::db::units::{self as repo, UnitRow};
use crate::db::{self, DbConnection, write_transaction};
use crate::domain::ids::UnitId;
use crate::domain::unit::parent_would_cycle;
use crate::domain::{Unit, UnitKind, UnitName, parse_field};

use super::{AppError, AppResult};

/// The deepest unit tree we accept: far beyond any real organisation, and a bound on the walk.
const MAX_DEPTH: usize = 32;

pub struct NewUnit {
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
}

/// A partial change; `None` leaves a field as it is, `Some(None)` clears the parent.
#[derive(Default)]
pub struct UnitChanges {
    pub name: Option<String>,
    pub kind: Option<UnitKind>,
    pub parent_id: Option<Option<UnitId>>,
    pub active: Option<bool>,
}

pub fn create(conn: &mut DbConnection, input: NewUnit) -> AppResult<Unit> {
    let name = parse_field("name", UnitName::parse(&input.name))?;
    write_transaction(conn, |conn| {
        if let Some(parent) = &input.parent_id {
            require_parent(conn, parent)?;
        }
        require_free_name(conn, name.as_str(), None)?;
        let now = db::now();
        let row = UnitRow {
            id: UnitId::generate(),
            name: name.into_string(),
            kind: input.kind,
            parent_id: input.parent_id,
            active: true,
            created_at: now,
            updated_at: now,
        };
        repo::insert(conn, &row).map_err(name_conflict)?;
        Ok(Unit::from(row))
    })
}

/// Which units a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct UnitFilter {
    pub active: Option<bool>,
    pub kind: Option<UnitKind>,
    /// Only the units directly under this one.
    pub parent_id: Option<UnitId>,
}

/// Every unit that matches, by name: units are few, so they are listed whole.
pub fn list(conn: &mut DbConnection, filter: UnitFilter) -> AppResult<Vec<Unit>> {
    let filter = repo::UnitFilter {
        active: filter.active,
        kind: filter.kind,
        parent_id: filter.parent_id,
    };
    repo::list(conn, &filter)?
        .into_iter()
        .map(|row| Ok(Unit::from(row)))
        .collect()
}

pub fn get(conn: &mut DbConnection, id: &UnitId) -> AppResult<Unit> {
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound("unit"))?;
    Ok(Unit::from(row))
}

pub fn update(conn: &mut DbConnection, id: &UnitId, changes: UnitChanges) -> AppResult<Unit> {
    let name = changes
        .name
        .as_deref()
        .map(|raw| parse_field("name", UnitName::parse(raw)))
        .transpose()?;
    write_transaction(conn, |conn| {
        let mut row = repo::find(conn, id)?.ok_or(AppError::NotFound("unit"))?;
        if let Some(name) = name {
            require_free_name(conn, name.as_str(), Some(id))?;
            row.name = name.into_string();
        }
        if let Some(kind) = changes.kind {
            row.kind = kind;
        }
        if let Some(parent) = changes.parent_id {
            if let Some(parent_id) = &parent {
                require_parent(conn, parent_id)?;
                let chain = repo::ancestors(conn, parent_id, MAX_DEPTH)?;
                if parent_would_cycle(id, &chain) {
                    return Err(AppError::invalid(
                        "parent_id",
                        "cycle",
                        "a unit cannot be placed under itself or one of its own sub-units",
                    ));
                }
            }
            row.parent_id = parent;
        }
        if let Some(active) = changes.active {
            row.active = active;
        }
        row.updated_at = db::now();
        repo::update(conn, &row).map_err(name_conflict)?;
        Ok(Unit::from(row))
    })
}

/// Deletes a unit nothing refers to. A unit that has staff or sub-units (and, later, referrals)
/// keeps its history: it is deactivated instead, and deleting it is a 409.
pub fn delete(conn: &mut DbConnection, id: &UnitId) -> AppResult<()> {
    write_transaction(conn, |conn| {
        repo::find(conn, id)?.ok_or(AppError::NotFound("unit"))?;
        let usage = repo::usage(conn, id)?;
        if usage.in_use() {
            return Err(in_use());
        }
        repo::delete(conn, id).map_err(|e| {
            if db::is_foreign_key_violation(&e) {
                in_use()
            } else {
                e.into()
            }
        })?;
        Ok(())
    })
}

fn in_use() -> AppError {
    AppError::conflict(
        "unit-in-use",
        "the unit has staff or sub-units; deactivate it (PATCH active=false) instead of deleting it",
    )
}

fn require_parent(conn: &mut DbConnection, parent_id: &UnitId) -> AppResult<()> {
    match repo::find(conn, parent_id)? {
        Some(_) => Ok(()),
        None => Err(AppError::invalid(
            "parent_id",
            "unknown_unit",
            "no unit has this id",
        )),
    }
}

fn require_free_name(
    conn: &mut DbConnection,
    name: &str,
    except: Option<&UnitId>,
) -> AppResult<()> {
    if repo::name_taken(conn, name, except)? {
        Err(name_taken())
    } else {
        Ok(())
    }
}

fn name_taken() -> AppError {
    AppError::conflict("unit-name-taken", "another unit already has this name")
}

fn name_conflict(error: diesel::result::Error) -> AppError {
    if db::is_unique_violation(&error) {
        name_taken()
    } else {
        error.into()
    }
}
