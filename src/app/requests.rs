//! Registering a request (on any channel) and reading requests back. Registration writes the
//! request, the citizen's identity, the first history event and the tracking-code SMS in one
//! transaction: a 2xx means all four are stored.

use chrono::NaiveDateTime;

use super::deadlines::Rules;
use crate::db::deadlines::DeadlineRow;
use crate::db::idempotency::IdempotencyRow;
use crate::db::meetings as meeting_repo;
use crate::db::notifications::{self as outbox, NotificationRow};
use crate::db::registration::{self, NewRegistration, Written};
use crate::db::requests::{self as repo, EventRow, IdentityRow, RequestRow};
use crate::db::{CorruptRow, DbConnection, units};
use crate::domain::Role;
use crate::domain::citizen::{CitizenName, Email, RequestText, search_key};
use crate::domain::ids::{AttachmentId, NotificationId, PortalId, RequestId, UnitId, UserId};
use crate::domain::lifecycle::{self, Action};
use crate::domain::masking;
use crate::domain::national_id::NationalId;
use crate::domain::notification::NotificationStatus;
use crate::domain::phone::MobileNumber;
use crate::domain::referral::Step;
use crate::domain::request::{ActorKind, Channel, RequestKind, Resolution, Status, Subject};
use crate::domain::reveal::IdentityField;
use crate::domain::tracking_code::TrackingCode;
use crate::domain::{FieldError, keep, parse_field};
use crate::vault::{Field, Vault};

use super::history::{Entry, event_row, messages};
use super::meetings::Meeting;
use super::page::{Page, PageRequest};
use super::referrals::Referral;
use super::{AppError, AppResult};

/// A request as a citizen or a staff member describes it, before parsing.
#[derive(Debug, Clone, Default)]
pub struct RequestInput {
    pub name: String,
    pub mobile: String,
    pub national_id: Option<String>,
    pub email: Option<String>,
    pub text: String,
    pub proposed_kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub subject_unit_id: Option<UnitId>,
    /// Uploads to attach (online submissions only).
    pub attachments: Vec<AttachmentId>,
}

/// A request input that parsed: every value normalised and valid.
#[derive(Debug, Clone)]
pub struct ParsedRequest {
    pub name: CitizenName,
    pub mobile: MobileNumber,
    pub national_id: Option<NationalId>,
    pub email: Option<Email>,
    pub text: RequestText,
    pub proposed_kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub subject_unit_id: Option<UnitId>,
    pub attachments: Vec<AttachmentId>,
}

/// Who registers a request: the citizen online, or a staff member on their behalf.
#[derive(Debug, Clone)]
pub enum Registrar {
    Citizen,
    Staff {
        user_id: UserId,
        channel: Channel,
    },
    /// A citizen through a registered portal (`portals`): online, and the portal is recorded.
    Portal(PortalId),
}

impl Registrar {
    fn channel(&self) -> Channel {
        match self {
            Registrar::Citizen | Registrar::Portal(_) => Channel::Online,
            Registrar::Staff { channel, .. } => *channel,
        }
    }

    fn actor(&self) -> (ActorKind, Option<UserId>) {
        match self {
            Registrar::Citizen | Registrar::Portal(_) => (ActorKind::Citizen, None),
            Registrar::Staff { user_id, .. } => (ActorKind::Staff, Some(user_id.clone())),
        }
    }
}

/// A stored request, its values read back into domain types. No identity here.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: RequestId,
    pub tracking_code: String,
    pub channel: Channel,
    pub text: String,
    pub proposed_kind: Option<RequestKind>,
    pub kind: Option<RequestKind>,
    pub subject: Option<Subject>,
    pub subject_unit_id: Option<UnitId>,
    pub status: Status,
    pub resolution: Option<Resolution>,
    pub version: i32,
    pub registered_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

/// Who filed a request.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    pub name: String,
    pub mobile: String,
    pub national_id: Option<String>,
    pub email: Option<String>,
}

