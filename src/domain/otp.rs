//! The citizen's one-time code (issue 18, "the citizen's own door"): six digits sent by SMS to a
//! mobile number, good for two minutes and three tries, stored only as a keyed hash. What a try
//! does is decided here from the stored facts; the use case reads them and writes the outcome.

use chrono::{Duration, NaiveDateTime};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

/// How long a code is good for.
pub const LIFETIME: Duration = Duration::minutes(2);

/// Tries a code allows, right or wrong; the third wrong one spends it.
pub const TRIES: i32 = 3;

/// Six digits, drawn uniformly (leading zeros kept).
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl std::fmt::Debug for Code {
    /// Never the digits: a code in a log is a code anyone reading the log can use.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Code(******)")
    }
}

impl Code {
    pub fn generate(rng: &mut impl Rng) -> Self {
        Code(format!("{:06}", rng.random_range(0..1_000_000)))
    }

    /// What the citizen typed, if it is six digits (Persian and Arabic-Indic digits read as
    /// ASCII, spaces ignored).
    pub fn typed(raw: &str) -> Option<Self> {
        let digits: String = super::text::ascii_digits(raw)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        (digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(Code(digits))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored form: HMAC-SHA-256 under the server's key, over the code's row id and the
    /// digits, hex. The id makes the same digits hash differently in every row.
    pub fn hash(&self, key: &[u8], id: &str) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            // HMAC takes a key of any length; this arm is never taken.
            return String::new();
        };
        mac.update(id.as_bytes());
        mac.update(b":");
        mac.update(self.0.as_bytes());
        mac.finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// A stored code as a try reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub hash: String,
    pub tries: i32,
    pub expires_at: NaiveDateTime,
    pub used: bool,
}

/// What a try does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Try {
    /// Right, in time: the code is spent and a token is issued.
    Accepted,
    /// Wrong: one try fewer; `left` remain (none: the code is spent).
    Wrong { left: i32 },
    /// Past its two minutes.
    Expired,
    /// Used already, or no tries left.
    Spent,
}

/// Decides a try of `typed` (already hashed as the stored code is) on `stored` at `now`. The
/// comparison takes the same time whatever the digits.
pub fn attempt(stored: &Stored, typed_hash: &str, now: NaiveDateTime) -> Try {
    if stored.used || stored.tries >= TRIES {
        return Try::Spent;
    }
    if now >= stored.expires_at {
        return Try::Expired;
    }
    let same = stored.hash.len() == typed_hash.len()
        && stored
            .hash
            .bytes()
            .zip(typed_hash.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if same {
        Try::Accepted
    } else {
        Try::Wrong {
            left: TRIES - stored.tries - 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc()
            + Duration::minutes(minute)
    }

    fn stored(code: &Code, tries: i32, used: bool) -> Stored {
        Stored {
            hash: code.hash(b"key", "row-1"),
            tries,
            expires_at: at(0) + LIFETIME,
            used,
        }
    }

    #[test]
    fn codes_are_six_digits_and_never_shown_in_debug() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let code = Code::generate(&mut rng);
            assert_eq!(code.as_str().len(), 6);
            assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
        let code = Code::typed("۰۱۲ ۳۴۵").unwrap();
        assert_eq!(code.as_str(), "012345");
        assert_eq!(format!("{code:?}"), "Code(******)");
        for bad in ["12345", "1234567", "12a456", ""] {
            assert!(Code::typed(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_hash_depends_on_the_key_the_row_and_the_digits() {
        let code = Code::typed("123456").unwrap();
        let other = Code::typed("123457").unwrap();
        let hash = code.hash(b"key", "row-1");
        assert_eq!(hash.len(), 64);
        assert_eq!(hash, code.hash(b"key", "row-1"));
        assert_ne!(hash, code.hash(b"key", "row-2"));
        assert_ne!(hash, code.hash(b"another key", "row-1"));
        assert_ne!(hash, other.hash(b"key", "row-1"));
        assert!(!hash.contains("123456"));
    }

    #[test]
    fn three_tries_in_two_minutes() {
        let code = Code::typed("123456").unwrap();
        let wrong = Code::typed("654321").unwrap().hash(b"key", "row-1");
        let right = code.hash(b"key", "row-1");
        assert_eq!(
            attempt(&stored(&code, 0, false), &right, at(1)),
            Try::Accepted
        );
        assert_eq!(
            attempt(&stored(&code, 0, false), &wrong, at(1)),
            Try::Wrong { left: 2 }
        );
        assert_eq!(
            attempt(&stored(&code, 2, false), &wrong, at(1)),
            Try::Wrong { left: 0 }
        );
        assert_eq!(attempt(&stored(&code, 3, false), &right, at(1)), Try::Spent);
        assert_eq!(attempt(&stored(&code, 0, true), &right, at(1)), Try::Spent);
        assert_eq!(
            attempt(&stored(&code, 0, false), &right, at(2)),
            Try::Expired
        );
        assert_eq!(
            attempt(
                &stored(&code, 0, false),
                &right,
                at(2) - Duration::seconds(1)
            ),
            Try::Accepted
        );
    }
}
