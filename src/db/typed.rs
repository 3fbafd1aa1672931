//! The closed sets the database stores as text (statuses, kinds, channels, roles…) cross this
//! boundary as their domain types: a row holds a `Status`, never a `String` someone might
//! misspell. One macro gives each type Diesel's text conversions, so a value no version of the
//! program wrote fails the query that reads it (a `DeserializationError` naming the value and
//! the type), where before every reader had to remember to check.
//!
//! The domain types stay free of Diesel (`domain` imports nothing); the impls live here, which
//! the orphan rule allows because both the types and this module are in the same crate.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

/// Gives each listed `labels!` type (it has `as_str` and `parse`) the text column conversions:
/// written as its label, read back through `parse`.
macro_rules! stored_as_text {
    ($($ty:ty),+ $(,)?) => {$(
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
                let label = String::from_sql(bytes)?;
                <$ty>::parse(&label).ok_or_else(|| {
                    format!("unreadable {} {label:?}", stringify!($ty)).into()
                })
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

        // Bound as its label: the expression types are those of `&'static str`, named through
        // its own `AsExpression` so that nothing of Diesel's hidden internals is spelt here.
        impl AsExpression<Text> for $ty {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl AsExpression<Nullable<Text>> for $ty {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }

        impl<'a> AsExpression<Text> for &'a $ty {
            type Expression = <&'static str as AsExpression<Text>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Text>::as_expression(self.as_str())
            }
        }

        impl<'a> AsExpression<Nullable<Text>> for &'a $ty {
            type Expression = <&'static str as AsExpression<Nullable<Text>>>::Expression;

            fn as_expression(self) -> Self::Expression {
                AsExpression::<Nullable<Text>>::as_expression(self.as_str())
            }
        }
    )+};
}

use crate::domain::contact::{ContactChannel, ContactOutcome};
use crate::domain::lifecycle::Template;
use crate::domain::meeting::MeetingStatus;
use crate::domain::notification::NotificationStatus;
use crate::domain::referral::{ReferralReason, ReferralStatus};
use crate::domain::request::{ActorKind, Channel, RequestKind, Resolution, Status, Subject};
use crate::domain::{Role, UnitKind};

stored_as_text!(
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
);

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
