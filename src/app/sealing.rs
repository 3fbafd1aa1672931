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
    let mut done = Resealed::default();
    // Rounds that read rows and rewrote none: each row changed under us. A few in a row is
    // a busy table; many means something rewrites these rows faster than we can.
    let mut idle = 0;
    loop {
        let (round, read) = write_transaction(conn, |conn| round(conn, vault, pattern))?;
        if read == 0 {
            return Ok(done);
        }
        idle = if round.total() == 0 { idle + 1 } else { 0 };
        if idle > 8 {
            return Err(AppError::Unavailable(
                "rows keep changing under the re-sealing: run it again".to_owned(),
            ));
        }
        done.identities += round.identities;
        done.contacts += round.contacts;
        done.notifications += round.notifications;
        done.codes += round.codes;
    }
}

/// One batch of each table, and how many rows it read. A row that changed between the read and
/// the rewrite is counted nowhere and met again in the next round, if it still needs it.
fn round(conn: &mut DbConnection, vault: &Vault, pattern: &str) -> AppResult<(Resealed, usize)> {
    let mut round = Resealed::default();
    let mut read = 0;
    for old in repo::identities_outside(conn, pattern, BATCH)? {
        read += 1;
        if repo::rewrite_identity(conn, &old, &resealed_identity(vault, &old)?)? {
            round.identities += 1;
        }
    }
    for old in repo::contacts_outside(conn, pattern, BATCH)? {
        read += 1;
        let (name, mobile) = resealed_contact(vault, &old)?;
        if repo::rewrite_contact(conn, &old, &name, &mobile)? {
            round.contacts += 1;
        }
    }
    for old in repo::notifications_outside(conn, pattern, BATCH)? {
        read += 1;
        let recipient = keep(vault.reseal(Field::Mobile, &old.recipient), &old.recipient)?;
        if repo::rewrite_recipient(conn, &old, &recipient)? {
            round.notifications += 1;
        }
    }
    for old in repo::codes_outside(conn, pattern, BATCH)? {
        read += 1;
        let mobile = keep(vault.reseal(Field::Mobile, &old.mobile), &old.mobile)?;
        if repo::rewrite_code(conn, &old, &mobile)? {
            round.codes += 1;
        }
    }
    Ok((round, read))
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
