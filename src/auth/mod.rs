//! Staff authentication: password hashing, signed tokens, and the brake on password guessing.
//! HTTP-free, so the rules can be tested on their own.

pub mod password;
pub mod throttle;
pub mod token;

pub use throttle::SignInThrottle;
pub use token::{Claims, TokenError, TokenIssuer};
