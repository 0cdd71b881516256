//! Meta's Graph API (WhatsApp Cloud API), as seen from the inbox: so far its error object and how each
//! error is handled; the typed client follows.

pub mod error;

pub use error::{ErrorClass, GraphError};
