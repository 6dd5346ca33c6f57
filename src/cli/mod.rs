//! Bodies of the commands that work on a store by its address (`--store`).

pub mod store;
