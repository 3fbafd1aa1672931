//! Signed bearer tokens (JWT, HS256) for staff. The algorithm is pinned, and issuer, audience,
//! expiry and subject are all required, so a token from elsewhere, an unsigned (`alg: none`) or
//! an expired one is refused.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::domain::Role;
use crate::domain::ids::{UnitId, UserId};

pub const ISSUER: &str = "mardom";
pub const AUDIENCE: &str = "mardom-staff";

/// What a token says. Authorisation always re-reads the user (role, unit, active), so a
/// changed or deactivated account takes effect at once; `role` and `unit` are for clients.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: UserId,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub unit: Option<UnitId>,
    /// The account's token version when issued; a password reset bumps it.
    pub ver: i32,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid")]
    Invalid,
    #[error("the token could not be signed: {0}")]
    Signing(String),
}

pub struct TokenIssuer {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl std::fmt::Debug for TokenIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenIssuer")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// A freshly signed token and when it stops working.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub lifetime: Duration,
}

/// The keys of HS256 under `secret`, and the validation every token of `audience` gets: the
/// algorithm pinned, issuer, audience, expiry and subject required. Shared with the citizen's
/// tokens, which differ only in their audience and in who checks the expiry.
pub(super) fn signing(
    secret: &[u8],
    audience: &str,
) -> Result<(EncodingKey, DecodingKey, Validation), TokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let key_error = |e: jsonwebtoken::errors::Error| TokenError::Signing(e.to_string());
    Ok((
        EncodingKey::from_secret(secret).map_err(key_error)?,
        DecodingKey::from_secret(secret).map_err(key_error)?,
        validation,
    ))
}

/// Signs `claims` (HS256), to expire after `lifetime` from `now` (`expires_at`).
pub(super) fn sign<C: Serialize>(
    claims: &C,
    key: &EncodingKey,
    (expires_at, lifetime): (DateTime<Utc>, Duration),
) -> Result<IssuedToken, TokenError> {
    let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, key)
        .map_err(|e| TokenError::Signing(e.to_string()))?;
    Ok(IssuedToken {
        token,
        expires_at,
        lifetime,
    })
}

/// When a token issued at `now` for `lifetime` expires.
pub(super) fn expiry(now: DateTime<Utc>, lifetime: Duration) -> Result<DateTime<Utc>, TokenError> {
    let lifetime =
        chrono::Duration::from_std(lifetime).map_err(|e| TokenError::Signing(e.to_string()))?;
    Ok(now + lifetime)
}

impl TokenIssuer {
    /// Fails only for an empty secret (configuration refuses short ones before this).
    pub fn new(secret: &[u8], lifetime: Duration) -> Result<Self, TokenError> {
        let (encoding, decoding, mut validation) = signing(secret, AUDIENCE)?;
        validation.leeway = 30;
        Ok(Self {
            encoding,
            decoding,
            validation,
            lifetime,
        })
    }

    pub fn issue(
        &self,
        user_id: &UserId,
        role: Role,
        unit: Option<&UnitId>,
        version: i32,
        now: DateTime<Utc>,
    ) -> Result<IssuedToken, TokenError> {
        let expires_at = expiry(now, self.lifetime)?;
        let claims = Claims {
            sub: user_id.to_owned(),
            role,
            unit: unit.cloned(),
            ver: version,
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        sign(&claims, &self.encoding, (expires_at, self.lifetime))
    }

    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer(secret: &str) -> TokenIssuer {
        TokenIssuer::new(secret.as_bytes(), Duration::from_secs(3600)).unwrap()
    }

    #[test]
    fn a_token_verifies_with_its_own_key_only() {
        let token = issuer("k1-0123456789abcdef0123456789abcdef")
            .issue(
                &UserId::stored("u1".to_owned()),
                Role::Reviewer,
                None,
                0,
                Utc::now(),
            )
            .map(|t| t.token)
            .unwrap_or_default();
        let claims = issuer("k1-0123456789abcdef0123456789abcdef").verify(&token);
        assert!(claims.is_ok_and(|c| c.sub.as_str() == "u1" && c.role == Role::Reviewer));
        let other = issuer("k2-0123456789abcdef0123456789abcdef").verify(&token);
        assert!(matches!(other, Err(TokenError::Invalid)));
    }

    #[test]
    fn an_expired_token_is_refused() {
        let key = "k1-0123456789abcdef0123456789abcdef";
        let long_ago = Utc::now() - chrono::Duration::hours(2);
        let token = issuer(key)
            .issue(
                &UserId::stored("u1".to_owned()),
                Role::Admin,
                None,
                0,
                long_ago,
            )
            .map(|t| t.token)
            .unwrap_or_default();
        assert!(matches!(
            issuer(key).verify(&token),
            Err(TokenError::Expired)
        ));
    }
}
