//! The vault: what a citizen is (name, mobile, national ID, email) is stored sealed, never as
//! text. A sealed value is an envelope `v1:<key id>:<base64 of nonce ‖ AES-256-GCM ciphertext>`,
//! so every value names the key that sealed it and `mardom rotate-key` can find and re-seal the
//! ones under an older key while instances keep serving (each knows every key in the keyring).
//!
//! The associated data is the *kind* of value (`Field`), not its row: a sealed mobile is copied
//! as it is from a request's identity into the outbox rows that will text it, so the code that
//! enqueues an SMS never holds the number in the clear. A value cannot be opened as another kind.
//!
//! Equality lookups (the requests of one mobile, the one-time codes of one number, the SMS cap
//! per number) use a blind index: HMAC-SHA-256 of the kind and the value under a key of its own,
//! which does not rotate with the sealing keys (rotating it would mean re-indexing every row).

mod keyring;

pub use keyring::{KeyringError, generate_key, key_text, parse_index_key, parse_keyring};

use std::collections::BTreeMap;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// The envelope's version tag: a value that does not start with it is not sealed.
const TAG: &str = "v1";
const NONCE_BYTES: usize = 12;

/// What a sealed value is; bound into its ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Name,
    Mobile,
    NationalId,
    Email,
    /// A webhook subscription's signing secret (not an identity, but a credential).
    WebhookSecret,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::Name => b"name",
            Field::Mobile => b"mobile",
            Field::NationalId => b"national_id",
            Field::Email => b"email",
            Field::WebhookSecret => b"webhook_secret",
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("the value is not sealed")]
    NotSealed,
    #[error("the value was sealed under key {0:?}, which this keyring does not hold")]
    UnknownKey(String),
    #[error("the sealed value does not open (altered, or not a {0:?})")]
    Corrupt(Field),
}

/// The sealing keys (one current, any number only read), and the blind index's key.
pub struct Vault {
    keys: BTreeMap<String, Aes256Gcm>,
    current: String,
    index: Hmac<Sha256>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vault")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .field("current", &self.current)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault over `keys` (id → 32 bytes), sealing with `current`, indexing under `index_key`.
    pub fn new(
        keys: &[(String, [u8; 32])],
        current: &str,
        index_key: &[u8],
    ) -> Result<Self, KeyringError> {
        let keys: BTreeMap<String, Aes256Gcm> = keys
            .iter()
            .map(|(id, key)| (id.clone(), Aes256Gcm::new(key.into())))
            .collect();
        if !keys.contains_key(current) {
            return Err(KeyringError::NoCurrent(current.to_owned()));
        }
        if index_key.len() < 32 {
            return Err(KeyringError::ShortIndexKey);
        }
        let index = <Hmac<Sha256> as Mac>::new_from_slice(index_key)
            .map_err(|_| KeyringError::ShortIndexKey)?;
        Ok(Vault {
            keys,
            current: current.to_owned(),
            index,
        })
    }

    /// A vault with fresh random keys that live as long as the process: for tests and for
    /// values nobody reads back after a restart.
    pub fn ephemeral() -> Self {
        let key = generate_key();
        let mut index = [0u8; 32];
        rand::rng().fill_bytes(&mut index);
        Vault {
            keys: BTreeMap::from([("e1".to_owned(), Aes256Gcm::new((&key).into()))]),
            current: "e1".to_owned(),
            index: <Hmac<Sha256> as Mac>::new_from_slice(&index).unwrap_or_else(|_| unreachable()),
        }
    }

    /// The id of the key new values are sealed with.
    pub fn current_key(&self) -> &str {
        &self.current
    }

