//! The closed sets the database stores as text (statuses, kinds, channels, roles…) cross this
//! boundary as their domain types: a row holds a `Status`, never a `String` someone might
//! misspell. One macro gives each type Diesel's text conversions, so a value no version of the
//! program wrote fails the query that reads it (a `DeserializationError` naming the value and
//! the type), where before every reader had to remember to check.
//!
//! The ids (`domain::ids`) cross it the same way: a `RequestId` column reads back as a
//! `RequestId`, so a query cannot be handed a referral's id for a request's.
//!
//! The domain types stay free of Diesel (`domain` imports nothing); the impls live here, which
//! the orphan rule allows because both the types and this module are in the same crate.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

/// Gives `$ty` the text column conversions: written as `as_str()`, read back through `$read`
/// (text → `deserialize::Result<$ty>`); bound by value as `$owned` (what `$into` makes of it).
macro_rules! text_column {
    ($ty:ty, read: $read:expr, owned: $owned:ty, into: $into:expr) => {
        impl<DB> ToSql<Text, DB> for $ty
        where
            DB: Backend,
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB> ToSql<Nullable<Text>, DB> for $ty
        where
            DB: Backend,
            Self: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <Self as ToSql<Text, DB>>::to_sql(self, out)
            }
        }

        impl<DB> FromSql<Text, DB> for $ty
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let read: fn(String) -> deserialize::Result<$ty> = $read;
                read(String::from_sql(bytes)?)
            }
        }

        impl<DB> Queryable<Text, DB> for $ty
        where
            DB: Backend,
            Self: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        // Bound as text: the expression types are those of `&str` and `$owned`, named through
        // their own `AsExpression` so that nothing of Diesel's hidden internals is spelt here.
        impl AsExpression<Text> for $ty {
            type Expression = <$owned as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                let into: fn($ty) -> $owned = $into;
                AsExpression::<Text>::as_expression(into(self))
            }
        }

        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = <$owned as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                let into: fn($ty) -> $owned = $into;
                AsExpression::<Nullable<Text>>::as_expression(into(self))
            }
        }

        impl<'a> AsExpression<Text> for &'a $ty {
            type Expression = <&'a str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl<'a> AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = <&'a str as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }
    };
}

/// The `labels!` types (they have `as_str` and `parse`): written as their label, read back
/// through `parse`, a text no version wrote refused with its value and type.
macro_rules! stored_as_label {
    ($($ty:ty),+ $(,)?) => {$(
        text_column!(
            $ty,
            read: |label| {
                <$ty>::parse(&label)
                    .ok_or_else(|| format!("unreadable {} {label:?}", stringify!($ty)).into())
            },
            owned: &'static str,
            into: <$ty>::as_str
        );
    )+};
}

/// The id types: written as their text, read back as stored.
macro_rules! stored_as_id {
    ($($ty:ty),+ $(,)?) => {$(
        text_column!($ty, read: |text| Ok(<$ty>::stored(text)), owned: String, into: String::from);
    )+};
}

use crate::domain::attachment::FileType;
use crate::domain::contact::{ContactChannel, ContactOutcome};
use crate::domain::conversation::{AuthorKind, Release};
use crate::domain::deadline::{DeadlineKind, Stage};
use crate::domain::lifecycle::Template;
use crate::domain::meeting::MeetingStatus;
use crate::domain::notification::NotificationStatus;
use crate::domain::referral::{ReferralReason, ReferralStatus};
use crate::domain::request::{ActorKind, Channel, RequestKind, Resolution, Status, Subject};
use crate::domain::webhook::{DeliveryState, EventType};
use crate::domain::{Role, UnitKind};

stored_as_label!(
    DeadlineKind,
    Stage,
    FileType,
    AuthorKind,
    Release,
    Channel,
    RequestKind,
    Subject,
    Status,
    Resolution,
    ActorKind,
    ContactChannel,
    ContactOutcome,
    ReferralReason,
    ReferralStatus,
    MeetingStatus,
    NotificationStatus,
    Template,
    Role,
    UnitKind,
    EventType,
    DeliveryState,
);

crate::domain::ids::for_each_id!(stored_as_id);

#[cfg(test)]
mod tests {
    use diesel::dsl::sql;
    use diesel::prelude::*;
    use diesel::sql_types::{Nullable, Text};

    use super::super::DbConnection;
    use crate::domain::request::Status;

    fn memory() -> DbConnection {
        DbConnection::establish(":memory:").unwrap()
    }

    #[test]
    fn a_label_is_written_as_its_text_and_read_back_as_its_value() {
        let mut conn = memory();
        let text: String = diesel::select(Status::MeetingScheduled.into_sql::<Text>())
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(text, "meeting_scheduled");
        let status: Status = diesel::select(sql::<Text>("'follow_up'"))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(status, Status::FollowUp);
        let none: Option<Status> = diesel::select(sql::<Nullable<Text>>("NULL"))
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(none, None);
    }

    #[test]
    fn a_text_no_version_wrote_fails_the_query_and_names_the_value() {
        let mut conn = memory();
        let read = diesel::select(sql::<Text>("'reffered'")).get_result::<Status>(&mut conn);
        let error = format!("{:?}", read.unwrap_err());
        assert!(
            error.contains(r#"unreadable Status \"reffered\""#),
            "{error}"
        );
    }
}
