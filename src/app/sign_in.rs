//! Staff sign-in in three steps, so that no database connection is held while the password is
//! hashed: [`begin`] counts the attempt against the limits and loads the account (one short
//! use of a connection), [`Attempt::verify`] hashes (no connection; run it through
//! `auth::HashingGate`), and [`complete`] clears the brake and issues the token.
//!
//! The brake: an attempt takes a place in its username's and its address's window of failures
//! *before* the hash is checked (`app::limits`), so N concurrent guesses check exactly the
//! allowance; a success gives both places back (and forgets the username's failures).

use chrono::Utc;

use crate::auth::TokenIssuer;
use crate::auth::password;
use crate::auth::token::IssuedToken;
use crate::db::users::UserRow;
use crate::db::{DbConnection, users};
use crate::domain::ids::UserId;
use crate::domain::limits::Limit;
use crate::domain::{StaffUser, Username};

use super::limits::{Limits, Slot};
use super::{AppError, AppResult};

pub struct SignedIn {
    pub user: StaffUser,
    pub token: IssuedToken,
}

/// A sign-in whose places in the limits are taken, with the account it names (if any).
pub struct Attempt {
    username: Option<Username>,
    account: Option<UserRow>,
    address_slot: Slot,
    password: String,
}

/// An attempt whose password was checked.
pub struct Checked {
    attempt: Attempt,
    verified: bool,
}

/// Counts the attempt against the address's and the username's failures (refused with
/// `AppError::Limited` when either is used up) and loads the account.
pub fn begin(
    conn: &mut DbConnection,
    limits: &Limits,
    username: &str,
    given_password: String,
    address: &str,
) -> AppResult<Attempt> {
    let address_slot = limits.hit(conn, Limit::SignInFailuresPerAddress, address)?;
    let username = Username::parse(username).ok();
    let Some(name) = &username else {
        return Ok(Attempt {
            username,
            account: None,
            address_slot,
            password: given_password,
        });
    };
    if let Err(refused) = limits.hit(conn, Limit::SignInFailuresPerUsername, name.as_str()) {
        // Refused for the username: no hash is checked, so the address's place is not used.
        limits.release(conn, &address_slot)?;
        return Err(refused);
    }
    let account = users::find_by_username(conn, name.as_str())?;
    Ok(Attempt {
        username,
        account,
        address_slot,
        password: given_password,
    })
}

impl Attempt {
    /// Checks the password: CPU only, no connection. Every failure (no such name, wrong
    /// password, deactivated account) takes the same time, so that neither the answer nor its
    /// delay tells which usernames exist.
    pub fn verify(self) -> Checked {
        let verified = match &self.account {
            Some(row) => password::verify(&self.password, &row.password_hash) && row.active,
            None => {
                password::verify_nothing(&self.password);
                false
            }
        };
        Checked {
            attempt: self,
            verified,
        }
    }
}

impl Checked {
    pub fn verified(&self) -> bool {
        self.verified
    }
}

/// Ends a checked attempt: a failure keeps its places in the limits and answers
/// `InvalidCredentials`; a success gives them back and issues a token.
pub fn complete(
    conn: &mut DbConnection,
    limits: &Limits,
    tokens: &TokenIssuer,
    checked: Checked,
) -> AppResult<SignedIn> {
    let Checked { attempt, verified } = checked;
    let (Some(row), Some(username), true) = (attempt.account, attempt.username, verified) else {
        return Err(AppError::InvalidCredentials);
    };
    let user = StaffUser::from(row);
    limits.clear(conn, Limit::SignInFailuresPerUsername, username.as_str())?;
    limits.release(conn, &attempt.address_slot)?;
    let token = tokens
        .issue(
            &user.id,
            user.role,
            user.unit_id.as_ref(),
            user.token_version,
            Utc::now(),
        )
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(SignedIn { user, token })
}

/// The account behind a verified token, if it still may act: it exists, is active, and its
/// password has not been reset since the token was issued.
pub fn current_user(
    conn: &mut DbConnection,
    user_id: &UserId,
    token_version: i32,
) -> AppResult<Option<StaffUser>> {
    let Some(row) = users::find(conn, user_id)? else {
        return Ok(None);
    };
    if !row.active || row.token_version != token_version {
        return Ok(None);
    }
    Ok(Some(StaffUser::from(row)))
}
