//! Meta's Graph API (WhatsApp Cloud API), as seen from the inbox: a typed client for messages, media and
//! account management, Meta's error object, and whether an error is worth retrying.
//!
//! The base URL and version are configuration, so the same client talks to Meta or to `wa-sim`.

pub mod client;
pub mod error;
pub mod limits;
pub mod management;
pub mod media;
pub mod messages;

pub use client::{AccessToken, CallError, GraphClient, GraphConfig, Success};
pub use error::{ErrorClass, GraphError};
pub use messages::{OutboundContent, OutboundMessage, SendResponse};
