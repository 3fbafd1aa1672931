//! Rebuild when a migration is added or changed (`embed_migrations!` alone does not notice a
//! new migration folder), and publish a digest of the migrations so that the PostgreSQL test
//! harness can reuse a migrated template database until they change.
//!
//! It also decides whether the PostgreSQL half of the integration tests is armed: with
//! `MARDOM_TEST_POSTGRES_URL` set when the tests are built, `cfg(postgres_tests)` is on and those
//! tests run (and fail if the server is unreachable); without it they are compiled but marked
//! ignored, so that `cargo test` reports them as not run instead of passing them silently.
//! `MARDOM_TEST_S3_URL` arms `cfg(s3_tests)` the same way.

use std::hash::Hasher;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=MARDOM_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    if std::env::var("MARDOM_TEST_POSTGRES_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo:rustc-cfg=postgres_tests");
    }
    // The same for the object-store half of the attachment tests: an S3-compatible server
    // (`.ci/run` starts moto) at `MARDOM_TEST_S3_URL`.
    println!("cargo:rerun-if-env-changed=MARDOM_TEST_S3_URL");
    println!("cargo::rustc-check-cfg=cfg(s3_tests)");
    if std::env::var("MARDOM_TEST_S3_URL").is_ok_and(|url| !url.is_empty()) {
        println!("cargo:rustc-cfg=s3_tests");
    }
    let mut files = Vec::new();
    collect(Path::new("migrations"), &mut files);
    files.sort();
    // FNV-1a: stable across Rust versions, unlike std's DefaultHasher.
    let mut hasher = Fnv(0xcbf2_9ce4_8422_2325);
    for file in files {
        hasher.write(file.to_string_lossy().as_bytes());
        hasher.write(&std::fs::read(&file).unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=MARDOM_MIGRATIONS_DIGEST={:016x}",
        hasher.finish()
    );
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}

struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}
