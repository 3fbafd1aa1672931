//! The query string of a list: the list's own filter and the page (`cursor`, `limit`). The page's
//! two parameters mean the same on every list, so they are read and checked here once; the
//! filter keeps refusing any parameter it does not know.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::error::QueryPayloadError;
use actix_web::{FromRequest, HttpRequest, web};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use super::cursor;
use super::error::{self, ApiError, Kind};
use crate::app::page::PageRequest;

/// A page's size when the client names none.
pub const DEFAULT_LIMIT: i64 = 25;
/// The largest page served (the `maximum` the document declares for `limit`).
pub const MAX_LIMIT: i64 = 100;

/// The page parameters, as every list declares them.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 100; 25 when absent.
    #[param(minimum = 1, maximum = 100)] // MAX_LIMIT
    pub limit: Option<i64>,
}

/// A list's query: its filter `F` (a query struct with `deny_unknown_fields`) and the page.
#[derive(Debug)]
pub struct ListQuery<F> {
    pub filter: F,
    page: PageParams,
}

impl<F> ListQuery<F> {
    /// The filter and the page asked for. The page is checked here rather than when the query
    /// is read, so that a caller who may not list hears 401 or 403 first: handlers call this
    /// after their role check, as they did the checks it replaces.
    pub fn into_parts(self) -> Result<(F, PageRequest), ApiError> {
        let limit = self.page.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::new(
                Kind::BadParameter,
                format!("limit must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let after = cursor::after(self.page.cursor.as_deref())?;
        Ok((self.filter, PageRequest { after, limit }))
    }
}

impl<F: DeserializeOwned> ListQuery<F> {
    /// Splits the query string into the page's pairs and the filter's, each read as actix's
    /// `web::Query` reads a whole query string, so a malformed value fails as it always has.
    fn read(query: &str) -> Result<Self, QueryPayloadError> {
        let (page, filter): (Vec<&str>, Vec<&str>) = query.split('&').partition(|p| is_page(p));
        Ok(Self {
            page: web::Query::<PageParams>::from_query(&page.join("&"))?.into_inner(),
            filter: web::Query::<F>::from_query(&filter.join("&"))?.into_inner(),
        })
    }
}

/// Whether one `name=value` pair names a page parameter, its name decoded as a query string's.
fn is_page(pair: &str) -> bool {
    web::Query::<Vec<(String, String)>>::from_query(pair).is_ok_and(|pairs| {
        pairs
            .first()
            .is_some_and(|(name, _)| name == "cursor" || name == "limit")
    })
}

impl<F: DeserializeOwned> FromRequest for ListQuery<F> {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Self::read(req.query_string()).map_err(|e| error::query_error(e, req)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Filter {
        status: Option<String>,
    }

    #[test]
    fn the_page_and_the_filter_are_read_from_one_query_string() {
        let query = ListQuery::<Filter>::read("status=open&limit=3&cursor=12_a").unwrap();
        let (filter, page) = query.into_parts().unwrap();
        assert_eq!(filter.status.as_deref(), Some("open"));
        assert_eq!(page.limit, 3);
        assert!(page.after.is_some());
        // Encoded names are the same names.
        let query = ListQuery::<Filter>::read("%6Cimit=4").unwrap();
        assert_eq!(query.into_parts().unwrap().1.limit, 4);
    }

    #[test]
    fn absent_means_the_first_page_of_the_default_size() {
        for query in ["", "cursor=", "status=open&cursor="] {
            let (_, page) = ListQuery::<Filter>::read(query)
                .unwrap()
                .into_parts()
                .unwrap();
            assert_eq!(
                page,
                PageRequest {
                    after: None,
                    limit: DEFAULT_LIMIT
                },
                "{query}"
            );
        }
    }

    #[test]
    fn what_the_filter_does_not_know_and_malformed_values_are_refused() {
        for query in [
            "sort=asc",
            "limit=ten",
            "limit=1&limit=2",
            "status=a&status=b",
        ] {
            assert!(ListQuery::<Filter>::read(query).is_err(), "{query}");
        }
    }

    #[test]
    fn a_limit_out_of_bounds_or_a_foreign_cursor_is_refused_when_asked_for() {
        for query in ["limit=0", "limit=101", "limit=-1", "cursor=nonsense"] {
            let read = ListQuery::<Filter>::read(query).unwrap();
            assert!(read.into_parts().is_err(), "{query}");
        }
        let read = ListQuery::<Filter>::read("limit=100").unwrap();
        assert_eq!(read.into_parts().unwrap().1.limit, MAX_LIMIT);
    }
}
