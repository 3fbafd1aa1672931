//! The citizen's own door (issue 18): a one-time code sent by SMS to a mobile number, exchanged
//! for a short-lived token bound to that number, with which the citizen lists and reads all of
//! their requests — a tracking code lost is a tracking code found. The rules of a code are
//! `domain::otp`'s; the limits are the abuse limits' (codes per number and per address, tries
//! per address like every public proof).

use chrono::NaiveDateTime;
use sha2::{Digest, Sha256};

use crate::auth::CitizenTokens;
use crate::auth::token::IssuedToken;
use crate::db::citizen_codes::{self as repo, CodeRow};
use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::{DbConnection, write_transaction};
use crate::domain::lifecycle::Template;
use crate::domain::limits::Limit;
use crate::domain::otp::{self, Code, Try};
use crate::domain::phone::MobileNumber;
use crate::domain::{FieldError, keep, parse_field};
use crate::vault::Field;

use super::deadlines::Rules;
use super::limits::Limits;
use super::requests::RequestWithHistory;
use super::{AppError, AppResult};

/// What the door needs besides the database: the citizen's token issuer and the key codes are
/// hashed under (derived from the server's secret, apart from every other use of it).
pub struct Door {
    pub tokens: CitizenTokens,
    code_key: [u8; 32],
}

impl std::fmt::Debug for Door {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Door").finish_non_exhaustive()
    }
}

impl Door {
    pub fn new(secret: &[u8], tokens: CitizenTokens) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"mardom citizen codes\0");
        hasher.update(secret);
        Door {
            tokens,
            code_key: hasher.finalize().into(),
        }
    }
}

/// Sends a new code to `raw_mobile` for `client`, counted against the codes per address and
/// per number; answers when it stops working. The SMS goes through the outbox like every other,
/// its row written with the code's in one transaction. Any number may ask: a citizen may open
/// the door before filing anything, and the answer never says whether a number has requests.
pub fn send_code(
    conn: &mut DbConnection,
    (limits, rules, door): (&Limits, &Rules, &Door),
    client: &str,
    raw_mobile: &str,
) -> AppResult<NaiveDateTime> {
    let mobile = parse_field("mobile", MobileNumber::parse(raw_mobile))?;
    limits.hit(conn, Limit::CodesPerClient, client)?;
    limits.hit(conn, Limit::CodesPerMobile, mobile.as_str())?;
    let now = rules.now();
    let code = Code::generate(&mut rand::rng());
    let id = crate::db::new_id();
    let vault = &rules.vault;
    let row = CodeRow {
        code_hash: code.hash(&door.code_key, &id),
        id,
        mobile: vault.seal(Field::Mobile, mobile.as_str()),
        tries: 0,
        created_at: now,
        expires_at: now + otp::LIFETIME,
        used_at: None,
        mobile_index: vault.index(Field::Mobile, mobile.as_str()),
    };
    let sms = NotificationRow::pending(
        None,
        Template::CitizenCode,
        &row.mobile,
        serde_json::json!({ "code": code.as_str() }).to_string(),
        // The outbox runs on the system clock (the dispatcher's), whatever the deadlines' says.
        crate::db::now(),
    );
    write_transaction(conn, |conn| -> AppResult<()> {
        repo::insert(conn, &row)?;
        outbox::insert(conn, &sms)?;
        Ok(())
    })?;
    Ok(row.expires_at)
}

/// Exchanges the code last sent to `raw_mobile` for a citizen's token. Each try, right or
/// wrong, counts against the address's lookups; a wrong one costs the code one of its three
/// tries (counted even though the answer is a refusal), and a refusal says why in `errors`:
/// `wrong` (with the tries left), `expired`, `spent`, or `none` (no code was sent).
pub fn verify(
    conn: &mut DbConnection,
    (limits, rules, door): (&Limits, &Rules, &Door),
    client: &str,
    (raw_mobile, raw_code): (&str, &str),
) -> AppResult<IssuedToken> {
    limits.hit(conn, Limit::LookupsPerClient, client)?;
    let mut errors = Vec::new();
    let mobile = keep(
        &mut errors,
        parse_field("mobile", MobileNumber::parse(raw_mobile)),
    );
    let code = Code::typed(raw_code);
    if code.is_none() {
        errors.push(refused("format", "a code is the six digits the SMS gave"));
    }
    let (Some(mobile), Some(code), true) = (mobile, code, errors.is_empty()) else {
        return Err(AppError::Invalid(errors));
    };
    let now = rules.now();
    let decided = write_transaction(conn, |conn| -> AppResult<Result<String, FieldError>> {
        let index = rules.vault.index(Field::Mobile, mobile.as_str());
        let Some(row) = repo::latest(conn, &index)? else {
            return Ok(Err(refused(
                "none",
                "no code was sent to this number; ask for one",
            )));
        };
        let stored = otp::Stored {
            hash: row.code_hash.clone(),
            tries: row.tries,
            expires_at: row.expires_at,
            used: row.used_at.is_some(),
        };
        let outcome = otp::attempt(&stored, &code.hash(&door.code_key, &row.id), now);
        Ok(match outcome {
            Try::Accepted if repo::spend(conn, &row.id, now)? => Ok(row.id),
            Try::Accepted | Try::Spent => Err(refused(
                "spent",
                "this code was used or tried too often; ask for a new one",
            )),
            Try::Expired => Err(refused(
                "expired",
                "this code has expired; ask for a new one",
            )),
            Try::Wrong { left } => {
                if !repo::count_try(conn, &row.id, row.tries)? {
                    Err(refused("spent", "this code was tried meanwhile; try again"))
                } else if left == 0 {
                    Err(refused(
                        "spent",
                        "wrong code, and no tries are left; ask for a new one",
                    ))
                } else {
                    let tries = if left == 1 { "try" } else { "tries" };
                    Err(refused("wrong", format!("wrong code; {left} {tries} left")))
                }
            }
        })
    })?;
    let code_id = decided.map_err(|error| AppError::Invalid(vec![error]))?;
    door.tokens
        .issue(&code_id, now.and_utc())
        .map_err(|e| AppError::Internal(e.to_string()))
}

