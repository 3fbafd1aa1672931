//! Helpers shared by response and request types.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer};

/// Stored times are naive UTC; clients get RFC 3339 with an explicit `Z`.
pub fn utc(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}

/// For PATCH fields that may be cleared: absent → `None` (leave as is), `null` → `Some(None)`
/// (clear), a value → `Some(Some(v))`. Use with `#[serde(default, deserialize_with = ...)]`.
pub fn present_or_null<'de, T, D>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}
