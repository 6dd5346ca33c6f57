//! Logs that can never leak a secret: every line passes through [`Redacting`], which replaces
//! each value that came from a `${VAR}` in the config with `***`, whatever crate logged it.

use std::io::{self, Write};
use std::sync::RwLock;

use tracing_subscriber::fmt::MakeWriter;

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Adds values to redact from every log line from now on.
pub fn add_secrets<'a>(secrets: impl IntoIterator<Item = &'a String>) {
    let mut list = SECRETS.write().unwrap_or_else(|p| p.into_inner());
    for s in secrets {
        if s.len() >= 3 && !list.contains(s) {
            list.push(s.clone());
        }
    }
    // Longer first, so a secret containing another is replaced whole.
    list.sort_by_key(|s| std::cmp::Reverse(s.len()));
}

/// Replaces every known secret in `text` with `***`.
pub fn redact(text: &str) -> String {
    let list = SECRETS.read().unwrap_or_else(|p| p.into_inner());
    let mut out = text.to_string();
    for s in list.iter() {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "***");
        }
    }
    out
}

/// A `MakeWriter` that redacts secrets from everything written through it.
#[derive(Debug)]
pub struct Redacting<M>(pub M);

/// The writer [`Redacting`] hands out.
#[derive(Debug)]
pub struct RedactingWriter<W>(W);

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        // tracing-subscriber writes each formatted event in one call, so a secret is never
        // split across two writes.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Redacting<M> {
    type Writer = RedactingWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter(self.0.make_writer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_become_stars() {
        add_secrets(&["hunter2-token".to_string(), "ab".to_string()]);
        assert_eq!(
            redact("GET https://x.test/?key=hunter2-token ok"),
            "GET https://x.test/?key=*** ok"
        );
        assert_eq!(
            redact("ab stays: too short to be a secret"),
            "ab stays: too short to be a secret"
        );
        let mut out = Vec::new();
        RedactingWriter(&mut out)
            .write_all(b"Bearer hunter2-token")
            .unwrap_or(());
        assert_eq!(out, b"Bearer ***");
    }
}