impl Identity {
    /// The identity as staff see it: every field but those of `shown` masked
    /// (`domain::masking`).
    pub fn masked_but(self, shown: &[IdentityField]) -> Identity {
        let keep = |field| shown.contains(&field);
        Identity {
            name: if keep(IdentityField::Name) {
                self.name
            } else {
                masking::name(&self.name)
            },
            mobile: if keep(IdentityField::Mobile) {
                self.mobile
            } else {
                masking::mobile(&self.mobile)
            },
            national_id: self.national_id.map(|n| {
                if keep(IdentityField::NationalId) {
                    n
                } else {
                    masking::national_id(&n)
                }
            }),
            email: self.email.map(|e| {
                if keep(IdentityField::Email) {
                    e
                } else {
                    masking::email(&e)
                }
            }),
        }
    }

    /// Which of `fields` this identity has (a reveal of an absent email reveals nothing).
    pub fn present(&self, fields: &[IdentityField]) -> Vec<IdentityField> {
        fields
            .iter()
            .copied()
            .filter(|f| match f {
                IdentityField::NationalId => self.national_id.is_some(),
                IdentityField::Email => self.email.is_some(),
                IdentityField::Name | IdentityField::Mobile => true,
            })
            .collect()
    }
}

/// One history event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub seq: i32,
    pub at: NaiveDateTime,
    pub actor_kind: ActorKind,
    pub actor_id: Option<UserId>,
    pub action: String,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub public: bool,
    pub details: serde_json::Value,
}

/// A request with its history: what the public lookup is built from.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestWithHistory {
    pub request: Request,
    pub history: Vec<Event>,
    /// The names of the units it was referred to, for the citizen.
    pub referred_to: Vec<String>,
    /// When its scheduled meeting starts, if it has one.
    pub meeting_at: Option<NaiveDateTime>,
    /// Until when the citizen may object to its outcome; `None` unless that is possible now.
    pub objection_until: Option<NaiveDateTime>,
}

/// A request with identity and full history, for staff who may see both.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestDetail {
    pub request: Request,
    /// Masked; `None` once the retention sweep erased it (`erased_at`).
    pub identity: Option<Identity>,
    pub erased_at: Option<NaiveDateTime>,
    pub history: Vec<Event>,
    /// The messages sent about it: (id, template, status, created_at).
    pub notifications: Vec<(
        NotificationId,
        crate::domain::lifecycle::Template,
        NotificationStatus,
        NaiveDateTime,
    )>,
    /// The commands that fit now for the reader's role, as `lifecycle::apply` decides them.
    pub allowed_actions: Vec<Action>,
    /// Its referrals, oldest first, each with its unit's name and the steps the reader may take.
    pub referrals: Vec<ReferralOfRequest>,
    /// Its latest meeting, whatever became of it.
    pub meeting: Option<Meeting>,
}

/// A referral as the desk sees it from the request.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralOfRequest {
    pub referral: Referral,
    pub unit_name: String,
    pub allowed_steps: Vec<Step>,
}

/// Parses every field, naming all the bad ones at once.
pub fn parse(input: &RequestInput) -> AppResult<ParsedRequest> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = keep(
        &mut errors,
        parse_field("name", CitizenName::parse(&input.name)),
    );
    let mobile = keep(
        &mut errors,
        parse_field("mobile", MobileNumber::parse(&input.mobile)),
    );
    let national_id = match non_empty(&input.national_id) {
        Some(raw) => keep(
            &mut errors,
            parse_field("national_id", NationalId::parse(raw)),
        )
        .map(Some),
        None => Some(None),
    };
    let email = match non_empty(&input.email) {
        Some(raw) => keep(&mut errors, parse_field("email", Email::parse(raw))).map(Some),
        None => Some(None),
    };
    let text = keep(
        &mut errors,
        parse_field("text", RequestText::parse(&input.text)),
    );
    if input.subject_unit_id.is_some() && input.subject.is_none() {
        errors.push(FieldError::new(
            "subject",
            "required",
            "name the subject (unit, affiliated_entity or person) when a unit is given",
        ));
    }
    match (name, mobile, national_id, email, text) {
        (Some(name), Some(mobile), Some(national_id), Some(email), Some(text))
            if errors.is_empty() =>
        {
            Ok(ParsedRequest {
                name,
                mobile,
                national_id,
                email,
                text,
                proposed_kind: input.proposed_kind,
                subject: input.subject,
                subject_unit_id: input.subject_unit_id.clone(),
                attachments: input.attachments.clone(),
            })
        }
        _ => Err(AppError::Invalid(errors)),
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.trim().is_empty())
}

