//! Contents in an S3-compatible object store (`MARDOM_FILE_STORE=s3`): AWS S3, MinIO, Ceph,
//! ArvanCloud's or any other that speaks the S3 API, for installations whose files outgrow the
//! database. Objects are named `<prefix><first two hex digits>/<sha256>`.
//!
//! Not transactional with the database: an upload's bytes are put under its address's lock
//! before its row is written (a row that then fails leaves an object no row names, harmless and
//! overwritten by the same bytes next time); the sweep deletes an object only once no row names
//! it, under the same lock.
//!
//! `object_store` is async; the use cases are not (they run on the blocking pool, or in a test
//! body). Each call is spawned onto a small runtime of the store's own and waited for on the
//! calling thread, which works from any thread, async or not.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, PutPayload, RetryConfig};
use secrecy::{ExposeSecret, SecretString};

use super::{ContentStore, StoreError};
use crate::db::DbConnection;

/// Where the object store is and how to sign in to it.
#[derive(Debug, Clone)]
pub struct ObjectStoreSettings {
    /// `https://s3.example.ir` (or `http://…`, allowed for a store on the same host).
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: SecretString,
    /// Put before every object's name, e.g. `mardom/` to share a bucket.
    pub prefix: String,
}

impl PartialEq for ObjectStoreSettings {
    fn eq(&self, other: &Self) -> bool {
        (
            &self.endpoint,
            &self.bucket,
            &self.region,
            &self.access_key_id,
            &self.prefix,
        ) == (
            &other.endpoint,
            &other.bucket,
            &other.region,
            &other.access_key_id,
            &other.prefix,
        ) && self.secret_access_key.expose_secret() == other.secret_access_key.expose_secret()
    }
}

impl Eq for ObjectStoreSettings {}

pub struct S3Store {
    store: Arc<dyn ObjectStore>,
    prefix: String,
    /// Always `Some` until dropped (taken then, see `Drop`).
    runtime: Option<tokio::runtime::Runtime>,
}

impl Drop for S3Store {
    /// Dropping a runtime blocks until its tasks end, which tokio refuses inside an async
    /// context (where the app's state may be dropped): let its thread go instead.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// How long one call may take, retries included: a store that does not answer makes the
/// upload a 503 within this, rather than holding a blocking thread and a connection.
const CALL_TIMEOUT: Duration = Duration::from_secs(30);

impl S3Store {
    pub fn open(settings: &ObjectStoreSettings) -> Result<Self, StoreError> {
        let unreachable = |e: &dyn std::fmt::Display| StoreError::Unreachable(e.to_string());
        let store = AmazonS3Builder::new()
            .with_endpoint(&settings.endpoint)
            .with_bucket_name(&settings.bucket)
            .with_region(&settings.region)
            .with_access_key_id(&settings.access_key_id)
            .with_secret_access_key(settings.secret_access_key.expose_secret())
            .with_virtual_hosted_style_request(false)
            // The options replace the builder's: `allow_http` goes with them, not before.
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(settings.endpoint.starts_with("http://"))
                    .with_timeout(Duration::from_secs(20))
                    .with_connect_timeout(Duration::from_secs(5)),
            )
            .with_retry(RetryConfig {
                max_retries: 3,
                retry_timeout: CALL_TIMEOUT,
                ..RetryConfig::default()
            })
            .build()
            .map_err(|e| unreachable(&e))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("mardom-object-store")
            .enable_all()
            .build()
            .map_err(|e| unreachable(&e))?;
        Ok(S3Store {
            store: Arc::new(store),
            prefix: settings.prefix.clone(),
            runtime: Some(runtime),
        })
    }

    fn path(&self, sha256: &str) -> Path {
        let fan = sha256.get(..2).unwrap_or("00");
        Path::from(format!("{}{fan}/{sha256}", self.prefix))
    }

    /// Runs `call` on the store's runtime and waits for it here.
    fn wait<T: Send + 'static>(
        &self,
        call: impl Future<Output = object_store::Result<T>> + Send + 'static,
    ) -> Result<T, object_store::Error> {
        let (sender, answer) = std::sync::mpsc::sync_channel(1);
        if let Some(runtime) = &self.runtime {
            runtime.spawn(async move {
                let _ = sender.send(call.await);
            });
        }
        answer.recv().unwrap_or_else(|_| {
            Err(object_store::Error::Generic {
                store: "S3",
                source: "the object store's runtime stopped".into(),
            })
        })
    }
}

fn failed(error: object_store::Error) -> StoreError {
    StoreError::Unreachable(error.to_string())
}

impl ContentStore for S3Store {
    fn put(&self, _: &mut DbConnection, sha256: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        let payload = PutPayload::from(bytes.to_vec());
        self.wait(async move { store.put(&path, payload).await })
            .map(|_| ())
            .map_err(failed)
    }

    fn get(&self, _: &mut DbConnection, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        match self.wait(async move { store.get(&path).await?.bytes().await }) {
            Ok(bytes) => Ok(Some(bytes.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(failed(other)),
        }
    }

    fn delete(&self, _: &mut DbConnection, sha256: &str) -> Result<(), StoreError> {
        let (store, path) = (self.store.clone(), self.path(sha256));
        match self.wait(async move { store.delete(&path).await }) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(other) => Err(failed(other)),
        }
    }

    fn kind(&self) -> &'static str {
        "s3"
    }
}
