//! Rules: the matcher, the rule definitions and the engine that turns items into alerts.

pub mod clock;
pub mod corroborate;
pub mod engine;
pub mod evidence;
pub mod matcher;
pub mod silence;
pub mod spike;
