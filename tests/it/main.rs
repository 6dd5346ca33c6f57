//! The integration tests that share one binary (one build and link instead of one per file):
//! each module is one area. Tests that load the CPU, kill processes or measure timing keep a
//! binary of their own (`tests/*.rs`), so they never run beside these (and a test that
//! measures its own process's memory measures only itself).

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../support/mod.rs"]
mod support;

mod attach;
mod auth;
mod backup;
mod baseline;
mod brief;
mod cli;
mod delivery;
mod disk_full;
mod drill;
mod examples;
mod export;
mod factor_pack;
mod factors;
mod guard;
mod no_data;
mod notify;
mod notify_email;
mod paging;
mod pg_store;
mod pipeline;
mod primary;
mod private_ca;
mod properties;
mod reload;
mod replay;
mod scenarios;
mod screens;
mod secrets;
mod silence_scenarios;
mod spike_scenarios;
mod story_pairs;
mod story_scenarios;
mod supervision;
mod systemd;
mod tagger;
mod tui_app;
mod upgrade;
