//! One collector per data directory: an exclusive lock on `watchfloor.lock`, held for the
//! collector's life and released by the operating system when the process ends however it ends.
//! Screens that attach take no lock; any number may open the directory.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// File name of the lock inside the data directory.
pub const LOCK_FILE: &str = "watchfloor.lock";

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another collector holds it.
    #[error(
        "another watchfloor collector is already running on {dir}{holder}; stop it first, or open a screen on it with `watchfloor attach --data {dir}`"
    )]
    Held {
        /// The data directory.
        dir: PathBuf,
        /// " (pid N on HOST)" when the holder wrote it.
        holder: String,
    },
    /// The lock file could not be opened.
    #[error("lock file {path}: {source}")]
    Io {
        /// The lock file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// The held lock; dropping it releases it.
#[derive(Debug)]
pub struct DataLock {
    _file: File,
}

impl DataLock {
    /// Takes the lock on `dir` without waiting.
    pub fn acquire(dir: &Path) -> Result<Self, LockError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| LockError::Io {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut who = String::new();
                let _ = file.read_to_string(&mut who);
                let who = crate::text::clean(who.trim(), 100);
                return Err(LockError::Held {
                    dir: dir.to_path_buf(),
                    holder: if who.is_empty() {
                        String::new()
                    } else {
                        format!(" ({who})")
                    },
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        let host = hostname();
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "pid {} on {host}", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}

/// This machine's name, for heartbeats and the lock file.
pub fn hostname() -> String {
    whoami::hostname()
        .ok()
        .map(|h| crate::text::clean(&h, 100))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into())
}

/// Whether process `pid` on `host` is known to be gone: `host` is this machine and no process
/// has that id. False whenever it cannot be known (another host, another platform).
pub fn process_gone(host: &str, pid: u32) -> bool {
    #[cfg(unix)]
    {
        let Ok(pid) = libc::pid_t::try_from(pid) else {
            return false;
        };
        if host != hostname() || pid <= 0 {
            return false;
        }
        // SAFETY: signal 0 only asks whether the process exists; nothing is sent, and no
        // memory is passed.
        let r = unsafe { libc::kill(pid, 0) };
        // EPERM: it exists but belongs to another user (the collector's service account).
        r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = (host, pid);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_collector_is_refused_until_the_first_is_gone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = DataLock::acquire(dir.path()).expect("first takes it");
        let err = DataLock::acquire(dir.path()).expect_err("second is refused");
        let text = err.to_string();
        assert!(text.contains("already running"), "{text}");
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        drop(first);
        DataLock::acquire(dir.path()).expect("free again");
    }

    #[test]
    fn a_process_is_gone_only_when_this_host_has_no_such_process() {
        assert!(
            !process_gone(&hostname(), std::process::id()),
            "we are here"
        );
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        assert!(process_gone(&hostname(), pid), "reaped, so gone");
        assert!(
            !process_gone("another-host.invalid", pid),
            "elsewhere: unknown"
        );
    }
}
