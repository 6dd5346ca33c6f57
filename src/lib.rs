//! watchfloor: a terminal watchlist for atrocity and crisis early warning.
//!
//! Feeds are polled ([`feed`]), every item is tagged to countries and matched against every rule
//! in one pass ([`rules`]), alerts and status changes flow out as [`event::Event`]s, and the
//! [`store`] keeps state across restarts.

pub mod baseline;
pub mod brief;
pub mod config;
pub mod demo;
pub mod event;
pub mod feed;
pub mod geo;
pub mod logging;
pub mod memory;
pub mod monitor;
pub mod outputs;
pub mod replay;
pub mod rules;
pub mod store;
pub mod story;
pub mod text;
pub mod time;
pub mod tui;
