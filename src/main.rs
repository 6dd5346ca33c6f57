//! The `watchfloor` command line: the mode switch, and the only place errors become exit codes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};

use watchfloor::config::{self, Config};
use watchfloor::monitor::{self, MonitorState, Options};
use watchfloor::outputs::JsonLines;
use watchfloor::rules::clock::SystemClock;

mod cli;

/// A terminal watchlist for atrocity and crisis early warning.
#[derive(Debug, Parser)]
#[command(name = "watchfloor", version, about, long_about = None)]
struct Cli {
    /// Config file (else $WATCHFLOOR_CONFIG, ./config/watchfloor.toml, ~/.config/watchfloor/watchfloor.toml).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Data directory (else settings.data_dir, else the XDG data directory).
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The shared store: a postgres:// URL (no password here: use [store] url with ${VAR},
    /// or the PostgreSQL password file), else the data directory's SQLite file.
    #[arg(long, global = true, env = "WATCHFLOOR_STORE", value_name = "URL")]
    store: Option<String>,
    /// Log lines as text (colour only on a terminal) or one JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the monitor without a screen: events as JSON lines on stdout, logs on stderr.
    Headless {
        /// Poll every enabled feed once, print the events, and exit.
        #[arg(long)]
        once: bool,
        /// Keep every response body in DIR/FEED/TIME.gz for `watchfloor replay`
        /// (at most settings.archive_max, oldest removed first).
        #[arg(long, value_name = "DIR")]
        archive: Option<PathBuf>,
        /// Serve Prometheus metrics on http://ADDR/metrics and a health check on /healthz
        /// (for example 127.0.0.1:9464; port 0 picks one, printed on stderr).
        #[arg(long, value_name = "ADDR")]
        metrics: Option<std::net::SocketAddr>,
        /// Serve the alerts as an Atom feed on http://ADDR/alerts.atom (with ETag and 304) and
        /// each alert as CAP 1.2 on /alerts/ID.xml (for example 127.0.0.1:8080).
        #[arg(long, value_name = "ADDR")]
        serve: Option<std::net::SocketAddr>,
    },
    /// Write stored alerts as OASIS CAP 1.2 documents (one file per alert in --out DIR) or as
    /// an Atom feed.
    Export {
        /// cap or atom.
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// Alerts raised in this last period.
        #[arg(long, default_value = "7d", value_name = "DURATION")]
        since: String,
        /// Only alerts at least this severe (info, low, medium, high, critical).
        #[arg(long, value_name = "SEVERITY")]
        min_severity: Option<String>,
        /// Only alerts about this country (repeat for more).
        #[arg(long = "country", value_name = "CODE")]
        countries: Vec<String>,
        /// Only alerts of this rule (repeat for more).
        #[arg(long = "rule", value_name = "ID")]
        rules: Vec<String>,
        /// cap: the directory to write ID.xml files into (required unless --id); atom: the
        /// file to write instead of stdout.
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// cap: print this one alert's document (its latest state) on stdout.
        #[arg(long, value_name = "ALERT")]
        id: Option<String>,
    },
    /// Load and validate the config, print a summary; exit 2 if it has errors.
    Check,
    /// Open the screen over the database of a running `watchfloor headless`; needs only --data
    /// (the collector publishes what a screen shows).
    Attach,
    /// Run the pipeline over recorded payloads (files named after feed ids, directories of
    /// them, or a `DIR/FEED/YYYYMMDDTHHMMSSZ.gz` archive) with the clock taken from the items,
    /// in a throw-away store: the events that would have fired on stdout, a table on stderr.
    Replay {
        /// Files or directories to replay.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
    /// Write a consistent copy of the data directory's database to FILE while a collector may
    /// keep running (SQLite's online backup); see "Backup and restore" in the README.
    Backup {
        /// Where to write the copy (replaced if it exists).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Write the end-of-shift brief from the data directory: status changes, top stories,
    /// new alerts, desk notes and feed trouble per country, with structural risk.
    Brief {
        /// The period: from this long ago until now.
        #[arg(long, default_value = "24h", value_name = "DURATION")]
        since: String,
        /// md (default), html, csv (one row per alert) or json.
        #[arg(long, value_enum, default_value = "md")]
        format: watchfloor::brief::Format,
        /// Write it here instead of stdout (replaced whole, never half written).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Also send it through this [[notify]] target (retried three times).
        #[arg(long, value_name = "ID")]
        notify: Option<String>,
    },
    /// Notification targets (`[[notify]]` in the config).
    Notify {
        #[command(subcommand)]
        action: NotifyAction,
    },
    /// Structural risk from the Early Warning Project's statistical risk assessment.
    Baseline {
        #[command(subcommand)]
        action: BaselineAction,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish or powershell) on stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout, or write one page per command into DIR.
    Man {
        /// Write watchfloor.1 and watchfloor-COMMAND.1 pages here instead.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Print the desk's event stream (every collector's) as JSON lines from the store's outbox,
    /// continuing where consumer NAME stopped last time, wherever it ran.
    Tail {
        /// The consumer's name; its position is kept in the store.
        #[arg(long, value_name = "NAME")]
        consumer: String,
        /// A consumer new to the store starts after the newest event (default: at the oldest
        /// event still kept).
        #[arg(long)]
        from_end: bool,
        /// Print what is there and exit instead of following.
        #[arg(long)]
        once: bool,
    },
    /// The shared PostgreSQL store.
    Store {
        #[command(subcommand)]
        action: StoreAction,
    },
    /// Run against a built-in demo feed server on loopback; needs no network.
    Demo {
        /// Print JSON lines instead of opening the screen.
        #[arg(long)]
        headless: bool,
        /// Play the demo timeline this many times faster.
        #[arg(long, default_value_t = 1.0, value_name = "N")]
        speed: f64,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum ExportFormat {
    /// OASIS Common Alerting Protocol 1.2.
    Cap,
    /// An Atom feed.
    Atom,
}

#[derive(Debug, Subcommand)]
enum NotifyAction {
    /// Send a test message through one target and print what happened (exit 1 if it failed).
    Test {
        /// The target's id.
        #[arg(value_name = "ID")]
        id: String,
    },
    /// List the configured targets, what each receives, and where each stands in the outbox.
    List,
}

#[derive(Debug, Subcommand)]
enum StoreAction {
    /// Create or upgrade the schema at --store and the roles watchfloor_collector,
    /// watchfloor_analyst and watchfloor_viewer with their grants (run as the database owner).
    Init,
    /// Copy a SQLite desk (a data directory, or its watchfloor.db) into an empty PostgreSQL
    /// store: items seen, alerts, windows, statuses, triage, baselines, feed health. Alerts are
    /// copied as history: no consumer or notification target sees them again.
    Copy {
        /// The data directory (or database file) to copy from; it is only read.
        #[arg(long, value_name = "PATH")]
        from: PathBuf,
        /// The PostgreSQL store to copy into (default: --store).
        #[arg(long, value_name = "URL")]
        to: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum BaselineAction {
    /// Read an EWP risk CSV (either column layout) and store each country's risk and rank in
    /// the data directory, replacing the last import; rows it cannot match are listed.
    Import {
        /// The CSV file.
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// The risk column to take (default: the two-year column of the newest run).
        #[arg(long, value_name = "NAME")]
        column: Option<String>,
    },
    /// Print the imported risk, highest first.
    Show,
}

/// Exit code for usage and config errors.
const EXIT_CONFIG: u8 = 2;

/// glibc gives every thread that allocates an arena of its own and keeps freed memory in each;
/// two are plenty for a collector whose threads mostly wait on I/O, and they keep its resident
/// memory near what it uses.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; it is called before any other thread
    // exists and takes no pointers.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

fn main() -> ExitCode {
    limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EXIT_CONFIG)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    watchfloor::feed::parse::quiet_guarded_panics();
    let _ = LOG_FORMAT.set(cli.log_format);
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("watchfloor: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
enum LogFormat {
    /// One line of text per event (colour only on a terminal).
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The `--log-format` given, set once before logging starts.
static LOG_FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// Installs the log subscriber writing to `writer` in the chosen format; colour only when
/// `ansi` (a terminal).
fn install_logs<W>(filter: tracing_subscriber::EnvFilter, writer: W, ansi: bool)
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = match LOG_FORMAT.get().copied().unwrap_or_default() {
        LogFormat::Json => builder.json().with_current_span(false).try_init(),
        LogFormat::Text => builder.with_ansi(ansi).try_init(),
    };
}

/// Logs to stderr (headless modes): quiet by default, `RUST_LOG` to see more. Colour only on a
/// terminal: never into files or the journal.
fn init_logging() {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new("warn"));
    install_logs(
        filter,
        watchfloor::logging::Redacting(std::io::stderr),
        std::io::stderr().is_terminal(),
    );
}

/// Logs for the screen modes: never to the terminal (it would tear the screen); to
/// `watchfloor.log` in the data directory when `RUST_LOG` asks for logs.
fn init_file_logging(data: &Path) {
    use tracing_subscriber::EnvFilter;
    let Ok(filter) = EnvFilter::try_from_env("RUST_LOG") else {
        return;
    };
    let _ = std::fs::create_dir_all(data);
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(data.join("watchfloor.log"))
    else {
        return;
    };
    install_logs(
        filter,
        watchfloor::logging::Redacting(std::sync::Mutex::new(file)),
        false,
    );
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        None => {
            let (_, config) = match find_and_load(cli.config.as_deref()) {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let data = data_dir(cli.data.as_deref(), &config)?;
            init_file_logging(&data);
            let rt = runtime()?;
            rt.block_on(run_screen(config, data, None))
        }
        Some(Command::Attach) => {
            // A shared store: --store, else the config's [store] url.
            let flag = cli::store::from_flag(cli.store.as_deref())?;
            let loaded = match (&flag, cli.config.as_deref()) {
                (_, Some(path)) => match find_and_load(Some(path)) {
                    Ok((_, c)) => Some(c),
                    Err(code) => return Ok(code),
                },
                _ => None,
            };
            let shared = flag.or_else(|| loaded.as_ref().and_then(|c| c.store.address.clone()));
            if let Some(watchfloor::store::StoreAddress::Postgres(pg)) = shared {
                if !have_terminal() {
                    return Ok(ExitCode::from(EXIT_CONFIG));
                }
                let screen = loaded.as_ref().map(watchfloor::config::ScreenConfig::from);
                let rt = runtime()?;
                rt.block_on(watchfloor::tui::run::run_shared(
                    screen,
                    &pg,
                    shutdown_signal(),
                ))?;
                return Ok(ExitCode::SUCCESS);
            }
            // With --config, the screen shows that file's names and views; without, it needs
            // only the data directory and shows what the collector published there (so an
            // analyst needs neither the config nor its secrets).
            let (screen, data) = match cli.config.as_deref() {
                Some(path) => {
                    let (_, config) = match find_and_load(Some(path)) {
                        Ok(found) => found,
                        Err(code) => return Ok(code),
                    };
                    let data = data_dir(cli.data.as_deref(), &config)?;
                    (Some(watchfloor::config::ScreenConfig::from(&config)), data)
                }
                None => {
                    let data = match cli.data {
                        Some(dir) => dir,
                        None => config_path(None)
                            .and_then(|p| config::load(&p).ok())
                            .map_or_else(default_data_dir, |c| data_dir(None, &c))?,
                    };
                    (None, data)
                }
            };
            init_file_logging(&data);
            let rt = runtime()?;
            rt.block_on(attach_screen(screen, data))
        }
        Some(Command::Baseline { action }) => {
            init_logging();
            let data = match data_dir_given_or_configured(cli.data, cli.config.as_deref())? {
                Ok(dir) => dir,
                Err(code) => return Ok(code),
            };
            baseline(action, &data)
        }
        Some(Command::Brief {
            since,
            format,
            out,
            notify,
        }) => {
            init_logging();
            let (_, config) = match find_and_load(cli.config.as_deref()) {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let store = read_store(cli.store.as_deref(), cli.data.as_deref(), &config)?;
            brief(
                &config,
                &store,
                &since,
                format,
                out.as_deref(),
                notify.as_deref(),
            )
        }
        Some(Command::Notify { action }) => {
            init_logging();
            let (_, config) = match find_and_load(cli.config.as_deref()) {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let data = data_dir(cli.data.as_deref(), &config)?;
            notify(action, &config, &data)
        }
        Some(Command::Check) => {
            init_logging();
            let Some(path) = config_path(cli.config.as_deref()) else {
                return Ok(no_config());
            };
            match config::load(&path) {
                Ok(c) => {
                    print!("{}", summary(&c));
                    if !c.feeds.iter().any(|f| f.enabled) {
                        eprintln!(
                            "{}: warning: no enabled feeds; `headless` and the screen refuse to start until one is added or enabled",
                            path.display()
                        );
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(errors) => {
                    eprintln!("{errors}");
                    eprintln!("{}: {} error(s)", path.display(), errors.0.len());
                    Ok(ExitCode::from(EXIT_CONFIG))
                }
            }
        }
        Some(Command::Export {
            format,
            since,
            min_severity,
            countries,
            rules,
            out,
            id,
        }) => {
            init_logging();
            let (_, config) = match find_and_load(cli.config.as_deref()) {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            let store = read_store(cli.store.as_deref(), cli.data.as_deref(), &config)?;
            export(
                &config,
                &store,
                ExportArgs {
                    format,
                    since,
                    min_severity,
                    countries,
                    rules,
                    out,
                    id,
                },
            )
        }
        Some(Command::Headless {
            once,
            archive,
            metrics,
            serve,
        }) => {
            init_logging();
            let (path, config) = match find_and_load(cli.config.as_deref()) {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            if !config.feeds.iter().any(|f| f.enabled) {
                eprintln!(
                    "{}: no enabled feeds; nothing to poll (add a [[feeds]] entry or set enabled = true)",
                    path.display()
                );
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
            let flag = cli::store::from_flag(cli.store.as_deref())?;
            let store = flag.or_else(|| config.store.address.clone());
            let archive = match archive {
                Some(dir) => Some(
                    watchfloor::feed::archive::Archive::start(&dir, config.settings.archive_max)
                        .with_context(|| format!("archive directory {}", dir.display()))?,
                ),
                None => None,
            };
            let archived = archive.as_ref().map(|a| a.writer());
            if let Some(watchfloor::store::StoreAddress::Postgres(pg)) = store {
                let ran = run_desk(config, pg, path, Servers { metrics, serve }, archive, once);
                if let Some(w) = archived {
                    w.wait();
                }
                return ran.map(|()| ExitCode::SUCCESS);
            }
            let data = data_dir(cli.data.as_deref(), &config)?;
            let options = Options {
                once,
                archive,
                metrics: metrics.map(|_| Arc::default()),
                ..Options::default()
            };
            run_headless(
                config,
                &data,
                options,
                Servers { metrics, serve },
                (!once).then_some(path),
            )?;
            if let Some(w) = archived {
                w.wait();
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Replay { paths }) => {
            init_logging();
            let (_, config) = match find_and_load(cli.config.as_deref()) {
                Ok(found) => found,
                Err(code) => return Ok(code),
            };
            replay(&config, &paths)
        }
        Some(Command::Backup { file }) => {
            init_logging();
            let data = match data_dir_given_or_configured(cli.data, cli.config.as_deref())? {
                Ok(dir) => dir,
                Err(code) => return Ok(code),
            };
            // Read-only: a backup never migrates or otherwise changes what it copies.
            let store = watchfloor::store::SqliteStore::open_read_only(&data)?;
            let r = store.backup(&file)?;
            println!(
                "{}: {} bytes, schema {}, {} items, {} alerts (from {})",
                file.display(),
                r.bytes,
                r.schema,
                r.items,
                r.alerts,
                data.join(watchfloor::store::DB_FILE).display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Store {
            action: StoreAction::Init,
        }) => {
            init_logging();
            let Some(address) = cli::store::from_flag(cli.store.as_deref())? else {
                anyhow::bail!("store init needs --store postgres://… (or WATCHFLOOR_STORE)");
            };
            cli::store::init(&address)
        }
        Some(Command::Store {
            action: StoreAction::Copy { from, to },
        }) => {
            init_logging();
            let to = cli::store::from_flag(to.as_deref().or(cli.store.as_deref()))?;
            cli::store::copy(&from, to.as_ref())
        }
        Some(Command::Tail {
            consumer,
            from_end,
            once,
        }) => {
            init_logging();
            let address = match cli::store::from_flag(cli.store.as_deref())? {
                Some(a) => a,
                None if cli.config.is_none() && cli.data.is_some() => {
                    watchfloor::store::StoreAddress::Sqlite(cli.data.unwrap_or_default())
                }
                None => match find_and_load(cli.config.as_deref()) {
                    Ok((_, c)) => {
                        let dir = data_dir(cli.data.as_deref(), &c)?;
                        cli::store::resolve(None, c.store.address.clone(), &dir)
                    }
                    Err(code) => return Ok(code),
                },
            };
            cli::store::run_tail(&address, &consumer, from_end, !once)
        }
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "watchfloor", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man { dir }) => {
            use clap::CommandFactory;
            match dir {
                Some(dir) => {
                    std::fs::create_dir_all(&dir)
                        .with_context(|| format!("creating {}", dir.display()))?;
                    clap_mangen::generate_to(Cli::command(), &dir)
                        .with_context(|| format!("writing manual pages into {}", dir.display()))?;
                }
                None => clap_mangen::Man::new(Cli::command())
                    .render(&mut std::io::stdout())
                    .context("writing the manual page")?,
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Demo { headless, speed }) => {
            if !(speed.is_finite() && (0.1..=10_000.0).contains(&speed)) {
                eprintln!("watchfloor: --speed must be between 0.1 and 10000");
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
            run_demo(cli.config.as_deref(), cli.data.as_deref(), speed, headless)
        }
    }
}

/// Finds the config file and loads it; on failure prints why and gives the exit code.
fn find_and_load(flag: Option<&Path>) -> Result<(PathBuf, Config), ExitCode> {
    let Some(path) = config_path(flag) else {
        return Err(no_config());
    };
    match config::load(&path) {
        Ok(c) => Ok((path, c)),
        Err(errors) => {
            eprintln!("{errors}");
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

/// The Atom feed's title: the config's file name, never its whole path.
fn feed_title(config: &Config) -> String {
    match config.path.file_stem().and_then(|n| n.to_str()) {
        Some(name) => format!("watchfloor alerts ({name})"),
        None => "watchfloor alerts".into(),
    }
}

struct ExportArgs {
    format: ExportFormat,
    since: String,
    min_severity: Option<String>,
    countries: Vec<String>,
    rules: Vec<String>,
    out: Option<PathBuf>,
    id: Option<String>,
}

/// The store `brief` and `export` read: `--store`, else the config's `[store] url`, else the
/// data directory (opened read only).
fn read_store(
    flag: Option<&str>,
    data: Option<&Path>,
    config: &config::Config,
) -> anyhow::Result<watchfloor::store::AnyStore> {
    use watchfloor::store::{AnyStore, PgStore, SqliteStore, StoreAddress};
    match cli::store::from_flag(flag)?.or_else(|| config.store.address.clone()) {
        Some(StoreAddress::Postgres(pg)) => Ok(AnyStore::Postgres(
            PgStore::open_existing(&pg).with_context(|| format!("reading {}", pg.label()))?,
        )),
        Some(StoreAddress::Sqlite(dir)) => Ok(AnyStore::Sqlite(
            SqliteStore::open_read_only(&dir)
                .with_context(|| format!("reading {}", dir.display()))?,
        )),
        None => {
            let dir = data_dir(data, config)?;
            Ok(AnyStore::Sqlite(
                SqliteStore::open_read_only(&dir)
                    .with_context(|| format!("reading {}", dir.display()))?,
            ))
        }
    }
}

fn export(
    config: &config::Config,
    store: &watchfloor::store::AnyStore,
    args: ExportArgs,
) -> anyhow::Result<ExitCode> {
    use watchfloor::outputs::export::{self, Selection};
    use watchfloor::store::PeriodReads;
    let usage = |m: String| {
        eprintln!("watchfloor: {m}");
        Ok(ExitCode::from(EXIT_CONFIG))
    };
    let period = match config::units::parse_duration(&args.since) {
        Ok(d) if d <= std::time::Duration::from_secs(366 * 86_400) => d,
        Ok(_) => return usage(format!("--since {:?}: at most 366d", args.since)),
        Err(e) => return usage(format!("--since {:?}: {e}", args.since)),
    };
    let mut sel = Selection::default();
    if let Some(s) = &args.min_severity {
        match config::Severity::parse(s) {
            Some(v) => sel.min_severity = Some(v),
            None => {
                return usage(format!(
                    "--min-severity {s:?}: use info, low, medium, high or critical"
                ));
            }
        }
    }
    for c in &args.countries {
        match watchfloor::geo::lookup(c) {
            Some(code) => sel.countries.push(code),
            None => return usage(format!("--country {c:?} is not a country code or name")),
        }
    }
    sel.rules = args.rules.clone();
    let cap = export::CapContext::from_config(config);
    let write_whole = |path: &Path, text: &str| -> anyhow::Result<()> {
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    };
    if let Some(id) = &args.id {
        let Some(alert) = store.alert_by_id(id)? else {
            eprintln!("watchfloor: no alert {id:?} in {}", store.label());
            return Ok(ExitCode::FAILURE);
        };
        let revised = store.revised_at(&[id.as_str()])?.get(id).copied();
        let docs = export::cap_documents(&alert, revised, &cap);
        if let Some((_, xml)) = docs.last() {
            print!("{xml}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let now = chrono::Utc::now();
    let alerts: Vec<_> = store
        .alerts_between(watchfloor::time::before(now, period), now)?
        .into_iter()
        .filter(|a| sel.takes(a))
        .collect();
    match args.format {
        ExportFormat::Cap => {
            let Some(dir) = &args.out else {
                return usage(
                    "--format cap writes one document per alert: pass --out DIR (or --id ALERT for one on stdout)".into(),
                );
            };
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let ids: Vec<&str> = alerts.iter().map(|a| a.id.as_str()).collect();
            let revised = store.revised_at(&ids)?;
            let mut files = 0;
            for a in &alerts {
                for (stem, xml) in export::cap_documents(a, revised.get(&a.id).copied(), &cap) {
                    write_whole(&dir.join(format!("{stem}.xml")), &xml)?;
                    files += 1;
                }
            }
            eprintln!(
                "{} alert(s) written as {files} CAP document(s) in {}",
                alerts.len(),
                dir.display()
            );
        }
        ExportFormat::Atom => {
            use watchfloor::store::Store;
            let mut newest = alerts;
            newest.reverse();
            let feed = export::AtomFeed {
                id: format!("urn:watchfloor:{}", store.id()),
                title: feed_title(config),
                self_url: None,
                now,
            };
            let text = export::atom_feed(&feed, &newest);
            match &args.out {
                Some(path) => write_whole(path, &text)?,
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn brief(
    config: &config::Config,
    store: &watchfloor::store::AnyStore,
    since: &str,
    format: watchfloor::brief::Format,
    out: Option<&Path>,
    notify: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let period = match config::units::parse_duration(since) {
        Ok(d)
            if d > std::time::Duration::ZERO
                && d <= std::time::Duration::from_secs(366 * 86_400) =>
        {
            d
        }
        Ok(_) => {
            eprintln!("watchfloor: --since {since:?}: give a period from 1s to 366d");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
        Err(e) => {
            eprintln!("watchfloor: --since {since:?}: {e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let target = match notify {
        None => None,
        Some(id) => match config.notify.iter().find(|t| t.id == id) {
            Some(t) => Some(t),
            None => return Ok(no_target(config, id)),
        },
    };
    let until = chrono::Utc::now();
    let since = watchfloor::time::before(until, period);
    let screen = config::ScreenConfig::from(config);
    let b = watchfloor::brief::gather(store, &screen, since, until)?;
    let text = watchfloor::brief::render(&b, format);
    match out {
        Some(path) => {
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &text).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))?;
        }
        None => {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            if let Err(e) = stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                && e.kind() != std::io::ErrorKind::BrokenPipe
            {
                return Err(e.into());
            }
        }
    }
    let Some(target) = target else {
        return Ok(ExitCode::SUCCESS);
    };
    // The brief goes out as Markdown whatever was written to the file; a webhook also gets
    // the whole model as JSON.
    let md = watchfloor::brief::render(&b, watchfloor::brief::Format::Md);
    let json = serde_json::to_value(&b).unwrap_or_default();
    let key = format!("brief-{}", until.timestamp());
    let message = watchfloor::outputs::notify::Message::document(
        &watchfloor::brief::title(&b),
        &md,
        serde_json::json!({ "brief": json }),
        &key,
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let mut last = String::new();
    for attempt in 0..3u32 {
        if attempt > 0 {
            std::thread::sleep(std::time::Duration::from_secs(2u64.pow(attempt)));
        }
        match rt.block_on(watchfloor::outputs::notify::send_message(
            config, target, &message,
        )) {
            Ok(took) => {
                eprintln!(
                    "brief sent through {} ({}) in {} ms",
                    target.id,
                    target.kind.name(),
                    took.as_millis()
                );
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => last = e.message,
        }
    }
    eprintln!(
        "watchfloor: brief not sent through {} ({}): {last}",
        target.id,
        target.kind.name()
    );
    Ok(ExitCode::FAILURE)
}

/// Says that no `[[notify]]` target has this id, naming those that exist.
fn no_target(config: &config::Config, id: &str) -> ExitCode {
    let known: Vec<&str> = config.notify.iter().map(|t| t.id.as_str()).collect();
    eprintln!(
        "watchfloor: no notify target {id:?}; configured: {}",
        if known.is_empty() {
            "none".to_string()
        } else {
            known.join(", ")
        }
    );
    ExitCode::from(EXIT_CONFIG)
}

fn notify(action: NotifyAction, config: &config::Config, data: &Path) -> anyhow::Result<ExitCode> {
    match action {
        NotifyAction::Test { id } => {
            let Some(target) = config.notify.iter().find(|t| t.id == id) else {
                return Ok(no_target(config, &id));
            };
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()?;
            match rt.block_on(watchfloor::outputs::notify::send_test(config, target)) {
                Ok(took) => {
                    println!(
                        "{} ({}): delivered in {} ms",
                        target.id,
                        target.kind.name(),
                        took.as_millis()
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    println!(
                        "{} ({}): not delivered: {}",
                        target.id,
                        target.kind.name(),
                        e.message
                    );
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        NotifyAction::List => {
            use watchfloor::store::Store;
            let store = watchfloor::store::SqliteStore::open_read_only(data).ok();
            let end = store.as_ref().and_then(|s| s.outbox_end().ok());
            for t in &config.notify {
                let f = &t.filter;
                let mut what = vec![format!("{} and up", f.min_severity.as_str())];
                what.push(f.events.join("/"));
                if !f.countries.is_empty() {
                    what.push(
                        f.countries
                            .iter()
                            .map(|c| c.as_str())
                            .collect::<Vec<_>>()
                            .join(" "),
                    );
                }
                if !f.rules.is_empty() {
                    what.push(format!("rules {}", f.rules.join(" ")));
                }
                if let Some(d) = t.digest {
                    what.push(format!("digest {}", config::units::fmt_duration(d)));
                }
                let position = store
                    .as_ref()
                    .and_then(|s| {
                        s.consumer(&watchfloor::outputs::notify::consumer_name(&t.id))
                            .ok()
                    })
                    .flatten();
                let behind = match (position, end) {
                    (Some(p), Some(e)) => format!("{} event(s) behind", (e - p).max(0)),
                    _ => "not started yet".to_string(),
                };
                println!(
                    "{} {:<20} {:<8} {}; {behind}",
                    if t.enabled { "+" } else { "-" },
                    t.id,
                    t.kind.name(),
                    what.join(", ")
                );
            }
            if config.notify.is_empty() {
                println!("no [[notify]] targets configured");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn no_config() -> ExitCode {
    eprintln!(
        "watchfloor: no config file found; pass --config FILE, set WATCHFLOOR_CONFIG, or create ./config/watchfloor.toml or ~/.config/watchfloor/watchfloor.toml"
    );
    ExitCode::from(EXIT_CONFIG)
}

fn config_path(flag: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("WATCHFLOOR_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let local = PathBuf::from("config/watchfloor.toml");
    if local.is_file() {
        return Some(local);
    }
    dirs::config_dir()
        .map(|d| d.join("watchfloor/watchfloor.toml"))
        .filter(|p| p.is_file())
}

/// `watchfloor baseline import|show`.
fn baseline(action: BaselineAction, data: &Path) -> anyhow::Result<ExitCode> {
    use watchfloor::store::Store;
    match action {
        BaselineAction::Import { file, column } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let name = file.file_name().map_or_else(
                || file.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            let import = match watchfloor::baseline::read_ewp(&text, &name, column.as_deref()) {
                Ok(import) => import,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(ExitCode::from(EXIT_CONFIG));
                }
            };
            for row in &import.unmatched {
                let cow = if row.cow.is_empty() { "none" } else { &row.cow };
                eprintln!(
                    "{}:{}: no country for {:?} (COW {cow}); row skipped",
                    file.display(),
                    row.line,
                    watchfloor::text::clean(&row.name, 80)
                );
            }
            for (line, row) in &import.without_risk {
                eprintln!(
                    "{}:{line}: no risk for {:?} in column {}; row skipped",
                    file.display(),
                    watchfloor::text::clean(row, 80),
                    import.column
                );
            }
            if import.estimates.is_empty() {
                eprintln!("{}: no country imported", file.display());
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
            std::fs::create_dir_all(data)
                .with_context(|| format!("cannot create data directory {}", data.display()))?;
            let mut store = watchfloor::store::SqliteStore::open(data)
                .with_context(|| format!("data directory {}", data.display()))?;
            store
                .replace_baseline(&import.estimates, chrono::Utc::now())
                .context("storing the baseline")?;
            println!(
                "imported {} countries from {} (column {}); {} row(s) not matched",
                import.estimates.len(),
                file.display(),
                import.column,
                import.unmatched.len() + import.without_risk.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        BaselineAction::Show => {
            let store = watchfloor::store::SqliteStore::open_existing(data)
                .with_context(|| format!("data directory {}", data.display()))?;
            let estimates = store.baseline().context("reading the baseline")?;
            if estimates.is_empty() {
                println!("no baseline imported (watchfloor baseline import FILE.csv)");
            }
            for e in estimates {
                println!(
                    "{:>4}/{:<4} {}  {:>6.2}%  {}  {}",
                    e.rank,
                    e.of,
                    e.country,
                    e.risk * 100.0,
                    e.country.name(),
                    e.source
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn data_dir(flag: Option<&Path>, config: &Config) -> anyhow::Result<PathBuf> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = &config.settings.data_dir {
        return Ok(if p.is_relative() {
            config.dir().join(p)
        } else {
            p.clone()
        });
    }
    default_data_dir()
}

/// `--data` when given (no config needed), else the config's data directory; `Err` is the exit
/// code of a config that could not be found or loaded (its errors already printed).
fn data_dir_given_or_configured(
    data: Option<PathBuf>,
    config: Option<&Path>,
) -> anyhow::Result<Result<PathBuf, ExitCode>> {
    if let Some(dir) = data {
        return Ok(Ok(dir));
    }
    match find_and_load(config) {
        Ok((_, c)) => data_dir(None, &c).map(Ok),
        Err(code) => Ok(Err(code)),
    }
}

/// The XDG data directory's `watchfloor`.
fn default_data_dir() -> anyhow::Result<PathBuf> {
    dirs::data_dir()
        .map(|d| d.join("watchfloor"))
        .context("no data directory: pass --data DIR or set settings.data_dir")
}

fn summary(c: &Config) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let enabled = c.feeds.iter().filter(|f| f.enabled).count();
    let _ = writeln!(s, "{}: ok", c.path.display());
    let _ = writeln!(
        s,
        "feeds: {} ({} enabled, {} disabled)",
        c.feeds.len(),
        enabled,
        c.feeds.len() - enabled
    );
    for f in &c.feeds {
        let _ = writeln!(
            s,
            "  {} {:<24} every {:<8} {}",
            if f.enabled { "+" } else { "-" },
            f.id,
            config::units::fmt_duration(f.interval),
            f.url_display
        );
        if let Some(auth) = &f.auth {
            let host = url::Url::parse(&auth.token_url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "    {:<24} signs in at {host} ({} grant)",
                "",
                auth.grant.name()
            );
        }
    }
    let _ = writeln!(s, "rules: {}", c.rules.len());
    for r in &c.rules {
        let detail = match &r.kind {
            config::RuleKind::Factors {
                min,
                any_of,
                with,
                window,
                mentions,
            } => {
                let list = |v: &[u8]| {
                    v.iter()
                        .map(|f| f.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                };
                let mut parts = Vec::new();
                if let Some(m) = min {
                    parts.push(format!("{m}+ factors"));
                }
                if !any_of.is_empty() {
                    parts.push(format!("any of {}", list(any_of)));
                }
                let mut d = parts.join(" or ");
                if !with.is_empty() {
                    d.push_str(&format!(" with {}", list(with)));
                }
                format!(
                    "{d} with evidence in {}{}",
                    config::units::fmt_duration(*window),
                    if *mentions { " (mentions count)" } else { "" }
                )
            }
            config::RuleKind::Keywords { any, all, not } => format!(
                "{} terms (+{} required, {} excluded)",
                any.len(),
                all.len(),
                not.len()
            ),
            config::RuleKind::Threshold {
                field,
                op,
                limit,
                window,
            } => match window {
                Some(w) => format!(
                    "sum of {field} over {} {} {limit}",
                    config::units::fmt_duration(*w),
                    op.as_str()
                ),
                None => format!("{field} {} {limit}", op.as_str()),
            },
            config::RuleKind::Spike {
                of,
                slot,
                history,
                factor,
                min,
            } => format!(
                "{} per {} vs {factor}x the mean per {} over {}, at least {min}",
                of.as_deref()
                    .map_or("items".to_string(), |o| format!("hits of {o}")),
                config::units::fmt_duration(*slot),
                config::units::fmt_duration(*slot),
                config::units::fmt_duration(*history)
            ),
            config::RuleKind::Count { of, limit, window } => format!(
                "{limit} {} in {}",
                of.as_deref()
                    .map_or("items".to_string(), |o| format!("hits of {o}")),
                config::units::fmt_duration(*window)
            ),
            config::RuleKind::Silence { scope, after } => format!(
                "{} quiet for {}",
                match scope {
                    config::SilenceScope::Feed => "a feed",
                    config::SilenceScope::Country => "a watched country",
                },
                match after {
                    config::After::Auto => "longer than it usually is".to_string(),
                    config::After::Fixed(d) => config::units::fmt_duration(*d),
                }
            ),
        };
        let _ = writeln!(
            s,
            "  {:<24} {:<9} {:<8} {detail}",
            r.id,
            r.kind.name(),
            r.severity.as_str()
        );
    }
    if !c.notify.is_empty() {
        let _ = writeln!(s, "notify: {}", c.notify.len());
        for t in &c.notify {
            let f = &t.filter;
            let mut what = vec![
                format!("{} and up", f.min_severity.as_str()),
                f.events.join("/"),
            ];
            if !f.countries.is_empty() {
                what.push(
                    f.countries
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(" "),
                );
            }
            if let Some(d) = t.digest {
                what.push(format!("digest {}", config::units::fmt_duration(d)));
            }
            let _ = writeln!(
                s,
                "  {} {:<22} {:<8} {}",
                if t.enabled { "+" } else { "-" },
                t.id,
                t.kind.name(),
                what.join(", ")
            );
        }
    }
    let codes: Vec<&str> = c.countries.iter().map(|w| w.code.as_str()).collect();
    if codes.is_empty() {
        let _ = writeln!(s, "watchlist: none (countries appear as they alert)");
        return s;
    }
    let _ = writeln!(
        s,
        "watchlist: {} {}: {}",
        codes.len(),
        if codes.len() == 1 {
            "country"
        } else {
            "countries"
        },
        codes.join(" ")
    );
    s
}

fn replay(config: &Config, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let inputs = match watchfloor::replay::inputs(config, paths) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("watchfloor: {e}");
            return Ok(ExitCode::from(EXIT_CONFIG));
        }
    };
    let tmp = std::env::temp_dir();
    let dir = watchfloor::replay::scratch::Scratch::create_in(&tmp)?;
    match dir.removed() {
        0 => {}
        1 => eprintln!(
            "watchfloor: removed the temporary store a stopped replay left in {}",
            tmp.display()
        ),
        n => eprintln!(
            "watchfloor: removed the temporary stores {n} stopped replays left in {}",
            tmp.display()
        ),
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = None;
    let summary = watchfloor::replay::run(config, &inputs, dir.path(), &mut |line| {
        if failed.is_none()
            && let Err(e) = writeln!(out, "{line}")
        {
            failed = Some(e);
        }
    })?;
    match failed.map_or_else(|| out.flush(), Err) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.context("writing events")?,
    }
    eprint!("{}", summary.table());
    Ok(ExitCode::SUCCESS)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Parsing runs on blocking threads; a few, reused, keep the allocator's per-thread
        // arenas (and so resident memory) small.
        .max_blocking_threads(4)
        .build()
        .context("starting the async runtime")
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// What `headless` serves over HTTP besides its stdout.
struct Servers {
    metrics: Option<std::net::SocketAddr>,
    serve: Option<std::net::SocketAddr>,
}

fn run_headless(
    config: Config,
    data: &Path,
    options: Options,
    servers: Servers,
    reload_from: Option<PathBuf>,
) -> anyhow::Result<()> {
    let Servers { metrics, serve } = servers;
    runtime()?.block_on(async {
        let mut hooks = monitor::Hooks::default();
        let _reloader = reload_from.map(|path| {
            let (tx, rx) = tokio::sync::watch::channel(None);
            hooks.reload = Some(rx);
            AbortOnDrop(tokio::spawn(reload_on_hangup(path, tx)))
        });
        let _server = match (metrics, &options.metrics) {
            (Some(addr), Some(m)) => Some(
                serve_metrics(
                    addr,
                    m.clone(),
                    watchfloor::store::StoreAddress::Sqlite(data.to_path_buf()),
                )
                .await?,
            ),
            _ => None,
        };
        let _feed = match serve {
            Some(addr) => Some(
                serve_alerts(
                    addr,
                    watchfloor::store::StoreAddress::Sqlite(data.to_path_buf()),
                    &config,
                )
                .await?,
            ),
            None => None,
        };
        print_events(config, data, options, hooks).await
    })
}

/// Serves the alerts of `store` as Atom and CAP on `addr` (`--serve`) until dropped, and says
/// where on stderr.
async fn serve_alerts(
    addr: std::net::SocketAddr,
    store: watchfloor::store::StoreAddress,
    config: &Config,
) -> anyhow::Result<AbortOnDrop> {
    let cap = watchfloor::outputs::export::CapContext::from_config(config);
    let (bound, handle) = monitor::serve::serve(addr, store, cap, feed_title(config))
        .await
        .with_context(|| format!("serving the alert feed on {addr}"))?;
    eprintln!(
        "watchfloor: alert feed on http://{bound}/alerts.atom, CAP on http://{bound}/alerts/ID.xml"
    );
    Ok(AbortOnDrop(handle))
}

/// On each SIGHUP (`systemctl reload`), loads the config again: a valid one goes to the
/// monitor; one with errors is refused, each error logged with its file, line and column, and
/// the running config kept.
async fn reload_on_hangup(path: PathBuf, tx: tokio::sync::watch::Sender<Option<Arc<Config>>>) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; reloading the config needs a restart");
            return;
        };
        while hup.recv().await.is_some() {
            let p = path.clone();
            match tokio::task::spawn_blocking(move || config::load(&p)).await {
                Ok(Ok(c)) => {
                    if c.feeds.iter().any(|f| f.enabled) {
                        let _ = tx.send(Some(Arc::new(c)));
                    } else {
                        tracing::warn!(
                            "{}: reload refused: no enabled feeds; the running config is kept",
                            path.display()
                        );
                    }
                }
                Ok(Err(errors)) => {
                    for e in &errors.0 {
                        tracing::warn!("reload refused: {e}");
                    }
                    tracing::warn!(
                        "{}: reload refused: {} error(s); the running config is kept",
                        path.display(),
                        errors.0.len()
                    );
                }
                Err(_) => tracing::warn!("reload failed: the loader stopped"),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (path, tx);
    }
}

/// Stops a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

/// Serves `/metrics` and `/healthz` on `addr` for as long as the guard lives, and says where.
async fn serve_metrics(
    addr: std::net::SocketAddr,
    metrics: Arc<monitor::metrics::Metrics>,
    store: watchfloor::store::StoreAddress,
) -> anyhow::Result<AbortOnDrop> {
    let (bound, handle) = monitor::metrics::serve(addr, metrics, store)
        .await
        .with_context(|| format!("serving metrics on {addr}"))?;
    eprintln!("watchfloor: metrics on http://{bound}/metrics, health on http://{bound}/healthz");
    Ok(AbortOnDrop(handle))
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One collector of a desk sharing a PostgreSQL store: its own events on stdout. On SIGHUP
/// (`systemctl reload`) a valid config makes it leave the desk cleanly and join again with it.
/// With `once`, a single round over the feeds no other collector holds.
fn run_desk(
    config: Config,
    pg: watchfloor::store::address::PgAddress,
    reload_from: PathBuf,
    servers: Servers,
    archive: Option<watchfloor::feed::archive::Archive>,
    once: bool,
) -> anyhow::Result<()> {
    let Servers { metrics, serve } = servers;
    runtime()?.block_on(async {
        // The desk's alerts as Atom and CAP, read from the shared store.
        let _feed = match serve {
            Some(addr) => Some(
                serve_alerts(
                    addr,
                    watchfloor::store::StoreAddress::Postgres(pg.clone()),
                    &config,
                )
                .await?,
            ),
            None => None,
        };
        // One set of counters for the collector's life, across reloads.
        let counters: Option<Arc<monitor::metrics::Metrics>> = metrics.map(|_| Arc::default());
        let _metrics = match (metrics, &counters) {
            (Some(addr), Some(m)) => Some(
                serve_metrics(
                    addr,
                    m.clone(),
                    watchfloor::store::StoreAddress::Postgres(pg.clone()),
                )
                .await?,
            ),
            _ => None,
        };
        let (reload_tx, mut reloads) = tokio::sync::watch::channel(None);
        let _reloader = AbortOnDrop(tokio::spawn(reload_on_hangup(reload_from, reload_tx)));
        // One shutdown for every run: a signal during a reload still stops the collector.
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let _stopper = AbortOnDrop(tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop_tx.send(true);
        }));
        let mut config = Arc::new(config);
        loop {
            let mut stop = stop.clone();
            let shutdown = async move {
                let _ = stop.wait_for(|s| *s).await;
            };
            // What the last run took is seen: the next run waits for a newer config.
            reloads.mark_unchanged();
            let sink = Box::new(JsonLines::new(std::io::stdout()));
            match monitor::desk::run(
                config.clone(),
                pg.clone(),
                Some(sink),
                Arc::new(SystemClock),
                Options {
                    once,
                    archive: archive.clone(),
                    metrics: counters.clone(),
                    ..Options::default()
                },
                Some(reloads.clone()),
                shutdown,
            )
            .await
            {
                Ok(monitor::desk::Ended::Reload(new)) => {
                    if let Some(watchfloor::store::StoreAddress::Postgres(other)) =
                        &new.store.address
                        && other.label() != pg.label()
                    {
                        tracing::warn!(
                            "{}: the reloaded config names another store ({}); this collector stays on {} until it is restarted",
                            new.path.display(),
                            other.label(),
                            pg.label()
                        );
                    }
                    tracing::info!(
                        "config reloaded from {}; the collector joins the desk again",
                        new.path.display()
                    );
                    config = new;
                }
                Ok(monitor::desk::Ended::Stopped) => return Ok(()),
                Err(e) if e.is_broken_pipe() => return Ok(()),
                Err(e) => return Err(e.into()),
            }
        }
    })
}

async fn print_events(
    config: Config,
    data: &Path,
    options: Options,
    hooks: monitor::Hooks,
) -> anyhow::Result<()> {
    let sink = Box::new(JsonLines::new(std::io::stdout()));
    match monitor::run(
        Arc::new(config),
        data,
        Some(sink),
        Arc::new(SystemClock),
        options,
        hooks,
        shutdown_signal(),
    )
    .await
    {
        Ok(()) => Ok(()),
        // A closed stdout (e.g. `| head`) is a normal way to stop.
        Err(e) if e.is_broken_pipe() => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn run_demo(
    config_flag: Option<&Path>,
    data_flag: Option<&Path>,
    speed: f64,
    headless: bool,
) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    rt.block_on(async {
        // A throw-away data directory unless one is given.
        let tmp = tempfile::Builder::new()
            .prefix("watchfloor-demo-")
            .tempdir()
            .context("creating a temporary data directory")?;
        let data = data_flag.map_or_else(|| tmp.path().to_path_buf(), Path::to_path_buf);
        if headless {
            init_logging();
        } else {
            init_file_logging(&data);
        }
        let server = watchfloor::demo::server::start(speed)
            .await
            .context("starting the demo feed server on 127.0.0.1")?;
        let config = match watchfloor::demo::config_for(config_flag, &server.base_url()) {
            Ok((c, offline)) => {
                if !offline.is_empty() {
                    eprintln!(
                        "watchfloor demo: left out {} feed(s) of {} that poll real sources ({}): the demo stays offline and speeds polling up; run `watchfloor --config {}` to poll them",
                        offline.len(),
                        c.path.display(),
                        offline.join(", "),
                        c.path.display()
                    );
                }
                if !c.feeds.iter().any(|f| f.enabled) {
                    eprintln!(
                        "watchfloor demo: {} has no demo feeds (http://127.0.0.1/PATH) left to poll",
                        c.path.display()
                    );
                    return Ok(ExitCode::from(EXIT_CONFIG));
                }
                c
            }
            Err(errors) => {
                eprintln!("{errors}");
                return Ok(ExitCode::from(EXIT_CONFIG));
            }
        };
        let options = Options {
            spread: std::time::Duration::from_secs(1),
            speed,
            ..Options::default()
        };
        if !headless {
            return run_screen(config, data, Some(options)).await;
        }
        eprintln!(
            "watchfloor demo: fictional feeds on {} (speed {speed}x); Ctrl-C to stop",
            server.base_url()
        );
        print_events(config, &data, options, monitor::Hooks::default()).await?;
        Ok(ExitCode::SUCCESS)
    })
}

/// Whether both ends of the terminal are one; says what to do instead when not.
fn have_terminal() -> bool {
    use std::io::IsTerminal;
    let yes = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if !yes {
        eprintln!(
            "watchfloor: the screen needs a terminal, and standard input or output is not one; run `watchfloor headless` for JSON lines, or `ssh -t` to get a terminal over SSH"
        );
    }
    yes
}

/// The screen over another process's database: with `screen` from a config, else the
/// settings the collector published in the store.
async fn attach_screen(
    screen: Option<watchfloor::config::ScreenConfig>,
    data: PathBuf,
) -> anyhow::Result<ExitCode> {
    if !have_terminal() {
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    wait_for_database(&data, screen.is_none()).await?;
    watchfloor::tui::run::run(
        screen,
        &data,
        watchfloor::tui::app::Mode::Attached,
        monitor::Hooks::default(),
        shutdown_signal(),
    )
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The screen with a monitor polling beside it. The monitor stops after the screen, letting
/// in-flight writes finish.
async fn run_screen(
    config: Config,
    data: PathBuf,
    options: Option<Options>,
) -> anyhow::Result<ExitCode> {
    use watchfloor::tui::app::Mode;
    if !have_terminal() {
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    let config = Arc::new(config);
    if !config.feeds.iter().any(|f| f.enabled) {
        eprintln!(
            "{}: no enabled feeds; nothing to poll",
            config.path.display()
        );
        return Ok(ExitCode::from(EXIT_CONFIG));
    }
    let hooks = monitor::Hooks::for_config(&config);
    let mut state = hooks
        .state
        .as_ref()
        .map(|s| s.subscribe())
        .context("monitor state channel")?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let monitor_task = tokio::spawn({
        let config = config.clone();
        let data = data.clone();
        let hooks = hooks.clone();
        let options = options.unwrap_or_default();
        async move {
            use futures_util::FutureExt;
            let stop = async {
                let _ = stop_rx.await;
            };
            let state = hooks.state.clone();
            let run = monitor::run(
                config,
                &data,
                None,
                Arc::new(SystemClock),
                options,
                hooks,
                stop,
            );
            // A panic in the monitor must reach the screen as a banner, not leave it
            // showing a picture that no longer moves.
            match std::panic::AssertUnwindSafe(run).catch_unwind().await {
                Ok(result) => result,
                Err(panic) => {
                    let why = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "unknown cause".into());
                    if let Some(s) = state {
                        s.send_replace(MonitorState::Stopped(format!(
                            "internal error: {}",
                            watchfloor::text::clean(&why, 200)
                        )));
                    }
                    Ok(())
                }
            }
        }
    });
    // The screen draws only once the monitor has opened (and migrated) the store, or says why
    // it could not.
    let ready = state
        .wait_for(|s| !matches!(s, MonitorState::Starting))
        .await
        .map(|s| s.clone());
    if !matches!(
        ready,
        Ok(MonitorState::Running | MonitorState::StoreFailing(_))
    ) {
        let monitored = monitor_task
            .await
            .context("the monitor task stopped unexpectedly")?;
        monitored?;
        anyhow::bail!("the monitor stopped before the screen opened");
    }
    let screen = watchfloor::tui::run::run(
        Some(watchfloor::config::ScreenConfig::from(&*config)),
        &data,
        Mode::Live,
        hooks,
        shutdown_signal(),
    )
    .await;
    let _ = stop_tx.send(());
    let monitored = monitor_task
        .await
        .context("the monitor task stopped unexpectedly")?;
    screen?;
    // The screen showed why the monitor stopped; quitting after that is a normal exit.
    if let Err(e) = monitored {
        tracing::warn!("monitor: {e}");
    }
    Ok(ExitCode::SUCCESS)
}

/// How long `attach` waits for a collector to create the database.
const ATTACH_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// Waits until the database in `data` exists and opens (a collector starting at the same
/// moment may still be creating it), and with `settings`, until its collector has published
/// what a screen shows.
async fn wait_for_database(data: &Path, settings: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let mut said = false;
    loop {
        let dir = data.to_path_buf();
        if dir.join(watchfloor::store::DB_FILE).is_file() && !watchfloor::store::writable(&dir) {
            // Only readable here: the screen opens it read-only and says so.
            return Ok(());
        }
        let opened = tokio::task::spawn_blocking(move || {
            watchfloor::store::SqliteStore::open_existing(&dir)
                .map(|s| !settings || s.screen_config().ok().flatten().is_some())
        })
        .await
        .context("opening the database")?;
        match opened {
            Ok(true) => return Ok(()),
            // The collector opened the file but has not described itself yet: it does so at
            // once after opening, so this is a short wait; past it, the screen says why.
            Ok(false) if started.elapsed() < std::time::Duration::from_secs(5) => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Ok(false) => return Ok(()),
            Err(e @ watchfloor::store::StoreError::Missing { .. }) => {
                if started.elapsed() > ATTACH_WAIT {
                    return Err(e.into());
                }
                if !said {
                    eprintln!(
                        "watchfloor: waiting up to {}s for a collector to create {}",
                        ATTACH_WAIT.as_secs(),
                        data.join(watchfloor::store::DB_FILE).display()
                    );
                    said = true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}