fn refused(code: &str, message: impl Into<String>) -> FieldError {
    FieldError::new("code", code, message)
}

/// The mobile number a citizen's token stands for, if the token is valid now and names a code
/// that was accepted.
pub fn holder(
    conn: &mut DbConnection,
    (rules, door): (&Rules, &Door),
    token: &str,
) -> AppResult<Option<MobileNumber>> {
    let Ok(claims) = door.tokens.verify(token, rules.now().and_utc()) else {
        return Ok(None);
    };
    let Some(row) = repo::find(conn, &claims.sub)?.filter(|row| row.used_at.is_some()) else {
        return Ok(None);
    };
    let mobile = rules
        .vault
        .open(Field::Mobile, &row.mobile)
        .map_err(|e| AppError::Internal(format!("citizen code {}: {e}", row.id)))?;
    Ok(MobileNumber::from_stored(mobile))
}

/// Every request filed with `mobile`, newest first, as the citizen reads them: the public view
/// of each and its own text.
pub fn my_requests(
    conn: &mut DbConnection,
    rules: &Rules,
    mobile: &MobileNumber,
) -> AppResult<Vec<Mine>> {
    let mut mine = Vec::new();
    let index = rules.vault.index(Field::Mobile, mobile.as_str());
    for code in crate::db::requests::tracking_codes_of_mobile(conn, &index)? {
        mine.push(my_request(conn, rules, mobile, &code)?);
    }
    mine.sort_by(|a, b| {
        let (a, b) = (&a.record.request, &b.record.request);
        (b.created_at, &b.id).cmp(&(a.created_at, &a.id))
    });
    Ok(mine)
}

/// Through the token's door the citizen names only their own requests: another number's is
/// "not found" (the tracking-code door says 403, since there the caller named a number).
pub fn own(error: AppError) -> AppError {
    match error {
        AppError::Forbidden(_) => AppError::NotFound("request"),
        other => other,
    }
}

/// One of the citizen's requests by its tracking code; another number's is "not found", like
/// one that does not exist.
pub fn my_request(
    conn: &mut DbConnection,
    rules: &Rules,
    mobile: &MobileNumber,
    raw_code: &str,
) -> AppResult<Mine> {
    let code = super::public::parse_code(raw_code)?;
    let row = super::public::owned_request(conn, &rules.vault, &code, mobile).map_err(own)?;
    Ok(Mine {
        record: super::public::record_of(conn, &row.id, rules)?,
        identity_reads: super::audit::reads_of(conn, &row.id)?,
        text: row.body,
    })
}

/// One of the citizen's requests as they read it: its public record, their own text, and
/// when (and by which role) staff read their identity.
#[derive(Debug, Clone)]
pub struct Mine {
    pub record: RequestWithHistory,
    pub text: String,
    pub identity_reads: Vec<super::audit::IdentityRead>,
}

/// Everything held about the citizen of `mobile`: each request as they read it, with their
/// identity in full (it is theirs) and the conversation.
pub fn everything(
    conn: &mut DbConnection,
    rules: &Rules,
    mobile: &MobileNumber,
) -> AppResult<Vec<Held>> {
    let mut held = Vec::new();
    for mine in my_requests(conn, rules, mobile)? {
        let id = mine.record.request.id.clone();
        let request = crate::db::requests::find(conn, &id)?.ok_or(AppError::NotFound("request"))?;
        held.push(Held {
            identity: super::requests::identity(conn, &rules.vault, &id)?,
            conversation: super::conversation::for_citizen(conn, &request)?,
            rating: crate::db::ratings::find(conn, &id)?.map(|r| (r.score, r.comment)),
            mine,
        });
    }
    Ok(held)
}

/// One request of the citizen's download.
#[derive(Debug, Clone)]
pub struct Held {
    pub mine: Mine,
    pub identity: super::requests::Identity,
    pub conversation: Vec<super::conversation::CitizenMessage>,
    /// Their rating: the score and the comment.
    pub rating: Option<(i32, Option<String>)>,
}
