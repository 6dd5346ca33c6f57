//! Every way events leave watchfloor. Each way out is a named consumer of the store's outbox
//! with its own position, so it sees every event at least once whatever happens to the process.

pub mod delivery;
pub mod export;
pub mod jsonl;
pub mod notify;
pub mod tail;

pub use delivery::{Delivery, DeliveryError, Stop};
pub use jsonl::{JsonLines, LineSink, VecSink};
