//! Where the state lives: a SQLite data directory (the default) or a PostgreSQL database named
//! by a `postgres://` URL (`--store`, `WATCHFLOOR_STORE`, or `[store] url`).

use std::path::{Path, PathBuf};

/// A store's address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreAddress {
    /// The SQLite file in this data directory.
    Sqlite(PathBuf),
    /// A PostgreSQL database.
    Postgres(PgAddress),
}

/// A PostgreSQL connection string, with where its password comes from.
#[derive(Clone, PartialEq, Eq)]
pub struct PgAddress {
    url: String,
}

impl std::fmt::Debug for PgAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("PgAddress").field(&self.label()).finish()
    }
}

/// Where an address was given: a password is refused on the command line (it would show in
/// `ps` and the shell's history) but allowed from the config, where `${VAR}` puts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// `--store URL` or `WATCHFLOOR_STORE`.
    CommandLine,
    /// `[store] url` in the config (after `${VAR}` interpolation).
    Config,
}

/// Why an address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// A password written into a URL on the command line.
    #[error(
        "{label}: a password on the command line is refused (it shows in `ps` and the shell history); put it in [store] url as ${{VAR}}, or in the PostgreSQL password file (~/.pgpass or $PGPASSFILE)"
    )]
    PasswordOnCommandLine {
        /// The URL without its password.
        label: String,
    },
    /// Not a URL PostgreSQL accepts.
    #[error("{label}: {message}")]
    Invalid {
        /// The URL without its password.
        label: String,
        /// What is wrong.
        message: String,
    },
}

impl StoreAddress {
    /// Reads `value`: a `postgres://` or `postgresql://` URL selects PostgreSQL; anything else
    /// is a data directory.
    pub fn parse(value: &str, origin: Origin) -> Result<Self, AddressError> {
        let trimmed = value.trim();
        if !(trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://")) {
            return Ok(Self::Sqlite(PathBuf::from(trimmed)));
        }
        let pg = PgAddress {
            url: trimmed.to_string(),
        };
        let parsed = url::Url::parse(trimmed).map_err(|e| AddressError::Invalid {
            label: pg.label(),
            message: format!("not a URL: {e}"),
        })?;
        if origin == Origin::CommandLine
            && (parsed.password().is_some() || parsed.query_pairs().any(|(k, _)| k == "password"))
        {
            return Err(AddressError::PasswordOnCommandLine { label: pg.label() });
        }
        pg.config().map_err(|e| AddressError::Invalid {
            label: pg.label(),
            message: e,
        })?;
        Ok(Self::Postgres(pg))
    }

    /// The data directory, for a SQLite store.
    pub fn dir(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(p) => Some(p),
            Self::Postgres(_) => None,
        }
    }

    /// How the address is shown: a path, or the URL without its password.
    pub fn label(&self) -> String {
        match self {
            Self::Sqlite(p) => p.display().to_string(),
            Self::Postgres(pg) => pg.label(),
        }
    }
}

impl PgAddress {
    /// The URL with its password (and any `password=` parameter) masked.
    pub fn label(&self) -> String {
        match url::Url::parse(&self.url) {
            Ok(mut u) => {
                if u.password().is_some() {
                    let _ = u.set_password(Some("***"));
                }
                if u.query_pairs().any(|(k, _)| k == "password") {
                    let kept: Vec<(String, String)> = u
                        .query_pairs()
                        .map(|(k, v)| {
                            let v = if k == "password" {
                                "***".to_string()
                            } else {
                                v.into_owned()
                            };
                            (k.into_owned(), v)
                        })
                        .collect();
                    u.query_pairs_mut().clear().extend_pairs(kept);
                }
                u.to_string()
            }
            Err(_) => "postgres://(unreadable URL)".into(),
        }
    }

    /// The `sslrootcert` parameter: a PEM file of the certificate authorities to trust for
    /// this store instead of the system's (a desk's private CA).
    pub fn root_cert(&self) -> Option<PathBuf> {
        url::Url::parse(&self.url)
            .ok()?
            .query_pairs()
            .find(|(k, _)| k == "sslrootcert")
            .map(|(_, v)| PathBuf::from(v.into_owned()))
    }

    /// The URL as the driver reads it: without `sslrootcert` (read by [`PgAddress::root_cert`]),
    /// and with libpq's `verify-ca` and `verify-full` as `require`, which with rustls always
    /// checks the server's certificate chain and name.
    fn driver_url(&self) -> String {
        let Ok(mut u) = url::Url::parse(&self.url) else {
            return self.url.clone();
        };
        if !u
            .query_pairs()
            .any(|(k, v)| k == "sslrootcert" || (k == "sslmode" && v.starts_with("verify-")))
        {
            return self.url.clone();
        }
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "sslrootcert")
            .map(|(k, v)| {
                let v = if k == "sslmode" && v.starts_with("verify-") {
                    "require".to_string()
                } else {
                    v.into_owned()
                };
                (k.into_owned(), v)
            })
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
        u.to_string()
    }

    /// The connection settings, with the password taken from the password file when the URL
    /// has none.
    pub fn config(&self) -> Result<tokio_postgres::Config, String> {
        let mut config: tokio_postgres::Config = self
            .driver_url()
            .parse()
            .map_err(|e: tokio_postgres::Error| super::postgres::describe(&e))?;
        if config.get_user().is_none() {
            config.user(whoami::username().unwrap_or_else(|_| "postgres".into()));
        }
        if config.get_dbname().is_none()
            && let Some(user) = config.get_user()
        {
            let user = user.to_string();
            config.dbname(user);
        }
        if config.get_password().is_none()
            && let Some(pw) = super::pgpass::lookup(&config)
        {
            config.password(pw);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(std::time::Duration::from_secs(10));
        }
        if config.get_application_name().is_none() {
            config.application_name("watchfloor");
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_path_is_a_data_directory() {
        assert_eq!(
            StoreAddress::parse("/var/lib/watchfloor", Origin::CommandLine).unwrap(),
            StoreAddress::Sqlite("/var/lib/watchfloor".into())
        );
    }

    #[test]
    fn a_password_on_the_command_line_is_refused_and_never_shown() {
        for url in [
            "postgres://desk:hunter2@db.example.org/watch",
            "postgresql://db.example.org/watch?user=desk&password=hunter2",
        ] {
            let e = StoreAddress::parse(url, Origin::CommandLine)
                .unwrap_err()
                .to_string();
            assert!(e.contains("password on the command line"), "{e}");
            assert!(e.contains("${VAR}") && e.contains(".pgpass"), "{e}");
            assert!(!e.contains("hunter2"), "{e}");
        }
        assert!(matches!(
            StoreAddress::parse(
                "postgres://desk:hunter2@db.example.org/watch",
                Origin::Config
            )
            .unwrap(),
            StoreAddress::Postgres(_)
        ));
    }

    #[test]
    fn the_label_masks_the_password() {
        let StoreAddress::Postgres(pg) =
            StoreAddress::parse("postgres://desk:hunter2@db:5433/watch", Origin::Config).unwrap()
        else {
            panic!("not postgres")
        };
        assert_eq!(pg.label(), "postgres://desk:***@db:5433/watch");
        let c = pg.config().unwrap();
        assert_eq!(c.get_dbname(), Some("watch"));
        assert_eq!(c.get_password(), Some(&b"hunter2"[..]));
    }

    #[test]
    fn a_bad_url_names_itself() {
        let e = StoreAddress::parse("postgres://db/watch?sslmode=sometimes", Origin::Config)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("postgres://db/watch"), "{e}");
    }
}
