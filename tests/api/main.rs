//! Integration tests: the real HTTP app against a real database, on SQLite and PostgreSQL.
//! One binary, so that it links once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod attachments;
mod auth;
mod authz;
mod bad_input;
mod conditional;
mod contacts;
mod conversation;
mod deadlines;
mod delivery;
mod handling;
mod limits;
mod objection;
mod open311;
mod operations;
mod privacy;
mod public;
mod registration;
mod request_view;
mod requests;
mod retention;
mod scheduler;
mod scorecard;
mod stats;
mod units;
mod users;
mod webhooks;
