//! Staff sign-in: check the password, brake guessing, issue a token.

use chrono::Utc;

use crate::auth::password;
use crate::auth::token::IssuedToken;
use crate::auth::{SignInThrottle, TokenIssuer};
use crate::db::{DbConnection, users};
use crate::domain::{StaffUser, Username};

use super::{AppError, AppResult};

pub struct SignedIn {
    pub user: StaffUser,
    pub token: IssuedToken,
}

/// Every failure answers the same way (wrong name, wrong password, deactivated account), in the
/// same time, so that neither the answer nor its delay tells which usernames exist.
pub fn sign_in(
    conn: &mut DbConnection,
    throttle: &SignInThrottle,
    tokens: &TokenIssuer,
    username: &str,
    given_password: &str,
) -> AppResult<SignedIn> {
    let Ok(username) = Username::parse(username) else {
        password::verify_nothing(given_password);
        return Err(AppError::InvalidCredentials);
    };
    let key = username.as_str();
    throttle
        .check(key)
        .map_err(|retry_after| AppError::TooManyAttempts { retry_after })?;
    let row = users::find_by_username(conn, key)?;
    let verified = match &row {
        Some(row) => password::verify(given_password, &row.password_hash),
        None => {
            password::verify_nothing(given_password);
            false
        }
    };
    let user = match row {
        Some(row) if verified && row.active => StaffUser::try_from(row)?,
        _ => {
            throttle.record_failure(key);
            return Err(AppError::InvalidCredentials);
        }
    };
    throttle.record_success(key);
    let token = tokens
        .issue(
            &user.id,
            user.role,
            user.unit_id.as_deref(),
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
    user_id: &str,
    token_version: i32,
) -> AppResult<Option<StaffUser>> {
    let Some(row) = users::find(conn, user_id)? else {
        return Ok(None);
    };
    if !row.active || row.token_version != token_version {
        return Ok(None);
    }
    Ok(Some(StaffUser::try_from(row)?))
}
