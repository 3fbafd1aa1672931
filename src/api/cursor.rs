//! Keyset cursors for lists in newest-first order: the (time, id) of the last item of a page,
//! written as `<microseconds since 1970>_<id>`. Opaque to clients: they pass back what they got.

use chrono::{DateTime, NaiveDateTime};

use super::error::{ApiError, Kind};

pub fn encode((at, id): &(NaiveDateTime, String)) -> String {
    format!("{}_{id}", at.and_utc().timestamp_micros())
}

pub fn decode(cursor: &str) -> Result<(NaiveDateTime, String), ApiError> {
    let bad = || {
        ApiError::new(
            Kind::BadParameter,
            "cursor is not one this server gave out; pass the next_cursor of the previous page",
        )
    };
    let (micros, id) = cursor.split_once('_').ok_or_else(bad)?;
    let micros: i64 = micros.parse().map_err(|_| bad())?;
    let at = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
    if id.is_empty() || id.len() > 64 {
        return Err(bad());
    }
    Ok((at.naive_utc(), id.to_owned()))
}

/// The cursor of a list query: absent or empty means the first page (an empty `cursor=` is what
/// a form or a generated client sends for "none").
pub fn after(cursor: Option<&str>) -> Result<Option<(NaiveDateTime, String)>, ApiError> {
    cursor.filter(|c| !c.is_empty()).map(decode).transpose()
}

/// A page size from the query: `default` when absent, refused outside 1..=`max`.
pub fn limit(requested: Option<i64>, default: i64, max: i64) -> Result<i64, ApiError> {
    let limit = requested.unwrap_or(default);
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::new(
            Kind::BadParameter,
            format!("limit must be between 1 and {max}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_written() {
        let at = crate::db::now();
        let cursor = encode(&(at, "abc-123".to_owned()));
        assert_eq!(decode(&cursor).unwrap(), (at, "abc-123".to_owned()));
        assert_eq!(after(Some("")).unwrap(), None);
        assert_eq!(after(None).unwrap(), None);
        for bad in ["", "x_y", "12", "12_", "99999999999999999999_a"] {
            assert!(decode(bad).is_err(), "{bad}");
        }
    }
}
