//! Operator commands on watch listings: `inbox extract` (the extractor over JSON lines, how it is
//! evaluated) and `inbox listings redetect` (a newer extractor over the stored messages).

pub mod extract;
pub mod redetect;
