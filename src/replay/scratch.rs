//! The throw-away store's directory. A replay holds the lock of its directory for its whole
//! life, so a replay that was killed (SIGKILL, Ctrl-C, a closed SSH session) leaves a directory
//! whose lock anyone can take: the next replay removes it. Left alone, each such directory
//! would keep a whole archive's worth of items in the temporary folder.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::store::lock::{DataLock, LOCK_FILE};

/// What the directories of replays are called (then a random suffix).
pub const PREFIX: &str = "watchfloor-replay-";

/// A directory younger than this is never removed, even unlocked: its replay may be between
/// creating it and taking its lock.
const SETTLING: Duration = Duration::from_secs(60);

/// A directory without a lock file (left by a build that took none) is removed once it is this
/// old: no replay runs that long.
const UNLOCKED_AFTER: Duration = Duration::from_secs(86_400);

/// A replay's own directory: removed when dropped, locked while it lives.
#[derive(Debug)]
pub struct Scratch {
    // Declared first so it is removed before the lock is let go.
    dir: tempfile::TempDir,
    _lock: DataLock,
    removed: usize,
}

/// Why the directory could not be made.
#[derive(Debug, thiserror::Error)]
#[error("temporary store in {parent}: {message}")]
pub struct ScratchError {
    parent: PathBuf,
    message: String,
}

impl Scratch {
    /// Removes what killed replays left in `parent`, then makes and locks a new directory there.
    pub fn create_in(parent: &Path) -> Result<Self, ScratchError> {
        let error = |message: String| ScratchError {
            parent: parent.to_path_buf(),
            message,
        };
        let removed = sweep(parent, SystemTime::now());
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .tempdir_in(parent)
            .map_err(|e| error(e.to_string()))?;
        let lock = DataLock::acquire(dir.path()).map_err(|e| error(e.to_string()))?;
        Ok(Self {
            dir,
            _lock: lock,
            removed,
        })
    }

    /// How many directories of stopped replays were removed before this one was made.
    pub fn removed(&self) -> usize {
        self.removed
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes the replay directories in `parent` whose replay is gone, as of `now`; returns how
/// many. A directory is gone when its lock can be taken (no process holds it) and it is older
/// than a minute, or when it has no lock file and is a day old. Anything it cannot read or
/// remove is left as it is.
pub fn sweep(parent: &Path, now: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.filter_map(Result::ok) {
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(PREFIX));
        if !is_ours {
            continue;
        }
        // Not followed: a link named like ours is not ours to remove.
        let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
            continue;
        };
        if !meta.is_dir() {
            continue;
        }
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        if abandoned(&entry.path(), age) && std::fs::remove_dir_all(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

fn abandoned(dir: &Path, age: Duration) -> bool {
    if age < SETTLING {
        return false;
    }
    let lock = dir.join(LOCK_FILE);
    match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock)
    {
        // Taken and let go at once: only a lock nobody holds can be taken.
        Ok(file) => file.try_lock().is_ok(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => age >= UNLOCKED_AFTER,
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backdate(dir: &Path, by: Duration) {
        let then = SystemTime::now() - by;
        std::fs::File::open(dir)
            .and_then(|f| f.set_modified(then))
            .expect("backdate");
    }

    #[test]
    fn only_the_directories_of_replays_that_are_gone_are_removed() {
        let parent = tempfile::tempdir().expect("tempdir");
        let hour = Duration::from_secs(3_600);
        // A running replay, an hour in (made first: making one sweeps too).
        let running = Scratch::create_in(parent.path()).expect("scratch");
        backdate(running.path(), hour);
        // A killed replay: its lock file is there, nobody holds it.
        let killed = parent.path().join(format!("{PREFIX}killed"));
        std::fs::create_dir(&killed).expect("mkdir");
        std::fs::write(killed.join(LOCK_FILE), "pid 1 on x").expect("lock file");
        std::fs::write(killed.join("watchfloor.db"), vec![0u8; 4096]).expect("db");
        backdate(&killed, hour);
        // One that has just been made and holds no lock yet.
        let starting = parent.path().join(format!("{PREFIX}starting"));
        std::fs::create_dir(&starting).expect("mkdir");
        std::fs::write(starting.join(LOCK_FILE), "").expect("lock file");
        // Without a lock file: an hour old is kept, two days old is removed.
        let unlocked_young = parent.path().join(format!("{PREFIX}young"));
        let unlocked_old = parent.path().join(format!("{PREFIX}old"));
        for d in [&unlocked_young, &unlocked_old] {
            std::fs::create_dir(d).expect("mkdir");
        }
        backdate(&unlocked_young, hour);
        backdate(&unlocked_old, 48 * hour);
        // Not ours, however old and unlocked.
        let other = parent.path().join("someone-else");
        std::fs::create_dir(&other).expect("mkdir");
        std::fs::write(other.join(LOCK_FILE), "").expect("lock file");
        backdate(&other, 48 * hour);

        assert_eq!(sweep(parent.path(), SystemTime::now()), 2);
        assert!(!killed.exists(), "the killed replay's directory is removed");
        assert!(!unlocked_old.exists());
        assert!(running.path().exists(), "a running replay keeps its store");
        assert!(
            starting.exists(),
            "a replay still starting keeps its directory"
        );
        assert!(unlocked_young.exists());
        assert!(other.exists());

        let path = running.path().to_path_buf();
        drop(running);
        assert!(!path.exists(), "a replay that ends removes its own");
    }
}
