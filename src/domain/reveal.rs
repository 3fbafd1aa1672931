//! Revealing a citizen's identity (PRODUCT rule 11): who may, which fields a reveal names, and
//! whether it needs a reason. Every reveal that is allowed is recorded (`app::audit`); this
//! module only decides.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::Role;

/// One field of an identity.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum IdentityField {
    Name,
    Mobile,
    NationalId,
    Email,
}

impl IdentityField {
    pub const ALL: [IdentityField; 4] = [
        IdentityField::Name,
        IdentityField::Mobile,
        IdentityField::NationalId,
        IdentityField::Email,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            IdentityField::Name => "name",
            IdentityField::Mobile => "mobile",
            IdentityField::NationalId => "national_id",
            IdentityField::Email => "email",
        }
    }

    pub fn parse(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == label)
    }
}

/// Whether a reveal must say why (`MARDOM_REVEAL_REASON`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReasonPolicy {
    #[default]
    Optional,
    Required,
}

/// The longest reason kept.
pub const MAX_REASON_CHARS: usize = 500;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevealRefusal {
    #[error("your role may not reveal a citizen's identity")]
    Role,
    #[error(
        "only the member of staff who registered this request may reveal its identity in your role"
    )]
    NotTheRegistrar,
    #[error("`reveal` names `identity` or the fields name, mobile, national_id, email")]
    UnknownField,
    #[error("a reveal must give a reason (`reason`)")]
    ReasonMissing,
    #[error("a reason has at most 500 characters")]
    ReasonTooLong,
}

/// Whether a member of staff in `role` may reveal the identity of a request; `registered_it`
/// says whether they registered it themselves. The desk (reviewers), the head and admins may;
/// the intake expert and the phone operator only for a request they registered (they met the
/// citizen and typed the identity in); unit staff never.
pub fn may_reveal(role: Role, registered_it: bool) -> Result<(), RevealRefusal> {
    match role {
        Role::Reviewer | Role::Head | Role::Admin => Ok(()),
        Role::Intake | Role::Operator if registered_it => Ok(()),
        Role::Intake | Role::Operator => Err(RevealRefusal::NotTheRegistrar),
        Role::UnitStaff => Err(RevealRefusal::Role),
    }
}

/// The fields `reveal` asks for: `identity` (every field) or a comma-separated list of them.
pub fn fields(reveal: &str) -> Result<Vec<IdentityField>, RevealRefusal> {
    let mut fields = Vec::new();
    for label in reveal.split(',').map(str::trim) {
        match label {
            "identity" => fields.extend(IdentityField::ALL),
            other => fields.push(IdentityField::parse(other).ok_or(RevealRefusal::UnknownField)?),
        }
    }
    fields.sort_unstable();
    fields.dedup();
    Ok(fields)
}

/// The reason as kept (trimmed; empty is none), checked against the policy.
pub fn reason(policy: ReasonPolicy, raw: Option<&str>) -> Result<Option<String>, RevealRefusal> {
    let reason = raw.map(str::trim).filter(|r| !r.is_empty());
    match (policy, reason) {
        (ReasonPolicy::Required, None) => Err(RevealRefusal::ReasonMissing),
        (_, Some(r)) if r.chars().count() > MAX_REASON_CHARS => Err(RevealRefusal::ReasonTooLong),
        (_, r) => Ok(r.map(str::to_owned)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn who_may_reveal() {
        for role in [Role::Reviewer, Role::Head, Role::Admin] {
            assert_eq!(may_reveal(role, false), Ok(()));
        }
        for role in [Role::Intake, Role::Operator] {
            assert_eq!(may_reveal(role, true), Ok(()));
            assert_eq!(may_reveal(role, false), Err(RevealRefusal::NotTheRegistrar));
        }
        assert_eq!(may_reveal(Role::UnitStaff, true), Err(RevealRefusal::Role));
    }

    #[test]
    fn fields_are_identity_or_a_list() {
        assert_eq!(fields("identity").unwrap(), IdentityField::ALL.to_vec());
        assert_eq!(
            fields("mobile, name,mobile").unwrap(),
            vec![IdentityField::Name, IdentityField::Mobile]
        );
        assert_eq!(fields("address"), Err(RevealRefusal::UnknownField));
        assert_eq!(fields(""), Err(RevealRefusal::UnknownField));
    }

    #[test]
    fn a_reason_is_kept_trimmed_and_required_when_configured() {
        assert_eq!(reason(ReasonPolicy::Optional, None), Ok(None));
        assert_eq!(reason(ReasonPolicy::Optional, Some("  ")), Ok(None));
        assert_eq!(
            reason(ReasonPolicy::Required, Some(" تماس برای پیگیری ")),
            Ok(Some("تماس برای پیگیری".to_owned()))
        );
        assert_eq!(
            reason(ReasonPolicy::Required, Some(" ")),
            Err(RevealRefusal::ReasonMissing)
        );
        let long = "x".repeat(501);
        assert_eq!(
            reason(ReasonPolicy::Optional, Some(&long)),
            Err(RevealRefusal::ReasonTooLong)
        );
    }
}
