//! Feeds: scheduling, fetching, parsing, and the [`item::Item`]s they yield.

pub mod archive;
pub mod auth;
pub mod date;
pub mod fetch;
pub mod guard;
pub mod item;
pub mod json;
pub mod parse;
pub mod schedule;
mod xml;
