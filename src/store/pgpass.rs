//! The PostgreSQL password file (`$PGPASSFILE`, else `~/.pgpass`), read as libpq reads it:
//! `host:port:database:user:password` lines, `*` matching anything, `\:` and `\\` escaped,
//! and the file ignored unless only its owner may read it.

use std::path::PathBuf;

/// The password the file holds for this connection, if any.
pub fn lookup(config: &tokio_postgres::Config) -> Option<String> {
    let path = std::env::var_os("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                "{} is readable by others; PostgreSQL ignores it, and so does watchfloor (chmod 600 it)",
                path.display()
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(&path).ok()?;
    let host = match config.get_hosts().first() {
        Some(tokio_postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(tokio_postgres::config::Host::Unix(_)) | None => "localhost".into(),
        #[cfg(not(unix))]
        None => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let db = config.get_dbname().unwrap_or_default();
    let user = config.get_user().unwrap_or_default();
    find(&text, [&host, &port, db, user])
}

/// The first line of `text` whose four fields match `want`.
fn find(text: &str, want: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split(line);
            let [h, p, d, u, pw] = fields.as_slice() else {
                return None;
            };
            [h, p, d, u]
                .iter()
                .zip(want)
                .all(|(f, w)| f.as_str() == "*" || f.as_str() == w)
                .then(|| pw.clone())
        })
}

/// Splits a line at unescaped colons into at most five fields (the password may hold colons
/// when escaped).
fn split(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let (Some(next), Some(f)) = (chars.next(), fields.last_mut()) {
                    f.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(f) = fields.last_mut() {
                    f.push(c);
                }
            }
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_and_escapes_match_as_libpq_does() {
        let file = "# desk\n\
                    db.example.org:5432:watch:alice:s3cr\\:et\n\
                    *:*:*:bob:other\n";
        assert_eq!(
            find(file, ["db.example.org", "5432", "watch", "alice"]),
            Some("s3cr:et".into())
        );
        assert_eq!(
            find(file, ["localhost", "5433", "x", "bob"]),
            Some("other".into())
        );
        assert_eq!(
            find(file, ["db.example.org", "5432", "watch", "carol"]),
            None
        );
    }
}
