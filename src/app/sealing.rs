//! Sealing what is stored (`vault`): rows written in the clear by a version before identities
//! were sealed are sealed at start (`seal_plaintext`), and `mardom rotate-key` re-seals every
//! value under an older key with the current one (`rotate`). Both go batch by batch, each batch
//! one short transaction of guarded rewrites (`db::sealing`), so instances keep serving while
//! it runs: a reader meets either the old envelope or the new, and opens both (every instance
//! holds every key of the keyring until the rotation is done).

use crate::db::contacts::ContactRow;
use crate::db::requests::IdentityRow;
use crate::db::{DbConnection, sealing as repo, write_transaction};
use crate::vault::{Field, Vault, VaultError, is_sealed};

use super::{AppError, AppResult};

/// Rows per transaction.
const BATCH: i64 = 200;

/// What a pass sealed, by table.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Resealed {
    pub identities: usize,
    pub contacts: usize,
    pub notifications: usize,
    pub codes: usize,
}

impl Resealed {
    pub fn total(&self) -> usize {
        self.identities + self.contacts + self.notifications + self.codes
    }
}

/// Seals the values stored in the clear (none, after the first start of this version).
pub fn seal_plaintext(conn: &mut DbConnection, vault: &Vault) -> AppResult<Resealed> {
    run(conn, vault, repo::ANY_KEY)
}

/// Re-seals every value not under the vault's current key.
pub fn rotate(conn: &mut DbConnection, vault: &Vault) -> AppResult<Resealed> {
    run(conn, vault, &repo::under(vault.current_key()))
}

fn run(conn: &mut DbConnection, vault: &Vault, pattern: &str) -> AppResult<Resealed> {
    Ok(Resealed {
        identities: table(conn, |conn, after| {
            let mut done = Vec::new();
            for old in repo::identities_outside(conn, pattern, after, BATCH)? {
                let new = resealed_identity(vault, &old)?;
                done.push((
                    old.request_id.to_string(),
                    repo::rewrite_identity(conn, &old, &new)?,
                ));
            }
            Ok(done)
        })?,
        contacts: table(conn, |conn, after| {
            let mut done = Vec::new();
            for old in repo::contacts_outside(conn, pattern, after, BATCH)? {
                let (name, mobile) = resealed_contact(vault, &old)?;
                done.push((
                    old.id.clone(),
                    repo::rewrite_contact(conn, &old, &name, &mobile)?,
                ));
            }
            Ok(done)
        })?,
        notifications: table(conn, |conn, after| {
            let mut done = Vec::new();
            for old in repo::notifications_outside(conn, pattern, after, BATCH)? {
                let recipient = keep(vault.reseal(Field::Mobile, &old.recipient), &old.recipient)?;
                done.push((
                    old.id.to_string(),
                    repo::rewrite_recipient(conn, &old, &recipient)?,
                ));
            }
            Ok(done)
        })?,
        codes: table(conn, |conn, after| {
            let mut done = Vec::new();
            for old in repo::codes_outside(conn, pattern, after, BATCH)? {
                let mobile = keep(vault.reseal(Field::Mobile, &old.mobile), &old.mobile)?;
                done.push((old.id.clone(), repo::rewrite_code(conn, &old, &mobile)?));
            }
            Ok(done)
        })?,
    })
}

/// Passes over one table until a pass finds every row it read rewritten: `batch(after)`
/// re-seals one batch after the key `after` in one transaction and says, per row read, its key
/// and whether the rewrite held. A row changed between the read and the rewrite is met again in
/// the next pass; a table whose rows keep changing under us gives up after a few.
fn table(
    conn: &mut DbConnection,
    mut batch: impl FnMut(&mut DbConnection, &str) -> AppResult<Vec<(String, bool)>>,
) -> AppResult<usize> {
    let mut rewritten = 0;
    for _ in 0..8 {
        let (mut after, mut missed) = (String::new(), 0);
        loop {
            let done = write_transaction(conn, |conn| batch(conn, &after))?;
            let Some((last, _)) = done.last() else {
                break;
            };
            after = last.clone();
            rewritten += done.iter().filter(|(_, held)| *held).count();
            missed += done.iter().filter(|(_, held)| !*held).count();
        }
        if missed == 0 {
            return Ok(rewritten);
        }
    }
    Err(AppError::Unavailable(
        "rows keep changing under the re-sealing: run it again".to_owned(),
    ))
}

fn resealed_identity(vault: &Vault, old: &IdentityRow) -> AppResult<IdentityRow> {
    let mobile = if is_sealed(&old.mobile) {
        open(vault.open(Field::Mobile, &old.mobile))?
    } else {
        old.mobile.clone()
    };
    Ok(IdentityRow {
        request_id: old.request_id.clone(),
        name: keep(vault.reseal(Field::Name, &old.name), &old.name)?,
        mobile: keep(vault.reseal(Field::Mobile, &old.mobile), &old.mobile)?,
        national_id: keep_optional(vault, Field::NationalId, &old.national_id)?,
        email: keep_optional(vault, Field::Email, &old.email)?,
        mobile_index: Some(vault.index(Field::Mobile, &mobile)),
    })
}

fn resealed_contact(
    vault: &Vault,
    old: &ContactRow,
) -> AppResult<(Option<String>, Option<String>)> {
    Ok((
        keep_optional(vault, Field::Name, &old.citizen_name)?,
        keep_optional(vault, Field::Mobile, &old.citizen_mobile)?,
    ))
}

/// The re-sealed value, or the value as it was when it needs nothing.
fn keep(resealed: Result<Option<String>, VaultError>, old: &str) -> AppResult<String> {
    Ok(open(resealed)?.unwrap_or_else(|| old.to_owned()))
}

fn keep_optional(vault: &Vault, field: Field, old: &Option<String>) -> AppResult<Option<String>> {
    old.as_deref()
        .map(|value| keep(vault.reseal(field, value), value))
        .transpose()
}

/// A value that does not open stops the pass: the keyring lacks a key it needs.
fn open<T>(result: Result<T, VaultError>) -> AppResult<T> {
    result.map_err(|e| AppError::Internal(format!("cannot re-seal: {e}")))
}
