//! Units: a unit, a deputy office ("معاونت") or an affiliated entity, in a tree. Referrals go to
//! units, and unit staff see only their own unit's.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::ids::UnitId;

use super::error::HasCode;
use super::text::{char_len, normalise_line};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    /// An ordinary unit ("واحد").
    Unit,
    /// A deputy office ("معاونت").
    Deputy,
    /// An entity affiliated with the Center.
    AffiliatedEntity,
}

impl UnitKind {
    pub const ALL: [UnitKind; 3] = [UnitKind::Unit, UnitKind::Deputy, UnitKind::AffiliatedEntity];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Unit => "unit",
            UnitKind::Deputy => "deputy",
            UnitKind::AffiliatedEntity => "affiliated_entity",
        }
    }

    pub fn parse(value: &str) -> Option<UnitKind> {
        UnitKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == value)
    }
}

/// A unit's name, normalised (so that spellings with Arabic or Persian letters are one name),
/// 2 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a unit name has 2 to 200 characters")]
pub struct UnitNameError;

impl HasCode for UnitNameError {
    fn code(&self) -> &'static str {
        "length"
    }
}

impl UnitName {
    pub const MIN: usize = 2;
    pub const MAX: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, UnitNameError> {
        let name = normalise_line(raw);
        if (Self::MIN..=Self::MAX).contains(&char_len(&name)) {
            Ok(Self(name))
        } else {
            Err(UnitNameError)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// Would making `proposed_parent` the parent of `unit` close a loop? `ancestors_of_parent` is the
/// chain from the proposed parent up to the root (the parent itself first).
pub fn parent_would_cycle(unit: &UnitId, ancestors_of_parent: &[UnitId]) -> bool {
    ancestors_of_parent.iter().any(|ancestor| ancestor == unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised_before_their_length_is_checked() {
        let name = UnitName::parse("  معاونت   درمان ").map(UnitName::into_string);
        assert_eq!(name, Ok("معاونت درمان".to_owned()));
        assert_eq!(
            UnitName::parse("واحد فناوري").map(UnitName::into_string),
            Ok("واحد فناوری".into())
        );
        assert_eq!(UnitName::parse(" ی "), Err(UnitNameError));
        assert_eq!(UnitName::parse(&"ا".repeat(201)), Err(UnitNameError));
        assert!(UnitName::parse(&"ا".repeat(200)).is_ok());
    }

    #[test]
    fn a_unit_cannot_become_its_own_ancestor() {
        let id = |text: &str| UnitId::stored(text.to_owned());
        let chain = vec![id("b"), id("a")];
        assert!(parent_would_cycle(&id("a"), &chain));
        assert!(!parent_would_cycle(&id("c"), &chain));
    }

    #[test]
    fn kinds_round_trip() {
        for kind in UnitKind::ALL {
            assert_eq!(UnitKind::parse(kind.as_str()), Some(kind));
        }
    }
}

/// A unit as the rest of the program sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub id: UnitId,
    pub name: String,
    pub kind: UnitKind,
    pub parent_id: Option<UnitId>,
    pub active: bool,
    pub created_at: chrono::NaiveDateTime,
    pub updated_at: chrono::NaiveDateTime,
}
