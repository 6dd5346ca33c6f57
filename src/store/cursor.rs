//! The delivery cursor: the highest alert (by row id) handed to the sink. It lives in a small
//! file beside the database and is moved with one `pwrite` just before each alert's line is
//! written, so a killed process restarts by printing the alerts it had committed but not yet
//! claimed (the database commit, with its fsync, is the long step, and it comes first). Nothing
//! is ever printed twice; an alert is dropped from the stream only by a kill landing between two
//! adjacent system calls, and stays in the database.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

/// File name of the cursor inside the data directory.
pub const CURSOR_FILE: &str = "delivered.cursor";

/// The cursor file, kept open.
#[derive(Debug)]
pub struct Cursor {
    file: File,
    path: PathBuf,
    value: i64,
}

impl Cursor {
    /// Opens the cursor in `dir`; when there is none yet, it starts at `initial` (the newest
    /// alert already stored, so history is not printed again).
    pub fn open(dir: &Path, initial: impl FnOnce() -> i64) -> io::Result<Self> {
        let path = dir.join(CURSOR_FILE);
        let existing = std::fs::read_to_string(&path)
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok());
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)?;
        let mut cursor = Self {
            file,
            path,
            value: 0,
        };
        match existing {
            Some(v) => cursor.value = v,
            None => cursor.set(initial())?,
        }
        Ok(cursor)
    }

    /// The last alert row id handed to the sink.
    pub fn get(&self) -> i64 {
        self.value
    }

    /// Moves the cursor forward (never back) with a single positioned write.
    pub fn set(&mut self, value: i64) -> io::Result<()> {
        if value <= self.value && self.value != 0 {
            return Ok(());
        }
        self.value = value;
        // Fixed width, so a shorter number never leaves digits of a longer one behind.
        let text = format!("{value:>20}\n");
        write_at(&self.file, text.as_bytes())
    }

    /// Where the cursor is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, 0)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, bytes: &[u8]) -> io::Result<()> {
    use std::io::{Seek, SeekFrom, Write};
    file.seek(SeekFrom::Start(0))?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_at_the_initial_value_then_only_moves_forward() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let mut c = Cursor::open(dir.path(), || 41)?;
        assert_eq!(c.get(), 41);
        c.set(1234)?;
        c.set(7)?;
        assert_eq!(c.get(), 1234);
        drop(c);
        let again = Cursor::open(dir.path(), || 0)?;
        assert_eq!(again.get(), 1234, "survives a restart");
        Ok(())
    }
}