/// Registers a request, all or nothing.
pub fn register(
    conn: &mut DbConnection,
    rules: &Rules,
    input: &RequestInput,
    registrar: &Registrar,
) -> AppResult<RequestWithHistory> {
    let parsed = parse(input)?;
    register_in(conn, rules, &parsed, registrar)
}

/// Stores a parsed request, all or nothing, in the caller's transaction if one is open: the
/// request, the identity, the first event and the tracking-code message.
pub fn register_in(
    conn: &mut DbConnection,
    rules: &Rules,
    input: &ParsedRequest,
    registrar: &Registrar,
) -> AppResult<RequestWithHistory> {
    register_claiming(conn, rules, input, registrar, None).map(|(registered, _)| registered)
}

/// What became of the idempotency key a registration claimed.
pub(crate) enum KeyClaim {
    /// The registration had no key.
    Unkeyed,
    /// The key is this registration's, with the answer stored under it.
    Claimed(IdempotencyRow),
    /// Another submission holds the key; nothing was written.
    Taken,
    /// Another submission still being written holds the key; nothing was written.
    Busy,
}

/// Stores a parsed request, all or nothing (in the caller's transaction if one is open) and,
/// with it, the idempotency claim, if any, that `claim` makes of the registered request: its
/// answer is the rendered request, known before anything is written, since every value is
/// drawn here, not by the database.
///
/// Tracking codes are drawn from 9×10^10 values: a drawn code that is already taken writes
/// nothing and another is drawn (on PostgreSQL the check rides in the write itself).
pub(crate) fn register_claiming(
    conn: &mut DbConnection,
    rules: &Rules,
    input: &ParsedRequest,
    registrar: &Registrar,
    claim: Option<&dyn Fn(&RequestWithHistory) -> IdempotencyRow>,
) -> AppResult<(RequestWithHistory, KeyClaim)> {
    if let Some(unit) = &input.subject_unit_id {
        match units::find(conn, unit)? {
            Some(row) if row.active => {}
            _ => {
                return Err(FieldError::new(
                    "subject_unit_id",
                    "unknown_unit",
                    "no active unit has this id",
                )
                .into());
            }
        }
    }
    let mut rng = rand::rng();
    for _ in 0..8 {
        let rows = RegistrationRows::new(input, registrar, TrackingCode::generate(&mut rng), rules);
        let registered = RequestWithHistory {
            request: Request::from(rows.request.clone()),
            history: vec![Event::try_from(rows.event.clone())?],
            referred_to: Vec::new(),
            meeting_at: None,
            objection_until: None,
        };
        let claim = claim.map(|claim| claim(&registered));
        let portal = match registrar {
            Registrar::Portal(portal) => Some(portal),
            _ => None,
        };
        let webhooks = super::webhooks::for_registration(conn, &rows.request, portal)?;
        let written = registration::insert(
            conn,
            &NewRegistration {
                request: &rows.request,
                identity: &rows.identity,
                event: &rows.event,
                messages: &rows.messages,
                deadline: &rows.deadline,
                claim: claim.as_ref(),
                portal,
                webhooks: &webhooks,
            },
        )?;
        let key = match (written, claim) {
            (Written::CodeTaken, _) => continue,
            (Written::KeyTaken, _) => KeyClaim::Taken,
            (Written::KeyBusy, _) => KeyClaim::Busy,
            (Written::Registered, Some(claim)) => KeyClaim::Claimed(claim),
            (Written::Registered, None) => KeyClaim::Unkeyed,
        };
        return Ok((registered, key));
    }
    Err(AppError::Internal(
        "no free tracking code after 8 draws".to_owned(),
    ))
}

/// The rows a new request is stored as.
struct RegistrationRows {
    request: RequestRow,
    identity: IdentityRow,
    event: EventRow,
    messages: Vec<NotificationRow>,
    /// The classification it is owed.
    deadline: DeadlineRow,
}