    /// `plain` sealed under the current key, as stored text.
    pub fn seal(&self, field: Field, plain: &str) -> String {
        let Some(cipher) = self.keys.get(&self.current) else {
            unreachable()
        };
        let mut nonce = [0u8; NONCE_BYTES];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plain.as_bytes(),
            aad: field.label(),
        };
        // Encryption fails only for a message beyond GCM's 64 GiB bound.
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .unwrap_or_else(|_| unreachable());
        let mut bytes = nonce.to_vec();
        bytes.extend(sealed);
        format!("{TAG}:{}:{}", self.current, URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn seal_optional(&self, field: Field, plain: Option<&str>) -> Option<String> {
        plain.map(|p| self.seal(field, p))
    }

    /// The text a sealed value holds.
    pub fn open(&self, field: Field, sealed: &str) -> Result<String, VaultError> {
        let (key_id, body) = split(sealed).ok_or(VaultError::NotSealed)?;
        let cipher = self
            .keys
            .get(key_id)
            .ok_or_else(|| VaultError::UnknownKey(key_id.to_owned()))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| VaultError::Corrupt(field))?;
        if bytes.len() < NONCE_BYTES {
            return Err(VaultError::Corrupt(field));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: ciphertext,
            aad: field.label(),
        };
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), payload)
            .map_err(|_| VaultError::Corrupt(field))?;
        String::from_utf8(plain).map_err(|_| VaultError::Corrupt(field))
    }

    pub fn open_optional(
        &self,
        field: Field,
        sealed: Option<&str>,
    ) -> Result<Option<String>, VaultError> {
        sealed.map(|s| self.open(field, s)).transpose()
    }

    /// `value` sealed under the current key, or `None` when it already is. A value that is not
    /// sealed at all (written before identities were sealed) is sealed as it is.
    pub fn reseal(&self, field: Field, value: &str) -> Result<Option<String>, VaultError> {
        match split(value) {
            Some((key_id, _)) if key_id == self.current => Ok(None),
            Some(_) => Ok(Some(self.seal(field, &self.open(field, value)?))),
            None => Ok(Some(self.seal(field, value))),
        }
    }

    /// The blind index of `value`: equal values of one kind have equal indexes, and nothing
    /// without the index key can tell which value one stands for.
    pub fn index(&self, field: Field, value: &str) -> String {
        let mut mac = self.index.clone();
        mac.update(field.label());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// The key id and body of an envelope, or `None` for text that is not one.
fn split(value: &str) -> Option<(&str, &str)> {
    let rest = value.strip_prefix(TAG)?.strip_prefix(':')?;
    rest.split_once(':')
}

/// Whether `value` is an envelope under the key `key_id`.
pub fn sealed_under(value: &str, key_id: &str) -> bool {
    split(value).is_some_and(|(id, _)| id == key_id)
}

/// Whether `value` is an envelope at all.
pub fn is_sealed(value: &str) -> bool {
    split(value).is_some()
}

#[cold]
fn unreachable() -> ! {
    // The current key is in the map (checked in `new`), HMAC takes keys of any length, and
    // AES-GCM encrypts anything under 64 GiB: none of these can fail for our inputs.
    panic!("vault invariant broken")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(keys: &[(&str, u8)], current: &str) -> Vault {
        let keys: Vec<(String, [u8; 32])> = keys
            .iter()
            .map(|(id, b)| (id.to_string(), [*b; 32]))
            .collect();
        Vault::new(&keys, current, &[9u8; 32]).unwrap()
    }

    #[test]
    fn a_sealed_value_opens_to_itself_and_shows_nothing_of_it() {
        let v = vault(&[("k1", 1)], "k1");
        let sealed = v.seal(Field::Mobile, "+989121234567");
        assert!(sealed.starts_with("v1:k1:"));
        assert!(!sealed.contains("912"));
        assert_eq!(v.open(Field::Mobile, &sealed).unwrap(), "+989121234567");
        // A fresh nonce each time: equal values do not look equal at rest.
        assert_ne!(sealed, v.seal(Field::Mobile, "+989121234567"));
    }

    #[test]
    fn a_value_opens_only_as_its_own_kind_and_unaltered() {
        let v = vault(&[("k1", 1)], "k1");
        let sealed = v.seal(Field::Name, "مریم");
        assert_eq!(
            v.open(Field::Email, &sealed),
            Err(VaultError::Corrupt(Field::Email))
        );
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert!(v.open(Field::Name, &altered).is_err());
        assert_eq!(v.open(Field::Name, "مریم"), Err(VaultError::NotSealed));
    }

    #[test]
    fn rotation_reseals_older_keys_and_leaves_current_ones() {
        let old = vault(&[("k1", 1)], "k1");
        let both = vault(&[("k1", 1), ("k2", 2)], "k2");
        let under_k1 = old.seal(Field::Email, "a@b.ir");
        let resealed = both.reseal(Field::Email, &under_k1).unwrap().unwrap();
        assert!(sealed_under(&resealed, "k2"));
        assert_eq!(both.reseal(Field::Email, &resealed).unwrap(), None);
        assert_eq!(both.open(Field::Email, &resealed).unwrap(), "a@b.ir");
        let only_k2 = vault(&[("k2", 2)], "k2");
        assert_eq!(
            only_k2.open(Field::Email, &under_k1),
            Err(VaultError::UnknownKey("k1".into()))
        );
        // Text from before sealing is sealed as it is.
        let sealed = both.reseal(Field::Email, "a@b.ir").unwrap().unwrap();
        assert_eq!(both.open(Field::Email, &sealed).unwrap(), "a@b.ir");
    }

    #[test]
    fn the_blind_index_is_stable_across_sealing_keys_and_kind_bound() {
        let a = vault(&[("k1", 1)], "k1");
        let b = vault(&[("k2", 2)], "k2");
        assert_eq!(
            a.index(Field::Mobile, "+989121234567"),
            b.index(Field::Mobile, "+989121234567")
        );
        assert_ne!(
            a.index(Field::Mobile, "+989121234567"),
            a.index(Field::Name, "+989121234567")
        );
        assert_ne!(
            a.index(Field::Mobile, "+989121234567"),
            a.index(Field::Mobile, "+989121234568")
        );
    }

    #[test]
    fn a_keyring_without_its_current_key_or_with_a_short_index_key_is_refused() {
        let keys = vec![("k1".to_owned(), [1u8; 32])];
        assert!(matches!(
            Vault::new(&keys, "k2", &[0u8; 32]),
            Err(KeyringError::NoCurrent(_))
        ));
        assert!(matches!(
            Vault::new(&keys, "k1", &[0u8; 8]),
            Err(KeyringError::ShortIndexKey)
        ));
    }
}
