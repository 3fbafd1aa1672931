//! Staff roles, one per person at the desk (PRODUCT.md, "Who uses it").

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a staff account may do. `unit_staff` is bound to exactly one unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Users, roles, units and settings.
    Admin,
    /// The front-desk expert who logs walk-ins and registers requests.
    Intake,
    /// The phone operator who logs calls and registers requests.
    Operator,
    /// The People's Communications desk: classifies, refers, thanks, schedules, closes.
    Reviewer,
    /// The head of the Center: the meeting calendar and meeting outcomes.
    Head,
    /// Staff of one unit or deputy office: their unit's referrals only, never identities.
    UnitStaff,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Intake,
        Role::Operator,
        Role::Reviewer,
        Role::Head,
        Role::UnitStaff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Intake => "intake",
            Role::Operator => "operator",
            Role::Reviewer => "reviewer",
            Role::Head => "head",
            Role::UnitStaff => "unit_staff",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == value)
    }

    /// Only unit staff belong to a unit; everyone else works for the desk as a whole.
    pub fn requires_unit(self) -> bool {
        self == Role::UnitStaff
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_unit_staff_require_a_unit() {
        let bound: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.requires_unit())
            .collect();
        assert_eq!(bound, vec![Role::UnitStaff]);
    }
}
