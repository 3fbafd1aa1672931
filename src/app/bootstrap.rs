//! What a fresh install needs to be usable at once: the first admin account and, on request,
//! demo units and one user per role.

use rand::distr::{Alphanumeric, SampleString};

use crate::db::{DbConnection, users as users_repo};
use crate::domain::ids::UnitId;
use crate::domain::{Role, UnitKind};

use super::units::{self, NewUnit, UnitFilter};
use super::users::{self, NewUser};
use super::{AppError, AppResult};

/// The password every demo account signs in with (documented in the README; demo data only).
pub const DEMO_PASSWORD: &str = "mardom-demo-1234";

/// Creates the first admin when no account exists yet. Returns the generated password when none
/// was given, so that the caller can show it once.
pub fn ensure_first_admin(
    conn: &mut DbConnection,
    username: &str,
    password: Option<&str>,
) -> AppResult<Option<String>> {
    if users_repo::count(conn)? > 0 {
        return Ok(None);
    }
    let generated = password
        .is_none()
        .then(|| Alphanumeric.sample_string(&mut rand::rng(), 20));
    let chosen = password
        .or(generated.as_deref())
        .unwrap_or_default()
        .to_owned();
    users::create(
        conn,
        NewUser {
            username: username.to_owned(),
            display_name: "مدیر سامانه".to_owned(),
            password: chosen,
            role: Role::Admin,
            unit_id: None,
            mobile: None,
        },
    )?;
    Ok(generated)
}

/// Demo units: a deputy office with two units under it, and an affiliated entity.
const DEMO_UNITS: [(&str, UnitKind, Option<&str>); 4] = [
    ("معاونت درمان", UnitKind::Deputy, None),
    ("واحد امور مالی", UnitKind::Unit, Some("معاونت درمان")),
    ("واحد فناوری اطلاعات", UnitKind::Unit, Some("معاونت درمان")),
    (
        "بیمارستان وابسته شهید رجایی",
        UnitKind::AffiliatedEntity,
        None,
    ),
];

/// One demo account per role; `unit_staff` belongs to the finance unit.
const DEMO_USERS: [(&str, &str, Role); 5] = [
    ("intake", "کارشناس پذیرش", Role::Intake),
    ("operator", "اپراتور تلفن", Role::Operator),
    ("reviewer", "کارشناس ارتباطات مردمی", Role::Reviewer),
    ("head", "ریاست مرکز", Role::Head),
    ("unit", "کارشناس امور مالی", Role::UnitStaff),
];

/// Adds the demo units and users that are missing; running it twice changes nothing.
pub fn seed_demo(conn: &mut DbConnection) -> AppResult<()> {
    for (name, kind, parent) in DEMO_UNITS {
        if unit_id_by_name(conn, name)?.is_some() {
            continue;
        }
        let parent_id = match parent {
            Some(parent) => unit_id_by_name(conn, parent)?,
            None => None,
        };
        units::create(
            conn,
            NewUnit {
                name: name.to_owned(),
                kind,
                parent_id,
            },
        )?;
    }
    let finance = unit_id_by_name(conn, DEMO_UNITS[1].0)?;
    for (username, display_name, role) in DEMO_USERS {
        if users_repo::find_by_username(conn, username)?.is_some() {
            continue;
        }
        let unit_id = if role.requires_unit() {
            finance.clone()
        } else {
            None
        };
        let user = NewUser {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            password: DEMO_PASSWORD.to_owned(),
            role,
            unit_id,
            mobile: None,
        };
        users::create(conn, user)?;
    }
    Ok(())
}

fn unit_id_by_name(conn: &mut DbConnection, name: &str) -> Result<Option<UnitId>, AppError> {
    let all = units::list(conn, UnitFilter::default())?;
    Ok(all
        .into_iter()
        .find(|unit| unit.name == name)
        .map(|unit| unit.id))
}
