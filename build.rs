//! Rebuild when a migration is added or changed: `embed_migrations!` alone does not notice a new
//! migration folder.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
