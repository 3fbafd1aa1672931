//! mardom (مردم): the backend of a People's Communications desk (ارتباطات مردمی).
//!
//! Data flows one way: `api` (HTTP) → `app` (use cases, one transaction each) → `domain` (pure
//! rules) and `db` (Diesel over SQLite or PostgreSQL). `auth` holds the staff credentials logic.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod notify;
pub mod private_files;
pub mod scheduler;
pub mod server;
pub mod storage;
pub mod telemetry;
pub mod vault;
