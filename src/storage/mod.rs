//! Where the bytes of attached files live, behind one trait: in the database by default (one
//! backup, and the bytes are written in the upload's own transaction), or in an S3-compatible
//! object store for installations that outgrow it (`MARDOM_FILE_STORE=s3`).
//!
//! Content is addressed by its SHA-256 (hex): the same bytes uploaded twice are kept once, and
//! an address never changes meaning. The calls are synchronous and take the use case's
//! connection: the database store writes in its transaction; the object store ignores it and
//! waits for the network on the caller's (blocking-pool) thread.

mod database;
mod object;

use std::sync::Arc;

pub use database::DatabaseStore;
pub use object::{ObjectStoreSettings, S3Store};

use crate::db::DbConnection;

/// Keeps, returns and forgets file contents by address.
pub trait ContentStore: Send + Sync {
    /// Keeps `bytes` under `sha256`; keeping the same address again changes nothing.
    fn put(&self, conn: &mut DbConnection, sha256: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// The bytes under `sha256`, if any.
    fn get(&self, conn: &mut DbConnection, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Forgets `sha256`; forgetting what is not there is not an error.
    fn delete(&self, conn: &mut DbConnection, sha256: &str) -> Result<(), StoreError>;
    /// `database` or `s3`, for logs and the health check.
    fn kind(&self) -> &'static str;
}

/// Why a store could not do its part.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    /// The object store did not answer, or refused: the request can be retried.
    #[error("object store: {0}")]
    Unreachable(String),
}

/// Which store the settings choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSettings {
    Database,
    ObjectStore(ObjectStoreSettings),
}

/// The store the settings choose, ready to use.
pub fn open(settings: &StoreSettings) -> Result<Arc<dyn ContentStore>, StoreError> {
    Ok(match settings {
        StoreSettings::Database => Arc::new(DatabaseStore),
        StoreSettings::ObjectStore(object) => Arc::new(S3Store::open(object)?),
    })
}
