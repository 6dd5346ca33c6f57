//! A throwaway PostgreSQL cluster for the test run: `initdb` and `pg_ctl` from the machine's
//! PostgreSQL (run as the `postgres` user when the tests run as root), in a temporary
//! directory, on a free loopback port, with password (SCRAM) logins over TCP. Started once per
//! test binary on first use and stopped when the process exits; each test gets a database of
//! its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The superuser of the throwaway cluster, and its password.
pub const ADMIN: &str = "wf_admin";
pub const ADMIN_PASSWORD: &str = "throwaway-admin";

/// A running cluster.
pub struct Cluster {
    pub port: u16,
    dir: PathBuf,
    bin: PathBuf,
    as_postgres: bool,
}

/// One database of the cluster, fresh for one test.
pub struct Database {
    pub name: String,
    pub port: u16,
}

impl Database {
    /// The URL of this database as `user` with `password` in it (a config's `[store] url`
    /// after `${VAR}` interpolation).
    pub fn url_as(&self, user: &str, password: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{}?sslmode=disable",
            self.port, self.name
        )
    }

    /// The PEM file of the CA that signed the cluster's certificate.
    pub fn ca_file(&self) -> PathBuf {
        cluster().unwrap().dir.join("ca.pem")
    }

    /// The URL as the cluster's superuser.
    pub fn url(&self) -> String {
        self.url_as(ADMIN, ADMIN_PASSWORD)
    }

    /// The URL without a password (the command line's form; the password comes from
    /// `PGPASSFILE`, see [`Database::pgpass`]).
    pub fn bare_url(&self, user: &str) -> String {
        format!(
            "postgres://{user}@127.0.0.1:{}/{}?sslmode=disable",
            self.port, self.name
        )
    }

    /// A password file (mode 600) in `dir` holding the superuser's and `more` logins.
    pub fn pgpass(&self, dir: &Path, more: &[(&str, &str)]) -> PathBuf {
        let path = dir.join("pgpass");
        let mut text = format!("127.0.0.1:{}:*:{ADMIN}:{ADMIN_PASSWORD}\n", self.port);
        for (user, pw) in more {
            text.push_str(&format!("127.0.0.1:{}:*:{user}:{pw}\n", self.port));
        }
        std::fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        path
    }

    /// Runs a query as the superuser in this database; its rows, unaligned.
    pub fn admin_query(&self, sql: &str) -> String {
        self.psql(&["-qtA"], sql)
    }

    /// Runs SQL as the superuser in this database (setting up logins, say).
    pub fn admin_sql(&self, sql: &str) {
        self.psql(&["-q"], sql);
    }

    fn psql(&self, flags: &[&str], sql: &str) -> String {
        let out = Command::new(cluster().unwrap().bin.join("psql"))
            .args(["-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p"])
            .arg(self.port.to_string())
            .args(flags)
            .args(["-U", ADMIN, "-d", &self.name, "-c", sql])
            .env("PGPASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// The machine's PostgreSQL programs, if installed.
fn bindir() -> Option<PathBuf> {
    if let Ok(out) = Command::new("pg_config").arg("--bindir").output()
        && out.status.success()
    {
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if dir.join("initdb").is_file() {
            return Some(dir);
        }
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn run(c: &Cluster, program: &str, args: &[&str]) -> std::process::Output {
    let mut cmd = if c.as_postgres {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(c.bin.join(program));
        cmd
    } else {
        Command::new(c.bin.join(program))
    };
    cmd.args(args).current_dir(&c.dir).output().unwrap()
}

static CLUSTER: OnceLock<Option<Cluster>> = OnceLock::new();

extern "C" fn stop_at_exit() {
    if let Some(Some(c)) = CLUSTER.get() {
        let data = c.dir.join("data");
        let _ = run(
            c,
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "immediate", "stop"],
        );
        let _ = std::fs::remove_dir_all(&c.dir);
    }
}

/// The cluster, started on first use; `None` (with a note on stderr) when PostgreSQL is not
/// installed.
pub fn cluster() -> Option<&'static Cluster> {
    CLUSTER
        .get_or_init(|| {
            let Some(bin) = bindir() else {
                eprintln!("PostgreSQL is not installed (no pg_config, no /usr/lib/postgresql/*/bin); PostgreSQL tests skipped");
                return None;
            };
            Some(start(bin))
        })
        .as_ref()
}

fn start(bin: PathBuf) -> Cluster {
    let dir = tempfile::Builder::new()
        .prefix("watchfloor-pg-")
        .tempdir()
        .unwrap()
        .keep();
    let as_postgres = is_root();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let c = Cluster {
        port,
        dir: dir.clone(),
        bin,
        as_postgres,
    };
    std::fs::write(dir.join("pwfile"), ADMIN_PASSWORD).unwrap();
    if as_postgres {
        let ok = Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(&dir)
            .status()
            .unwrap()
            .success();
        assert!(ok, "chown of {} to postgres failed", dir.display());
    }
    let data = dir.join("data");
    let data = data.to_str().unwrap();
    let out = run(
        &c,
        "initdb",
        &[
            "-D",
            data,
            "-U",
            ADMIN,
            "--pwfile=pwfile",
            "--auth-host=scram-sha-256",
            "--auth-local=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ],
    );
    assert!(
        out.status.success(),
        "initdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // TLS on offer (for URLs that ask for it) with a certificate from a CA of the test's own.
    let (ca, cert, key) = certificates();
    std::fs::write(dir.join("ca.pem"), ca).unwrap();
    for (name, pem) in [("server.crt", cert), ("server.key", key)] {
        let path = dir.join("data").join(name);
        std::fs::write(&path, pem).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        if as_postgres {
            Command::new("chown")
                .arg("postgres:postgres")
                .arg(&path)
                .status()
                .unwrap();
        }
    }
    let opts = format!(
        "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200 -c ssl=on",
        dir.display()
    );
    let log = dir.join("log");
    let out = run(
        &c,
        "pg_ctl",
        &[
            "-D",
            data,
            "-o",
            &opts,
            "-l",
            log.to_str().unwrap(),
            "-w",
            "start",
        ],
    );
    assert!(
        out.status.success(),
        "pg_ctl start: {}{}",
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    // SAFETY: registers a plain function to run at exit.
    unsafe {
        libc::atexit(stop_at_exit);
    }
    c
}

/// A CA and a certificate it signed for 127.0.0.1 and localhost: (CA PEM, certificate PEM,
/// key PEM).
fn certificates() -> (String, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    (ca_cert.pem(), cert.pem(), key.serialize_pem())
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty database, or `None` when PostgreSQL is not installed.
pub fn database() -> Option<Database> {
    let c = cluster()?;
    let name = format!(
        "t{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let out = Command::new(c.bin.join("createdb"))
        .args(["-h", "127.0.0.1", "-p"])
        .arg(c.port.to_string())
        .args(["-U", ADMIN, &name])
        .env("PGPASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "createdb: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(Database { name, port: c.port })
}

/// Which store a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file in a temporary directory.
    Sqlite,
    /// A fresh database in the throwaway cluster.
    Postgres,
}

/// A store opened for one test, with what keeps it alive.
pub struct Opened {
    pub store: watchfloor::store::AnyStore,
    pub address: watchfloor::store::StoreAddress,
    _dir: Option<tempfile::TempDir>,
    _db: Option<Database>,
}

/// Opens an empty store of the kind; `None` when it is PostgreSQL and that is not installed.
pub fn open(backend: Backend) -> Option<Opened> {
    use watchfloor::store::address::Origin;
    use watchfloor::store::{AnyStore, StoreAddress};
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let address = StoreAddress::Sqlite(dir.path().to_path_buf());
            Some(Opened {
                store: AnyStore::open(&address).unwrap(),
                address,
                _dir: Some(dir),
                _db: None,
            })
        }
        Backend::Postgres => {
            let db = database()?;
            let address = StoreAddress::parse(&db.url(), Origin::Config).unwrap();
            Some(Opened {
                store: AnyStore::open(&address).unwrap(),
                address,
                _dir: None,
                _db: Some(db),
            })
        }
    }
}
