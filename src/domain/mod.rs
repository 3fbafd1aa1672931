//! The rules of the desk in plain Rust: types that can only hold valid values, and the decisions
//! made on them. Nothing here knows about HTTP or SQL.

pub mod anonymise;
pub mod attachment;
pub mod calendar;
pub mod citizen;
pub mod contact;
pub mod conversation;
pub mod deadline;
pub mod delivery;
pub mod error;
pub mod ids;
pub mod jalali;
mod labels;
pub mod lifecycle;
pub mod limits;
pub mod masking;
pub mod meeting;
pub mod national_id;
pub mod notification;
pub mod objection;
pub mod otp;
pub mod phone;
pub mod portal;
pub mod referral;
pub mod request;
pub mod retention;
pub mod reveal;
mod robustness;
pub mod role;
pub mod scorecard;
pub mod sms_cap;
pub mod templates;
pub mod text;
pub mod tracking_code;
pub mod unit;
pub mod user;
pub mod webhook;

pub use error::{FieldError, keep, parse_field};
pub use role::Role;
pub use unit::{Unit, UnitKind, UnitName};
pub use user::{DisplayName, Password, StaffUser, Username};
