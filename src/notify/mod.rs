//! Notifications leave the desk here: the SMS gateways (the `Gateway` trait and its providers,
//! chosen by configuration) and what providers tell us back (delivery status and reports).
//!
//! A provider is one file implementing `gateway::Gateway` plus one line in
//! `gateway::from_settings`.

pub mod dispatcher;
pub mod gateway;
pub mod http;
pub mod kavenegar;
pub mod lease;
pub mod log;
pub mod webhook;
pub mod webhook_dispatcher;
