//! `watchfloor store init`, `watchfloor tail`, and how a command finds its store: `--store URL`
//! (or `WATCHFLOOR_STORE`), else the config's `[store] url`, else the data directory.

use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use watchfloor::outputs::tail::{Start, tail};
use watchfloor::store::address::{Origin, StoreAddress};
use watchfloor::store::{AnyStore, PgStore};

/// The store named on the command line, if any (a password in it is refused).
pub fn from_flag(flag: Option<&str>) -> anyhow::Result<Option<StoreAddress>> {
    flag.map(|f| StoreAddress::parse(f, Origin::CommandLine))
        .transpose()
        .map_err(anyhow::Error::from)
}

/// `watchfloor store init`: creates or upgrades the schema and the three roles.
pub fn init(address: &StoreAddress) -> anyhow::Result<ExitCode> {
    let StoreAddress::Postgres(pg) = address else {
        anyhow::bail!(
            "store init is for PostgreSQL (--store postgres://…); a SQLite data directory is created by the collector"
        );
    };
    let r = PgStore::init(pg)?;
    if r.was == r.now {
        println!("{}: schema {} (already current)", pg.label(), r.now);
    } else {
        println!("{}: schema {} -> {}", pg.label(), r.was, r.now);
    }
    println!(
        "roles: watchfloor_collector (writes items, alerts, leases), watchfloor_analyst (reads, writes triage), watchfloor_viewer (reads)"
    );
    println!(
        "add a login with, for example: CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE watchfloor_analyst;"
    );
    Ok(ExitCode::SUCCESS)
}

/// `watchfloor store copy`: a SQLite desk into an empty PostgreSQL store.
pub fn copy(from: &Path, to: Option<&StoreAddress>) -> anyhow::Result<ExitCode> {
    let Some(StoreAddress::Postgres(pg)) = to else {
        anyhow::bail!("store copy needs --to postgres://… (or --store)");
    };
    let dir = if from.is_file() {
        from.parent().unwrap_or(Path::new("."))
    } else {
        from
    };
    let source = watchfloor::store::SqliteStore::open_read_only(dir)?;
    let mut target = PgStore::open(pg)?;
    let report = watchfloor::store::postgres::copy::from_sqlite(&source, &mut target)?;
    println!(
        "copied {} into {}: {report}",
        source.path().display(),
        pg.label()
    );
    Ok(ExitCode::SUCCESS)
}

/// `watchfloor tail`: the desk's event stream as JSON lines.
pub fn run_tail(
    address: &StoreAddress,
    consumer: &str,
    from_end: bool,
    follow: bool,
) -> anyhow::Result<ExitCode> {
    if consumer.trim().is_empty() || consumer.starts_with("notify:") || consumer == "stdout" {
        anyhow::bail!(
            "--consumer {consumer:?}: choose a name of your own (\"stdout\" and \"notify:…\" belong to the collector)"
        );
    }
    let mut store = AnyStore::open_existing(address)?;
    // A signal ends the process where it is: the position only ever moves past lines
    // already written, so the next start repeats at most the last batch.
    let stop = AtomicBool::new(false);
    let start = if from_end { Start::End } else { Start::Oldest };
    let mut out = std::io::stdout().lock();
    tail(&mut store, consumer, start, follow, &mut out, &stop)?;
    Ok(ExitCode::SUCCESS)
}

/// The store a command reads: the flag's, else the config's `[store] url`, else `dir`.
pub fn resolve(
    flag: Option<StoreAddress>,
    config_store: Option<StoreAddress>,
    dir: &Path,
) -> StoreAddress {
    flag.or(config_store)
        .unwrap_or_else(|| StoreAddress::Sqlite(dir.to_path_buf()))
}
