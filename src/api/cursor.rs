//! Keyset cursors for lists in newest-first order: the page key (`app::page::Key`, the time and
//! id of the last item of a page) written as `<microseconds since 1970>_<id>`. Opaque to clients:
//! they pass back what they got. The wire form is the API's; the app only sees keys.

use chrono::DateTime;

use super::error::{ApiError, Kind};
use crate::app::page::Key;

/// A cursor's shape, for the OpenAPI document (empty: the first page).
pub const PATTERN: &str = r"^(-?[0-9]{1,18}_[!-~]{1,64})?$";

pub fn encode((at, id): &Key) -> String {
    format!("{}_{id}", at.and_utc().timestamp_micros())
}

pub fn decode(cursor: &str) -> Result<Key, ApiError> {
    let bad = || {
        ApiError::new(
            Kind::BadParameter,
            "cursor is not one this server gave out; pass the next_cursor of the previous page",
        )
    };
    // Exactly the shape `PATTERN` declares, no more: what the document calls invalid is refused.
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let digits = micros.strip_prefix('-').unwrap_or(micros);
    if !(1..=18).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    if !(1..=64).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad());
    }
    // PostgreSQL's timestamps begin in 4713 BC and chrono's reach further back: a cursor before
    // year 1 means "older than anything stored", which year 1 means too, and the database can
    // compare with it.
    let floor = chrono::NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or(chrono::NaiveDateTime::MIN);
    Ok((at.naive_utc().max(floor), id.to_owned()))
}

/// The cursor of a list query: absent or empty means the first page (an empty `cursor=` is what
/// a form or a generated client sends for "none").
pub fn after(cursor: Option<&str>) -> Result<Option<Key>, ApiError> {
    cursor.filter(|c| !c.is_empty()).map(decode).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        // Microseconds, as stored: what a cursor carries.
        let at = DateTime::from_timestamp_micros(1_764_405_000_123_456)
            .unwrap()
            .naive_utc();
        let cursor = encode(&(at, "abc-123".to_owned()));
        assert_eq!(decode(&cursor).unwrap(), (at, "abc-123".to_owned()));
        assert_eq!(after(Some("")).unwrap(), None);
        assert_eq!(after(None).unwrap(), None);
        // Before year 1: read as year 1, which no stored row precedes (PostgreSQL could not
        // compare with the earlier instant).
        let (ancient, _) = decode("-357324361582738020_tU(Hj`").unwrap();
        assert_eq!(chrono::Datelike::year(&ancient), 1);
        for bad in [
            "+12_a",
            "12_\u{be}",
            "1234567890123456789_a",
            "",
            "x_y",
            "12",
            "12_",
            "99999999999999999999_a",
        ] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
