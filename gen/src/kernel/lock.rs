//! The cache's write lock: one writer per package folder, and a reader
//! never needs it.
//!
//! Only a process that writes the cache (a fetch, a repair, rewriting
//! `current` or `meta.json`) takes `<package>/.lock`, so a read-only
//! cache stays usable. The holder writes its pid, host and start time
//! into the file; a second writer says whose lock it waits for, waits up
//! to `ARCHPORT_LOCK_TIMEOUT` seconds (default 600, longer than a fetch),
//! then gives up naming the lock file. The kernel releases the lock when
//! its holder exits, however it exits, so a lock file left behind never
//! blocks anyone.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{ErrorKind, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{bail, Context, Result};

use crate::progress::Progress;

/// How long a writer waits when `ARCHPORT_LOCK_TIMEOUT` is not set.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

/// A held lock; released when dropped.
pub struct Lock {
    file: File,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // The file outlives the lock: leave it naming no holder. Best
        // effort, since the next holder overwrites it anyway.
        let _ = self.file.set_len(0);
    }
}

/// Why the lock could not be taken.
pub enum LockError {
    /// The cache folder cannot be written (read-only file system, or no
    /// permission): only readers may use it.
    ReadOnly(anyhow::Error),
    Other(anyhow::Error),
}

impl From<LockError> for anyhow::Error {
    fn from(e: LockError) -> anyhow::Error {
        match e {
            LockError::ReadOnly(e) | LockError::Other(e) => e,
        }
    }
}

impl Lock {
    /// Takes the lock of the package folder `dir`, creating the folder,
    /// waiting for another writer as described above.
    pub fn acquire(dir: &Path, progress: Progress) -> Result<Lock, LockError> {
        let timeout = timeout().map_err(LockError::Other)?;
        let path = dir.join(".lock");
        let file = std::fs::create_dir_all(dir)
            .and_then(|_| OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path))
            .map_err(|e| {
                let read_only = is_read_only(&e);
                let e = anyhow::Error::new(e).context(format!("cannot write the cache: creating {}", path.display()));
                if read_only {
                    LockError::ReadOnly(e)
                } else {
                    LockError::Other(e)
                }
            })?;
        wait_for(&file, &path, timeout, progress).map_err(LockError::Other)?;
        record_owner(&file, &path).map_err(LockError::Other)?;
        Ok(Lock { file })
    }
}

fn wait_for(file: &File, path: &Path, timeout: Duration, progress: Progress) -> Result<()> {
    let start = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::Error(e)) => return Err(e).with_context(|| format!("locking {}", path.display())),
            Err(TryLockError::WouldBlock) => {}
        }
        let owner = owner(path);
        if start.elapsed() >= timeout {
            bail!(
                "gave up after {} s waiting for the cache lock {}, held by {owner}; wait for that process to \
                 finish, or set ARCHPORT_LOCK_TIMEOUT (seconds) to wait longer",
                timeout.as_secs(),
                path.display()
            );
        }
        if progress.enabled && !told {
            eprintln!(
                "archport: waiting for the cache lock {}, held by {owner} (giving up after {} s)",
                path.display(),
                timeout.as_secs()
            );
            told = true;
        }
        std::thread::sleep(Duration::from_millis(100).min(timeout.saturating_sub(start.elapsed())));
    }
}

/// What the holder wrote into the lock file.
fn owner(path: &Path) -> String {
    match std::fs::read_to_string(path) {
        Ok(text) if !text.trim().is_empty() => text.trim().to_string(),
        _ => "a process that recorded no pid (an older archport?)".to_string(),
    }
}

fn record_owner(file: &File, path: &Path) -> Result<()> {
    let since = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0);
    let since = chrono::DateTime::from_timestamp(since, 0).map(|t| t.to_rfc3339()).unwrap_or_default();
    let text = format!("archport pid {} on host {} since {since}\n", std::process::id(), hostname());
    let mut f = file;
    f.set_len(0).and_then(|_| f.write_all(text.as_bytes())).with_context(|| format!("writing {}", path.display()))
}

fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    if ok && end > 0 {
        String::from_utf8_lossy(&buf[..end]).into_owned()
    } else {
        "an unknown host".to_string()
    }
}

fn timeout() -> Result<Duration> {
    match std::env::var("ARCHPORT_LOCK_TIMEOUT") {
        Ok(s) if !s.trim().is_empty() => s
            .trim()
            .parse::<u64>()
            .map(Duration::from_secs)
            .with_context(|| format!("ARCHPORT_LOCK_TIMEOUT={s:?} is not a number of seconds")),
        _ => Ok(DEFAULT_TIMEOUT),
    }
}

/// Whether an error means the cache cannot be written at all.
pub fn is_read_only(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem)
        || e.raw_os_error() == Some(libc::EROFS)
}