impl RegistrationRows {
    fn new(
        input: &ParsedRequest,
        registrar: &Registrar,
        code: TrackingCode,
        rules: &Rules,
    ) -> Self {
        let now = rules.now();
        let transition = lifecycle::register();
        let request = RequestRow {
            id: RequestId::generate(),
            tracking_code: code.as_str().to_owned(),
            channel: registrar.channel(),
            body: input.text.as_str().to_owned(),
            search_text: search_key(input.text.as_str()),
            proposed_kind: input.proposed_kind,
            kind: None,
            subject: input.subject,
            subject_unit_id: input.subject_unit_id.clone(),
            status: transition.to,
            resolution: None,
            version: 1,
            registered_by: match registrar {
                Registrar::Citizen | Registrar::Portal(_) => None,
                Registrar::Staff { user_id, .. } => Some(user_id.clone()),
            },
            created_at: now,
            updated_at: now,
            closed_at: None,
        };
        let vault = &rules.vault;
        let identity = IdentityRow {
            request_id: request.id.clone(),
            name: vault.seal(Field::Name, input.name.as_str()),
            mobile: vault.seal(Field::Mobile, input.mobile.as_str()),
            national_id: vault.seal_optional(
                Field::NationalId,
                input.national_id.as_ref().map(|n| n.as_str()),
            ),
            email: vault.seal_optional(Field::Email, input.email.as_ref().map(|e| e.as_str())),
            mobile_index: Some(vault.index(Field::Mobile, input.mobile.as_str())),
        };
        let details = serde_json::json!({ "channel": registrar.channel().as_str() });
        let event = event_row(
            &request.id,
            1,
            Entry::of(&transition),
            registrar.actor(),
            details,
            now,
        );
        let messages = messages(
            &request,
            &identity.mobile,
            &transition,
            serde_json::json!({}),
            now,
        );
        Self {
            deadline: super::deadlines::classify(rules, &request.id, now),
            request,
            identity,
            event,
            messages,
        }
    }
}

/// One request as `reader` (a desk role) reads it, in one snapshot: `allowed_actions` agree
/// with the referrals and the meeting shown beside them.
pub fn read(
    conn: &mut DbConnection,
    id: &RequestId,
    reader: Role,
    rules: &Rules,
) -> AppResult<RequestDetail> {
    diesel::Connection::transaction(conn, |conn| detail(conn, id, reader, rules))
}

/// One request as `reader` (a desk role) sees it: everything, with what they may do next. Runs
/// in the caller's transaction.
pub fn detail(
    conn: &mut DbConnection,
    id: &RequestId,
    reader: Role,
    rules: &Rules,
) -> AppResult<RequestDetail> {
    let row = repo::find(conn, id)?.ok_or(AppError::NotFound("request"))?;
    let request = Request::from(row);
    let state = super::state::of(conn, &request, rules)?;
    let mut referrals = Vec::new();
    for referral in super::referrals::of_request(conn, id, rules.now())? {
        let unit_name = units::find(conn, &referral.unit_id)?
            .map(|u| u.name)
            .ok_or_else(|| AppError::Internal(format!("referral {} has no unit", referral.id)))?;
        referrals.push(ReferralOfRequest {
            allowed_steps: crate::domain::referral::possible_steps(referral.status, reader),
            referral,
            unit_name,
        });
    }
    Ok(RequestDetail {
        allowed_actions: lifecycle::allowed_actions(state, lifecycle::Actor::Staff(reader)),
        meeting: meeting_repo::latest_for(conn, id)?.map(Meeting::from),
        request,
        // Masked: the full identity is read only through a reveal (`app::audit::reveal`).
        identity: kept_identity(conn, &rules.vault, id)?.map(|i| i.masked_but(&[])),
        erased_at: crate::db::retention::erased_at(conn, id)?,
        history: history(conn, id, false)?,
        notifications: outbox::for_request(conn, id)?
            .into_iter()
            .map(|n| (n.id, n.template, n.status, n.created_at))
            .collect(),
        referrals,
    })
}

