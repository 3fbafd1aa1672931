//! The keyring's text form, as `MARDOM_IDENTITY_KEYS` and the generated `identity-keys` file
//! hold it: `id:base64,id:base64…`, each key 32 random bytes in standard base64; and the blind
//! index key (`MARDOM_BLIND_INDEX_KEY`, the `blind-index-key` file), base64 of at least 32 bytes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyringError {
    #[error("no keys")]
    Empty,
    #[error("{0:?} is not `id:base64-key` (an id of letters, digits, - or _, up to 16)")]
    Malformed(String),
    #[error("key {0:?} is not 32 bytes of base64")]
    BadKey(String),
    #[error("key id {0:?} is listed twice")]
    Duplicate(String),
    #[error("the current key {0:?} is not in the keyring")]
    NoCurrent(String),
    #[error("the blind index key must be base64 of at least 32 bytes")]
    ShortIndexKey,
}

/// The keys of `text`, in the order listed.
pub fn parse_keyring(text: &str) -> Result<Vec<(String, [u8; 32])>, KeyringError> {
    let mut keys: Vec<(String, [u8; 32])> = Vec::new();
    for entry in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (id, key) = entry
            .split_once(':')
            .filter(|(id, _)| valid_id(id))
            .ok_or_else(|| KeyringError::Malformed(redacted(entry)))?;
        if keys.iter().any(|(seen, _)| seen == id) {
            return Err(KeyringError::Duplicate(id.to_owned()));
        }
        let key = parse_key(key).ok_or_else(|| KeyringError::BadKey(id.to_owned()))?;
        keys.push((id.to_owned(), key));
    }
    if keys.is_empty() {
        return Err(KeyringError::Empty);
    }
    Ok(keys)
}

/// A key from its base64 text.
pub fn parse_key(text: &str) -> Option<[u8; 32]> {
    STANDARD.decode(text.trim()).ok()?.try_into().ok()
}

/// The blind index key from its base64 text.
pub fn parse_index_key(text: &str) -> Result<Vec<u8>, KeyringError> {
    STANDARD
        .decode(text.trim())
        .ok()
        .filter(|k| k.len() >= 32)
        .ok_or(KeyringError::ShortIndexKey)
}

/// 32 random bytes.
pub fn generate_key() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    key
}

/// A key as the keyring's text writes it.
pub fn key_text(key: &[u8]) -> String {
    STANDARD.encode(key)
}

fn valid_id(id: &str) -> bool {
    (1..=16).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What an error may repeat of a bad entry: its id part, never the key.
fn redacted(entry: &str) -> String {
    entry
        .split(':')
        .next()
        .unwrap_or("")
        .chars()
        .take(16)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyring_lists_ids_and_keys_and_refuses_what_is_not_one() {
        let k = key_text(&[7u8; 32]);
        let keys = parse_keyring(&format!("k1:{k}, k2:{k}\n")).unwrap();
        assert_eq!(
            keys.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
            ["k1", "k2"]
        );
        assert_eq!(parse_keyring(""), Err(KeyringError::Empty));
        assert_eq!(
            parse_keyring(&format!("k1:{k},k1:{k}")),
            Err(KeyringError::Duplicate("k1".into()))
        );
        assert_eq!(
            parse_keyring("k1:c2hvcnQ="),
            Err(KeyringError::BadKey("k1".into()))
        );
        assert!(matches!(
            parse_keyring(&format!("bad id:{k}")),
            Err(KeyringError::Malformed(_))
        ));
        // The error never repeats the key.
        let error = parse_keyring(&format!("k 1:{k}")).unwrap_err().to_string();
        assert!(!error.contains(&k));
    }

    #[test]
    fn the_index_key_needs_32_bytes() {
        assert!(parse_index_key(&key_text(&[1u8; 32])).is_ok());
        assert_eq!(
            parse_index_key(&key_text(&[1u8; 16])),
            Err(KeyringError::ShortIndexKey)
        );
    }
}
