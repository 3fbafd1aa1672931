//! Staff accounts: usernames, display names, passwords and the rule binding a role to a unit.

use super::error::{FieldError, HasCode};
use super::role::Role;
use super::text::{char_len, normalise_line};

/// A sign-in name: 3 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit, compared in lower
/// case (so `Reza` and `reza` are one account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a username has 3 to 64 characters: Latin letters, digits, '.', '_' or '-', starting with a letter or digit"
)]
pub struct UsernameError;

impl HasCode for UsernameError {
    fn code(&self) -> &'static str {
        "format"
    }
}

impl Username {
    pub fn parse(raw: &str) -> Result<Self, UsernameError> {
        let name = raw.trim().to_ascii_lowercase();
        let allowed =
            |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-');
        let starts_well = name.starts_with(|c: char| c.is_ascii_alphanumeric());
        if (3..=64).contains(&name.len()) && starts_well && name.chars().all(allowed) {
            Ok(Self(name))
        } else {
            Err(UsernameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The name shown for a staff member, normalised Persian, 2 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a display name has 2 to 100 characters")]
pub struct DisplayNameError;

impl HasCode for DisplayNameError {
    fn code(&self) -> &'static str {
        "length"
    }
}

impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, DisplayNameError> {
        let name = normalise_line(raw);
        if (2..=100).contains(&char_len(&name)) {
            Ok(Self(name))
        } else {
            Err(DisplayNameError)
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A new password: 10 to 128 characters, not all the same character. Length is what makes a
/// password strong; composition rules only make it harder to remember.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a password has 10 to 128 characters and is not one character repeated")]
pub struct PasswordError;

impl HasCode for PasswordError {
    fn code(&self) -> &'static str {
        "weak_password"
    }
}

impl Password {
    pub const MIN: usize = 10;
    pub const MAX: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let length = char_len(raw);
        let mut chars = raw.chars();
        let first = chars.next();
        let one_char_repeated = chars.all(|c| Some(c) == first);
        if (Self::MIN..=Self::MAX).contains(&length) && !one_char_repeated {
            Ok(Self(raw.to_owned()))
        } else {
            Err(PasswordError)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Unit staff belong to exactly one unit; every other role to none.
pub fn check_role_unit(role: Role, unit_id: Option<&super::ids::UnitId>) -> Result<(), FieldError> {
    match (role.requires_unit(), unit_id) {
        (true, None) => Err(FieldError::new(
            "unit_id",
            "required",
            "unit staff must belong to a unit",
        )),
        (false, Some(_)) => Err(FieldError::new(
            "unit_id",
            "not_allowed",
            format!("only unit staff belong to a unit, not the role {role}"),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_restricted() {
        assert_eq!(
            Username::parse(" Reza.K ").map(|u| u.as_str().to_owned()),
            Ok("reza.k".into())
        );
        for bad in [
            "ab",
            "-abc",
            "رضا",
            "a b c",
            "x".repeat(65).as_str(),
            "abc!",
        ] {
            assert_eq!(Username::parse(bad), Err(UsernameError), "{bad}");
        }
    }

    #[test]
    fn passwords_need_length_and_variety() {
        assert!(Password::parse("correct horse").is_ok());
        assert!(Password::parse("رمز عبور طولانی").is_ok());
        assert_eq!(Password::parse("short"), Err(PasswordError));
        assert_eq!(Password::parse("aaaaaaaaaaaa"), Err(PasswordError));
        assert_eq!(Password::parse(&"ab".repeat(65)), Err(PasswordError));
    }

    #[test]
    fn passwords_never_print() {
        let password = Password::parse("correct horse").map(|p| format!("{p:?}"));
        assert_eq!(password, Ok("Password(***)".to_owned()));
    }

    #[test]
    fn only_unit_staff_have_a_unit() {
        assert!(
            check_role_unit(
                Role::UnitStaff,
                Some(&super::super::ids::UnitId::stored("u".to_owned()))
            )
            .is_ok()
        );
        assert!(check_role_unit(Role::UnitStaff, None).is_err());
        assert!(
            check_role_unit(
                Role::Reviewer,
                Some(&super::super::ids::UnitId::stored("u".to_owned()))
            )
            .is_err()
        );
        assert!(check_role_unit(Role::Admin, None).is_ok());
    }
}

/// A staff account as the rest of the program sees it (never with its password hash).
#[derive(Debug, Clone, PartialEq)]
pub struct StaffUser {
    pub id: super::ids::UserId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub unit_id: Option<super::ids::UnitId>,
    pub active: bool,
    pub token_version: i32,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
    /// Where the staff SMS (deadline reminders, escalations) go, canonical; none if not given.
    pub mobile: Option<String>,
}
