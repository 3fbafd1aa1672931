//! Portals: other systems that file requests for citizens or hear of changes. What a portal may
//! do is its scopes; it proves who it is with a key that is shown once and kept only hashed.

use sha2::{Digest, Sha256};

/// What a portal may do.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// File requests for citizens (`POST /api/v1/portal/requests`, Open311 `POST requests`).
    Submit,
    /// Read back the requests it filed (and no other).
    Read,
    /// Keep webhook subscriptions and hear of its own requests' changes.
    Webhooks,
    /// The Center's own systems: hear of every request's changes, referral events included
    /// (never an identity; the tracking code only of what it filed itself).
    Center,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Submit, Scope::Read, Scope::Webhooks, Scope::Center];

    pub const fn as_str(self) -> &'static str {
        match self {
            Scope::Submit => "submit",
            Scope::Read => "read",
            Scope::Webhooks => "webhooks",
            Scope::Center => "center",
        }
    }

    pub fn parse(value: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// What a portal hears when its key lacks this scope.
    pub const fn refusal(self) -> &'static str {
        match self {
            Scope::Submit => "this portal's key lacks the `submit` scope",
            Scope::Read => "this portal's key lacks the `read` scope",
            Scope::Webhooks => "this portal's key lacks the `webhooks` scope",
            Scope::Center => "this portal's key lacks the `center` scope",
        }
    }
}

/// A set of scopes as stored: each between spaces (` submit webhooks `), so that one `LIKE
/// '% center %'` finds the portals holding one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    /// Sorted and without repeats.
    pub fn new(mut scopes: Vec<Scope>) -> Self {
        scopes.sort();
        scopes.dedup();
        Self(scopes)
    }

    pub fn has(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn list(&self) -> &[Scope] {
        &self.0
    }

    pub fn stored(&self) -> String {
        let mut text = String::from(" ");
        for scope in &self.0 {
            text.push_str(scope.as_str());
            text.push(' ');
        }
        text
    }

    /// Read back from storage; a word that is no scope (written by a later version) is
    /// ignored rather than granting anything.
    pub fn from_stored(text: &str) -> Self {
        Self::new(text.split_whitespace().filter_map(Scope::parse).collect())
    }
}

/// What every key starts with, so that a leaked one is recognisable (secret scanners key on a
/// prefix) and cannot be mistaken for a staff or citizen token.
pub const KEY_PREFIX: &str = "mdp_";

/// A new key: the prefix and 32 random bytes, base64url.
pub fn new_key(random: [u8; 32]) -> String {
    use base64::Engine;
    format!(
        "{KEY_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
    )
}

/// How a key is stored and looked up: its SHA-256, hex. A key is 256 random bits, so unlike a
/// password it needs no slow hash: nobody can search the space back from the digest.
pub fn key_hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What is shown of a key after it was handed over: enough to tell two apart.
pub fn key_hint(key: &str) -> String {
    let shown: String = key.chars().take(KEY_PREFIX.len() + 6).collect();
    format!("{shown}…")
}

/// Whether `text` has the shape of a key at all (checked before any lookup).
pub fn looks_like_key(text: &str) -> bool {
    text.strip_prefix(KEY_PREFIX).is_some_and(|rest| {
        rest.len() == 43
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_stored_between_spaces_sorted_once_each() {
        let scopes = Scopes::new(vec![Scope::Webhooks, Scope::Submit, Scope::Webhooks]);
        assert_eq!(scopes.stored(), " submit webhooks ");
        assert_eq!(Scopes::from_stored(" submit webhooks "), scopes);
        assert_eq!(
            Scopes::from_stored(" submit later_thing "),
            Scopes::new(vec![Scope::Submit])
        );
        assert!(!scopes.has(Scope::Center));
    }

    #[test]
    fn a_key_has_its_prefix_its_shape_and_a_stable_hash() {
        let key = new_key([7; 32]);
        assert!(key.starts_with("mdp_"));
        assert!(looks_like_key(&key));
        assert!(!looks_like_key("mdp_short"));
        assert!(!looks_like_key(&key.replace("mdp_", "xyz_")));
        assert_eq!(key_hash(&key), key_hash(&key.clone()));
        assert_ne!(key_hash(&key), key_hash(&new_key([8; 32])));
        assert_eq!(key_hash(&key).len(), 64);
        assert!(key_hint(&key).ends_with('…'));
        assert!(key.starts_with(key_hint(&key).trim_end_matches('…')));
    }
}
