//! Hand-written PostgreSQL statements that diesel keeps prepared on each connection.
//!
//! `diesel::sql_query` is parsed and planned by PostgreSQL on every call (diesel cannot know its
//! text never changes). For the one-statement writes and reads of the hot paths that cost more
//! than the work itself, so they are written as a `Statement` instead: fixed SQL with text
//! parameters between its parts, cached by diesel under the statement's type.

use std::marker::PhantomData;

use diesel::pg::{Pg, PgConnection};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Nullable, Text};
use diesel::{QueryResult, RunQueryDsl};

/// A fixed statement: `PARTS` with one text parameter between each two of them.
pub trait Statement: 'static {
    const PARTS: &'static [&'static str];
    /// The SQL types of the row it returns.
    type SqlType;
}

/// A statement with its parameters (`None` is SQL NULL).
pub struct Prepared<S> {
    params: Vec<Option<String>>,
    statement: PhantomData<S>,
}

impl<S: Statement> Prepared<S> {
    /// Panics in debug builds when the count of parameters does not fit the statement: that is
    /// a mistake in the code, not in anything a client sent.
    pub fn new(params: Vec<Option<String>>) -> Self {
        debug_assert_eq!(params.len() + 1, S::PARTS.len());
        Self {
            params,
            statement: PhantomData,
        }
    }
}

impl<S: Statement> QueryId for Prepared<S> {
    type QueryId = S;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S: Statement> Query for Prepared<S> {
    type SqlType = S::SqlType;
}

impl<S: Statement> QueryFragment<Pg> for Prepared<S> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let mut parts = S::PARTS.iter();
        for param in &self.params {
            if let Some(part) = parts.next() {
                out.push_sql(part);
            }
            out.push_bind_param::<Nullable<Text>, _>(param)?;
        }
        for part in parts {
            out.push_sql(part);
        }
        Ok(())
    }
}

impl<S: Statement> RunQueryDsl<PgConnection> for Prepared<S> {}