/// Who filed a request, opened from the vault. Every request has one: its absence is a broken
/// invariant.
pub(crate) fn identity(
    conn: &mut DbConnection,
    vault: &Vault,
    id: &RequestId,
) -> AppResult<Identity> {
    let row = repo::find_identity(conn, id)?
        .ok_or_else(|| AppError::Internal(format!("request {id} has no identity row")))?;
    let unreadable =
        |e: crate::vault::VaultError| AppError::Internal(format!("identity of {id}: {e}"));
    Ok(Identity {
        name: vault.open(Field::Name, &row.name).map_err(unreadable)?,
        mobile: vault.open(Field::Mobile, &row.mobile).map_err(unreadable)?,
        national_id: vault
            .open_optional(Field::NationalId, row.national_id.as_deref())
            .map_err(unreadable)?,
        email: vault
            .open_optional(Field::Email, row.email.as_deref())
            .map_err(unreadable)?,
    })
}

/// The identity of a request unless the retention sweep erased it.
pub(crate) fn kept_identity(
    conn: &mut DbConnection,
    vault: &Vault,
    id: &RequestId,
) -> AppResult<Option<Identity>> {
    if repo::sealed_mobile(conn, id)?.is_none()
        && crate::db::retention::erased_at(conn, id)?.is_some()
    {
        return Ok(None);
    }
    identity(conn, vault, id).map(Some)
}

/// Where the citizen's SMS go: their mobile as sealed, copied into the outbox row unopened.
pub(crate) fn recipient(conn: &mut DbConnection, id: &RequestId) -> AppResult<String> {
    repo::sealed_mobile(conn, id)?
        .ok_or_else(|| AppError::Internal(format!("request {id} has no identity row")))
}

pub(crate) fn history(
    conn: &mut DbConnection,
    id: &RequestId,
    public_only: bool,
) -> AppResult<Vec<Event>> {
    repo::events(conn, id, public_only)?
        .into_iter()
        .map(|row| Ok(Event::try_from(row)?))
        .collect()
}

/// Which requests a staff listing returns; `None` means "any".
#[derive(Debug, Default, Clone)]
pub struct RequestFilter {
    pub status: Option<Status>,
    /// The kind set on review or, while there is none, the kind the citizen proposed.
    pub kind: Option<RequestKind>,
    pub channel: Option<Channel>,
    /// Requests about this unit.
    pub unit_id: Option<UnitId>,
    /// Registered at or after.
    pub created_from: Option<NaiveDateTime>,
    /// Registered before.
    pub created_before: Option<NaiveDateTime>,
    /// Words to find in the text, as the client wrote them.
    pub text: Option<String>,
}

/// One page of requests, newest first.
pub fn list(
    conn: &mut DbConnection,
    filter: RequestFilter,
    page: &PageRequest,
) -> AppResult<Page<Request>> {
    let load = |before, limit| {
        let filter = repo::RequestFilter {
            status: filter.status,
            kind: filter.kind,
            channel: filter.channel,
            unit_id: filter.unit_id,
            created_from: filter.created_from,
            created_before: filter.created_before,
            text: filter
                .text
                .map(|t| search_key(&t))
                .filter(|t| !t.is_empty()),
            before,
        };
        repo::list(conn, &filter, limit)
    };
    page.fetch(load, Request::from)
}

impl From<RequestRow> for Request {
    fn from(row: RequestRow) -> Self {
        Request {
            channel: row.channel,
            proposed_kind: row.proposed_kind,
            kind: row.kind,
            subject: row.subject,
            status: row.status,
            resolution: row.resolution,
            id: row.id,
            tracking_code: row.tracking_code,
            text: row.body,
            subject_unit_id: row.subject_unit_id,
            version: row.version,
            registered_by: row.registered_by,
            created_at: row.created_at,
            updated_at: row.updated_at,
            closed_at: row.closed_at,
        }
    }
}

impl TryFrom<EventRow> for Event {
    type Error = CorruptRow;

    fn try_from(row: EventRow) -> Result<Self, CorruptRow> {
        Ok(Event {
            actor_kind: row.actor_kind,
            from_status: row.from_status,
            to_status: row.to_status,
            details: serde_json::from_str(&row.details)
                .map_err(|_| CorruptRow::new("request_events.details", &row.details))?,
            seq: row.seq,
            at: row.at,
            actor_id: row.actor_id,
            action: row.action,
            public: row.public,
        })
    }
}
