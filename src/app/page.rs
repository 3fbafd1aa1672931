//! One page of a list: every list is read newest first (creation time, then id, descending) and
//! continued after the last item of the page before, so a page holds the same rows however many
//! were written above it meanwhile.

use chrono::NaiveDateTime;

use super::{AppError, AppResult};

/// Where a page ends: the creation time and id of its last item. The next page holds what is
/// strictly older.
pub type Key = (NaiveDateTime, String);

/// Which page to read: at most `limit` items, after `after` (the first page without one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub after: Option<Key>,
    pub limit: i64,
}

/// One page of items, and the key to continue after (`None` on the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Key>,
}

impl<T> Page<T> {
    /// The page of a list that can hold nothing.
    pub fn empty() -> Self {
        Page {
            items: Vec::new(),
            next: None,
        }
    }
}

/// A row that knows where it stands in its list.
pub trait Keyed {
    fn key(&self) -> Key;
}

/// The rows of the paged lists, each placed by its creation time and id.
macro_rules! keyed_by_creation {
    ($($row:ty),* $(,)?) => {$(
        impl Keyed for $row {
            fn key(&self) -> Key {
                (self.created_at, self.id.to_string())
            }
        }
    )*};
}

keyed_by_creation!(
    crate::db::contacts::ContactRow,
    crate::db::inbox::StaffNotificationRow,
    crate::db::notifications::NotificationRow,
    crate::db::referrals::UnitReferralRow,
    crate::db::requests::RequestRow,
    crate::db::users::UserRow,
);

impl PageRequest {
    /// Reads one page. `load` gets the key to continue after and how many rows to return at
    /// most, newest first: one more than the page holds, because that extra row is the only way
    /// to know that another page follows. `item` turns a row into what the page lists.
    pub fn fetch<R: Keyed, T, E>(
        &self,
        load: impl FnOnce(Option<Key>, i64) -> Result<Vec<R>, E>,
        item: impl FnMut(R) -> T,
    ) -> AppResult<Page<T>>
    where
        AppError: From<E>,
    {
        let mut rows = load(self.after.clone(), self.limit.saturating_add(1))?;
        let holds = usize::try_from(self.limit).unwrap_or(0);
        let next = (rows.len() > holds)
            .then(|| {
                rows.truncate(holds);
                rows.last().map(Keyed::key)
            })
            .flatten();
        let items = rows.into_iter().map(item).collect();
        Ok(Page { items, next })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Row(i64);

    impl Keyed for Row {
        fn key(&self) -> Key {
            (at(self.0), self.0.to_string())
        }
    }

    fn at(micros: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp_micros(micros)
            .unwrap()
            .naive_utc()
    }

    /// Rows 5, 4, 3, 2, 1 (newest first), of which `load` returns what is older than the key.
    fn page(after: Option<Key>, limit: i64) -> Page<i64> {
        let load = |after: Option<Key>, n: i64| {
            let older = |row: &i64| after.as_ref().is_none_or(|(t, _)| at(*row) < *t);
            let rows = (1..=5).rev().filter(older).map(Row);
            Ok::<_, AppError>(rows.take(n as usize).collect())
        };
        let page = PageRequest { after, limit }.fetch(load, |row| row.0);
        page.unwrap()
    }

    #[test]
    fn a_page_that_is_not_the_last_names_its_last_item_as_the_next_key() {
        let first = page(None, 2);
        assert_eq!(first.items, [5, 4]);
        assert_eq!(first.next, Some((at(4), "4".to_owned())));
        let second = page(first.next, 2);
        assert_eq!(second.items, [3, 2]);
        let last = page(second.next, 2);
        assert_eq!(
            last,
            Page {
                items: vec![1],
                next: None
            }
        );
    }

    #[test]
    fn a_page_that_ends_exactly_with_the_rows_is_the_last() {
        assert_eq!(page(None, 5).next, None);
        assert_eq!(page(None, 5).items.len(), 5);
    }
}
