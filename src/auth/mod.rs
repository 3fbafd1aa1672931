//! Authentication: staff password hashing (and the gate that bounds it) and signed tokens, the
//! staff's and the citizen's.
//! HTTP-free, so the rules can be tested on their own. The brake on password guessing is an
//! abuse limit like the others (`app::limits`).

pub mod citizen_token;
pub mod hashing;
pub mod password;
pub mod token;

pub use citizen_token::CitizenTokens;
pub use hashing::HashingGate;
pub use token::{Claims, TokenError, TokenIssuer};
