//! A connection opened on first use and shared by the requests of a small HTTP server
//! (metrics, the alert feed): a server started before the database exists still starts.

use std::sync::Mutex;

use super::SqliteStore;

/// A lazily opened connection to either store, for a server's requests: a data directory's
/// database read only, or a shared store (connected again when the connection was lost).
#[derive(Debug)]
pub struct LazyStore {
    address: super::StoreAddress,
    store: Mutex<Option<super::AnyStore>>,
}

impl LazyStore {
    /// A connection to `address`, not opened yet.
    pub fn new(address: super::StoreAddress) -> Self {
        Self {
            address,
            store: Mutex::new(None),
        }
    }

    /// Runs `f` on the store, opening it first if needed; the error in words when it cannot
    /// be opened.
    pub fn with<T>(&self, f: impl FnOnce(&super::AnyStore) -> T) -> Result<T, String> {
        use super::{AnyStore, PgStore, StoreAddress};
        let mut guard = self
            .store
            .lock()
            .map_err(|_| "store lock poisoned".to_string())?;
        if guard.is_none() {
            let opened = match &self.address {
                StoreAddress::Sqlite(dir) => SqliteStore::open_read_only(dir).map(AnyStore::Sqlite),
                StoreAddress::Postgres(pg) => PgStore::open_existing(pg).map(AnyStore::Postgres),
            };
            *guard = Some(opened.map_err(|e| e.to_string())?);
        }
        if let Some(AnyStore::Postgres(pg)) = guard.as_mut() {
            pg.revive().map_err(|e| e.to_string())?;
        }
        guard.as_ref().map(f).ok_or_else(|| "no store".to_string())
    }
}
