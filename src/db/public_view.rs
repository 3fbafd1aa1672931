//! What the public lookup by tracking code reads: the request, its public history, the units it
//! was referred to and a scheduled meeting's time.
//!
//! On PostgreSQL one statement returns all of it as one JSON document, kept prepared: a lookup
//! is one round trip instead of four, and a round trip costs the server more than the rows it
//! carries (BENCHMARKS.md). On SQLite, in-process, the four queries run one after another.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::DbConnection;
use super::prepared::{Prepared, Statement};
use super::requests::{self, EventRow, RequestRow};
use super::{meetings, referrals};

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct PublicView {
    pub request: RequestRow,
    /// The public events, in order.
    pub events: Vec<EventRow>,
    /// The names of the units the request was referred to, oldest referral first (a unit
    /// appears once per referral).
    pub unit_names: Vec<String>,
    /// When its scheduled meeting starts, if one is scheduled.
    pub meeting_at: Option<NaiveDateTime>,
}

/// The public view of the request with this tracking code.
pub fn by_tracking_code(conn: &mut DbConnection, code: &str) -> QueryResult<Option<PublicView>> {
    if let DbConnection::Postgresql(c) = conn {
        let document = Prepared::<PostgresLookup>::new(vec![Some(code.to_owned())])
            .get_result::<String>(c)
            .optional()?;
        return document
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))
            })
            .transpose();
    }
    requests::find_by_tracking_code(conn, code)?
        .map(|request| of_request(conn, request))
        .transpose()
}

/// The public view of a request already read.
pub fn of_request(conn: &mut DbConnection, request: RequestRow) -> QueryResult<PublicView> {
    Ok(PublicView {
        events: requests::events(conn, &request.id, true)?,
        unit_names: referrals::unit_names_for_request(conn, &request.id)?,
        meeting_at: meetings::scheduled_for(conn, &request.id)?.map(|m| m.starts_at),
        request,
    })
}

/// The same four reads as `of_request`, in one statement.
struct PostgresLookup;

impl Statement for PostgresLookup {
    const PARTS: &'static [&'static str] = &[
        "SELECT json_build_object(\
           'request', r, \
           'events', coalesce((SELECT json_agg(e ORDER BY e.seq) FROM request_events e \
                               WHERE e.request_id = r.id AND e.public), '[]'), \
           'unit_names', coalesce((SELECT json_agg(u.name ORDER BY f.created_at, f.id) \
                                   FROM referrals f JOIN units u ON u.id = f.unit_id \
                                   WHERE f.request_id = r.id), '[]'), \
           'meeting_at', (SELECT m.starts_at FROM meetings m \
                          WHERE m.request_id = r.id AND m.status = 'scheduled' LIMIT 1))::text \
         FROM requests r WHERE r.tracking_code = ",
        "",
    ];
    type SqlType = Text;
}

#[cfg(test)]
mod status_names {
    /// The lookup's SQL is a constant, so it spells the meeting status out; hold it to the
    /// domain's name.
    #[test]
    fn the_lookup_names_the_scheduled_status_as_the_domain_does() {
        use crate::db::prepared::Statement;
        let sql = <super::PostgresLookup as Statement>::PARTS.concat();
        let named = format!(
            "m.status = '{}'",
            crate::domain::meeting::MeetingStatus::Scheduled
        );
        assert!(sql.contains(&named), "{sql}");
    }
}
