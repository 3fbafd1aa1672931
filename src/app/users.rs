//! Administration of staff accounts: create, list, read, change role/unit/active, reset password.

use crate::auth::password;
use crate::db::users::{self as repo, UserRow};
use crate::db::{self, DbConnection, units, write_transaction};
use crate::domain::ids::{UnitId, UserId};
use crate::domain::user::check_role_unit;
use crate::domain::{DisplayName, FieldError, Password, Role, StaffUser, Username, parse_field};

use super::page::{Page, PageRequest};
use super::{AppError, AppResult};

pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub role: Role,
    pub unit_id: Option<UnitId>,
    /// For the staff SMS; any usual form, stored canonical.
    pub mobile: Option<String>,
}

/// A partial change; `None` leaves a field as it is. A role other than `unit_staff` clears the
/// unit, so a client never has to send an explicit null for it.
#[derive(Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub unit_id: Option<UnitId>,
    pub active: Option<bool>,
    /// `Some(None)` clears the number.
    pub mobile: Option<Option<String>>,
}

/// Which accounts a listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub unit_id: Option<UnitId>,
    pub active: Option<bool>,
}

pub fn create(conn: &mut DbConnection, input: NewUser) -> AppResult<StaffUser> {
    let username = parse_field("username", Username::parse(&input.username));
    let display_name = parse_field("display_name", DisplayName::parse(&input.display_name));
    let new_password = parse_field("password", Password::parse(&input.password));
    let binding = check_role_unit(input.role, input.unit_id.as_ref());
    let mobile = staff_mobile(input.mobile.as_deref());
    let (username, display_name, new_password, mobile) =
        match (username, display_name, new_password, binding, mobile) {
            (Ok(u), Ok(d), Ok(p), Ok(()), Ok(m)) => (u, d, p, m),
            (u, d, p, b, m) => {
                return Err(AppError::Invalid(
                    [u.err(), d.err(), p.err(), b.err(), m.err()]
                        .into_iter()
                        .flatten()
                        .collect(),
                ));
            }
        };
    // Hash before the transaction: it is the slow part and must not hold the write lock.
    let password_hash =
        password::hash(new_password.expose()).map_err(|e| AppError::Internal(e.to_string()))?;
    write_transaction(conn, |conn| {
        if let Some(unit) = &input.unit_id {
            require_active_unit(conn, unit)?;
        }
        if repo::find_by_username(conn, username.as_str())?.is_some() {
            return Err(username_taken());
        }
        let now = db::now();
        let row = UserRow {
            id: UserId::generate(),
            username: username.as_str().to_owned(),
            display_name: display_name.into_string(),
            password_hash,
            role: input.role,
            unit_id: input.unit_id,
            active: true,
            token_version: 0,
            created_at: now,
            updated_at: now,
            mobile,
        };
        repo::insert(conn, &row).map_err(|e| {
            if db::is_unique_violation(&e) {
                username_taken()
            } else {
                e.into()
            }
        })?;
        Ok(StaffUser::from(row))
    })
}

/// One page of accounts, newest first, like every other list.
pub fn list(
    conn: &mut DbConnection,
    filter: UserFilter,
    page: &PageRequest,
) -> AppResult<Page<StaffUser>> {
    let load = |before, limit| {
        let filter = repo::UserFilter {
            role: filter.role,
            unit_id: filter.unit_id,
            active: filter.active,
            before,
        };
        repo::list(conn, &filter, limit)
    };
    page.fetch(load, StaffUser::from)
}

pub fn get(conn: &mut DbConnection, id: &UserId) -> AppResult<StaffUser> {
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound("user"))?;
    Ok(StaffUser::from(row))
}

pub fn update(conn: &mut DbConnection, id: &UserId, changes: UserChanges) -> AppResult<StaffUser> {
    let display_name = changes
        .display_name
        .as_deref()
        .map(|raw| parse_field("display_name", DisplayName::parse(raw)))
        .transpose()?;
    let mobile = changes
        .mobile
        .as_ref()
        .map(|mobile| staff_mobile(mobile.as_deref()))
        .transpose()?;
    write_transaction(conn, |conn| {
        let mut row = repo::find(conn, id)?.ok_or(AppError::NotFound("user"))?;
        if let Some(mobile) = mobile.clone() {
            row.mobile = mobile;
        }
        let was_active_admin = row.active && row.role == Role::Admin;
        let access_before = (row.role, row.unit_id.clone());
        if let Some(name) = display_name {
            row.display_name = name.into_string();
        }
        if let Some(role) = changes.role {
            row.role = role;
        }
        let role = row.role;
        row.unit_id = match (role.requires_unit(), changes.unit_id) {
            (true, Some(unit)) => {
                require_active_unit(conn, &unit)?;
                Some(unit)
            }
            (true, None) => row.unit_id.take(),
            (false, Some(unit)) => Some(unit),
            (false, None) => None,
        };
        check_role_unit(role, row.unit_id.as_ref())?;
        if let Some(active) = changes.active {
            row.active = active;
        }
        let still_active_admin = row.active && role == Role::Admin;
        if was_active_admin && !still_active_admin && repo::count_active_admins(conn)? <= 1 {
            return Err(AppError::conflict(
                "last-admin",
                "this is the last active admin; make another admin first",
            ));
        }
        // A token states its holder's role and unit; when either changes, the holder signs in
        // again so that no client acts on a stale one.
        if (row.role, row.unit_id.clone()) != access_before {
            row.token_version += 1;
        }
        row.updated_at = db::now();
        repo::update(conn, &row)?;
        Ok(StaffUser::from(row))
    })
}

/// A staff member's mobile number as stored (canonical), or none.
fn staff_mobile(raw: Option<&str>) -> Result<Option<String>, FieldError> {
    raw.map(|raw| {
        parse_field("mobile", crate::domain::phone::MobileNumber::parse(raw))
            .map(|m| m.as_str().to_owned())
    })
    .transpose()
}

/// Sets a new password and signs the user out everywhere (older tokens stop working).
pub fn reset_password(conn: &mut DbConnection, id: &UserId, new_password: &str) -> AppResult<()> {
    let new_password = parse_field("password", Password::parse(new_password))?;
    let password_hash =
        password::hash(new_password.expose()).map_err(|e| AppError::Internal(e.to_string()))?;
    write_transaction(conn, |conn| {
        let mut row = repo::find(conn, id)?.ok_or(AppError::NotFound("user"))?;
        row.password_hash = password_hash;
        row.token_version += 1;
        row.updated_at = db::now();
        repo::update(conn, &row)?;
        Ok(())
    })
}

fn require_active_unit(conn: &mut DbConnection, unit_id: &UnitId) -> AppResult<()> {
    match units::find(conn, unit_id)? {
        Some(unit) if unit.active => Ok(()),
        Some(_) => {
            Err(FieldError::new("unit_id", "inactive_unit", "the unit is deactivated").into())
        }
        None => Err(FieldError::new("unit_id", "unknown_unit", "no unit has this id").into()),
    }
}

fn username_taken() -> AppError {
    AppError::conflict(
        "username-taken",
        "another account already has this username",
    )
}
