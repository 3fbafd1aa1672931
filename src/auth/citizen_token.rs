//! The citizen's token (issue 18): a short-lived JWT (HS256, the staff tokens' key) issued when a
//! one-time code is accepted. Its audience is the citizen's own, so a staff token is never one
//! and this is never a staff token; its subject is the accepted code's row, which holds the
//! mobile number the code went to: the token is bound to that number and carries none of it.
//! Expiry is checked against the caller's clock (the deadlines' clock, which tests move), not
//! the library's reading of the system time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{DecodingKey, EncodingKey, Validation};
use serde::{Deserialize, Serialize};

use super::token::{ISSUER, IssuedToken, TokenError, expiry, sign, signing};

pub const AUDIENCE: &str = "mardom-citizen";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CitizenClaims {
    /// The accepted code's row id.
    pub sub: String,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct CitizenTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl std::fmt::Debug for CitizenTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CitizenTokens")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl CitizenTokens {
    pub fn new(secret: &[u8], lifetime: Duration) -> Result<Self, TokenError> {
        let (encoding, decoding, mut validation) = signing(secret, AUDIENCE)?;
        // Checked in `verify` against the given instant instead.
        validation.validate_exp = false;
        Ok(Self {
            encoding,
            decoding,
            validation,
            lifetime,
        })
    }

    pub fn issue(&self, code_id: &str, now: DateTime<Utc>) -> Result<IssuedToken, TokenError> {
        let expires_at = expiry(now, self.lifetime)?;
        let claims = CitizenClaims {
            sub: code_id.to_owned(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        sign(&claims, &self.encoding, (expires_at, self.lifetime))
    }

    /// The claims of a token valid at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<CitizenClaims, TokenError> {
        let claims = jsonwebtoken::decode::<CitizenClaims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)?;
        if claims.exp <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::TokenIssuer;

    const KEY: &[u8] = b"k1-0123456789abcdef0123456789abcdef";

    fn tokens() -> CitizenTokens {
        CitizenTokens::new(KEY, Duration::from_secs(900)).unwrap()
    }

    #[test]
    fn a_token_names_its_code_and_lasts_its_lifetime_on_the_given_clock() {
        let now = Utc::now();
        let issued = tokens().issue("code-1", now).unwrap();
        assert_eq!(tokens().verify(&issued.token, now).unwrap().sub, "code-1");
        let later = now + chrono::Duration::seconds(899);
        assert!(tokens().verify(&issued.token, later).is_ok());
        let past = now + chrono::Duration::seconds(900);
        assert!(matches!(
            tokens().verify(&issued.token, past),
            Err(TokenError::Expired)
        ));
        assert!(
            !issued.token.contains("+98"),
            "no mobile number in the token"
        );
    }

    #[test]
    fn staff_and_citizen_tokens_are_never_taken_for_each_other() {
        let now = Utc::now();
        let staff = TokenIssuer::new(KEY, Duration::from_secs(900)).unwrap();
        let staff_token = staff
            .issue(
                &crate::domain::ids::UserId::stored("u1".to_owned()),
                crate::domain::Role::Admin,
                None,
                0,
                now,
            )
            .unwrap();
        assert!(matches!(
            tokens().verify(&staff_token.token, now),
            Err(TokenError::Invalid)
        ));
        let citizen = tokens().issue("code-1", now).unwrap();
        assert!(matches!(
            staff.verify(&citizen.token),
            Err(TokenError::Invalid)
        ));
        let other_key = CitizenTokens::new(
            b"k2-0123456789abcdef0123456789abcdef",
            Duration::from_secs(900),
        )
        .unwrap();
        assert!(matches!(
            other_key.verify(&citizen.token, now),
            Err(TokenError::Invalid)
        ));
    }
}
