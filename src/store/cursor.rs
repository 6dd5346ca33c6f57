//! A consumer's delivery cursor in a small file beside the database: the highest outbox `seq`
//! it has written whole. The file names the database it belongs to (written once: write, fsync,
//! rename) and then holds a fixed-width position moved with one positioned write after each
//! line, so a kill repeats at most the line in flight. [`Cursor::sync`] puts it on disk (on a
//! timer, against power loss).
//!
//! ```text
//! watchfloor-cursor 2 <database id>
//!                  1234
//! ```
//!
//! A version 1 file (just a number: the highest alert row id printed) is read as
//! [`Found::Legacy`] so an upgraded collector prints nothing twice.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// File name of the standard output consumer's cursor.
pub const CURSOR_FILE: &str = "delivered.cursor";

const MAGIC: &str = "watchfloor-cursor 2";
const WIDTH: usize = 20;

/// What a cursor file held when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No file.
    Missing,
    /// A position in this database's outbox.
    Position(i64),
    /// A file for another database (deleted, restored or replaced since): ignored.
    OtherDatabase(String),
    /// A version 1 file: the highest alert row id printed.
    Legacy(i64),
    /// Unreadable.
    Damaged,
}

/// An open cursor.
#[derive(Debug)]
pub struct Cursor {
    file: File,
    path: PathBuf,
    offset: u64,
    value: i64,
    dirty: bool,
}

/// Reads what the cursor file at `path` says about database `db_id`.
pub fn read(path: &Path, db_id: &str) -> Found {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Found::Missing,
        Err(_) => return Found::Damaged,
    };
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_default().trim();
    if let Ok(v) = first.parse::<i64>() {
        return Found::Legacy(v);
    }
    let Some(id) = first.strip_prefix(MAGIC).map(str::trim) else {
        return Found::Damaged;
    };
    if id != db_id {
        return Found::OtherDatabase(id.to_string());
    }
    match lines.next().map(|l| l.trim().parse::<i64>()) {
        Some(Ok(v)) => Found::Position(v),
        _ => Found::Damaged,
    }
}

impl Cursor {
    /// Writes a new cursor file for database `db_id` at position `value` (tmp, fsync, rename,
    /// and the directory fsynced), replacing whatever was there.
    pub fn create(path: &Path, db_id: &str, value: i64) -> io::Result<Self> {
        let header = format!("{MAGIC} {db_id}\n");
        let tmp = path.with_extension("tmp");
        {
            let mut f = File::create(&tmp)?;
            f.write_all(format!("{header}{value:>WIDTH$}\n").as_bytes())?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent()
            && let Ok(d) = File::open(dir)
        {
            let _ = d.sync_all();
        }
        Self::open_at(path, header.len() as u64, value)
    }

    /// Opens an existing cursor file of database `db_id` at the position it holds.
    pub fn open(path: &Path, db_id: &str, value: i64) -> io::Result<Self> {
        let header = format!("{MAGIC} {db_id}\n");
        Self::open_at(path, header.len() as u64, value)
    }

    fn open_at(path: &Path, offset: u64, value: i64) -> io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
            offset,
            value,
            dirty: false,
        })
    }

    /// The last position written.
    pub fn get(&self) -> i64 {
        self.value
    }

    /// Moves the cursor forward (never back) with one positioned write.
    pub fn set(&mut self, value: i64) -> io::Result<()> {
        if value <= self.value {
            return Ok(());
        }
        self.value = value;
        self.dirty = true;
        // Fixed width, so a shorter number never leaves digits of a longer one behind.
        write_at(
            &self.file,
            format!("{value:>WIDTH$}\n").as_bytes(),
            self.offset,
        )
    }

    /// Puts the position on disk if it moved since the last sync.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.dirty {
            self.file.sync_data()?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Where the cursor is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(unix)]
fn write_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, offset)
}

#[cfg(not(unix))]
fn write_at(mut file: &File, bytes: &[u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    file.seek(SeekFrom::Start(offset))?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_forward_survives_reopen_and_names_its_database() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(CURSOR_FILE);
        assert_eq!(read(&path, "abc"), Found::Missing);
        let mut c = Cursor::create(&path, "abc", 41)?;
        c.set(1234)?;
        c.set(7)?;
        c.sync()?;
        assert_eq!(c.get(), 1234);
        drop(c);
        assert_eq!(read(&path, "abc"), Found::Position(1234));
        assert_eq!(read(&path, "def"), Found::OtherDatabase("abc".into()));
        let mut again = Cursor::open(&path, "abc", 1234)?;
        again.set(99_999)?;
        assert_eq!(read(&path, "abc"), Found::Position(99_999));
        Ok(())
    }

    #[test]
    fn reads_a_version_one_file() -> io::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join(CURSOR_FILE);
        std::fs::write(&path, format!("{:>20}\n", 77))?;
        assert_eq!(read(&path, "abc"), Found::Legacy(77));
        std::fs::write(&path, "garbage")?;
        assert_eq!(read(&path, "abc"), Found::Damaged);
        Ok(())
    }
}
