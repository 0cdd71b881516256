//! The read side: projections fold the global event log into read models.
//!
//! Nothing is projected yet; the projection runner and the inbox read models arrive with the read-side
//! change. The crate exists now so dependencies already point `src → projections → actors`.
#![forbid(unsafe_code)]

pub use actors;
