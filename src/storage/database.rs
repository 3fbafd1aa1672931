//! Contents in the `file_contents` table, written in the caller's transaction: an upload whose
//! row is rolled back leaves no bytes behind, and a backup of the database holds every file.

use super::{ContentStore, StoreError};
use crate::db::{self, DbConnection, file_contents};

pub struct DatabaseStore;

impl ContentStore for DatabaseStore {
    fn put(&self, conn: &mut DbConnection, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        Ok(file_contents::put(conn, sha256, bytes, db::now())?)
    }

    fn get(&self, conn: &mut DbConnection, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(file_contents::get(conn, sha256)?)
    }

    fn delete(&self, conn: &mut DbConnection, sha256: &str) -> Result<(), StoreError> {
        Ok(file_contents::delete(conn, sha256)?)
    }

    fn kind(&self) -> &'static str {
        "database"
    }
}
