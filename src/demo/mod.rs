//! The offline demo: a feed server on loopback whose feeds evolve along a timeline.

pub mod server;
