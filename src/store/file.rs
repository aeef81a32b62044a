//! The file backend (std).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::vec::Vec;

use super::storage::{Storage, StorageError, StorageOp, SyncHandle};

/// A log in one file. Appends go through `O_APPEND`; durability is `fdatasync`
/// ([`File::sync_data`]); compaction writes `<log>.compact`, fsyncs it, renames it over the log
/// and fsyncs the directory, so after a crash the log is wholly the old file or wholly the new.
///
/// On Unix an exclusive advisory lock (`flock`) on `<log>.lock` is held while the storage is
/// open, so a second store on the same log — in this process or another — fails to open instead
/// of interleaving its appends. The kernel drops the lock when the process dies, so a crash
/// never leaves the log locked. (Read-only tools such as `lindy-log inspect` do not lock.)
#[derive(Debug)]
pub struct FileStorage {
    path: PathBuf,
    file: Arc<File>,
    temp: Option<File>,
    _lock: File,
}

/// Syncs a [`FileStorage`]'s file from another thread (group commit). After a compaction it still
/// points at the replaced file, which is harmless: the compaction itself synced everything.
#[derive(Debug, Clone)]
pub struct FileSyncer {
    file: Arc<File>,
}

impl SyncHandle for FileSyncer {
    fn sync(&self) -> Result<(), StorageError> {
        self.file
            .sync_data()
            .map_err(|e| StorageError::new(StorageOp::Sync, std::format!("fdatasync: {e}")))
    }
}

impl FileStorage {
    /// Opens (creating if missing) the log file at `path`. The parent directory must exist.
    ///
    /// Fails with [`StorageOp::Open`] if another store holds the log open.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let path = path.as_ref().to_path_buf();
        let lock = lock_log(&path)?;
        let file = open_log(&path).map_err(|e| err(StorageOp::Open, &path, e))?;
        Ok(FileStorage {
            path,
            file: Arc::new(file),
            temp: None,
            _lock: lock,
        })
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn temp_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".compact");
        self.path.with_file_name(name)
    }
}

/// Takes the exclusive lock on `<log>.lock` (see [`FileStorage`]).
fn lock_log(path: &Path) -> Result<File, StorageError> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    let lock_path = path.with_file_name(name);
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| err(StorageOp::Open, &lock_path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::io::AsRawFd;
        // A flock belongs to the open file description, which a `fork` shares: if another thread
        // of this process spawns a child while a store holds the lock, the child keeps it until
        // its `exec` closes the (close-on-exec) descriptor, microseconds after the store is gone.
        // So a busy lock is retried briefly; a store really open elsewhere holds it far longer.
        let mut attempts = 0;
        let r = loop {
            // Safety: `f` is an open file for the whole call; flock only operates on the descriptor.
            let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            let busy =
                r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK);
            if !busy || attempts == 50 {
                break r;
            }
            attempts += 1;
            std::thread::sleep(std::time::Duration::from_millis(4));
        };
        if r != 0 {
            let e = std::io::Error::last_os_error();
            return Err(StorageError::new(
                StorageOp::Open,
                std::format!(
                    "{}: the log is locked by another open store ({e})",
                    path.display()
                ),
            ));
        }
    }
    Ok(f)
}

fn open_log(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
}

fn err(op: StorageOp, path: &Path, e: std::io::Error) -> StorageError {
    StorageError::new(op, std::format!("{}: {e}", path.display()))
}

/// fsync of the directory holding `path`, so a rename or a creation in it is durable.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        // Windows cannot open a directory as a file; NTFS journals the rename itself.
        let _ = path;
        Ok(())
    }
}

impl Storage for FileStorage {
    type Syncer = FileSyncer;

    fn read_all(&mut self) -> Result<Vec<u8>, StorageError> {
        let mut f = &*self.file;
        let len = self.file.metadata().map_or(0, |m| m.len());
        let mut buf = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        f.seek(SeekFrom::Start(0))
            .and_then(|_| f.read_to_end(&mut buf))
            .map_err(|e| err(StorageOp::Read, &self.path, e))?;
        Ok(buf)
    }

    fn size(&mut self) -> Result<u64, StorageError> {
        self.file
            .metadata()
            .map(|m| m.len())
            .map_err(|e| err(StorageOp::Read, &self.path, e))
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        (&*self.file)
            .write_all(bytes)
            .map_err(|e| err(StorageOp::Append, &self.path, e))
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.file
            .sync_data()
            .map_err(|e| err(StorageOp::Sync, &self.path, e))
    }

    fn syncer(&self) -> FileSyncer {
        FileSyncer {
            file: self.file.clone(),
        }
    }

    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        self.file
            .set_len(len)
            .map_err(|e| err(StorageOp::Truncate, &self.path, e))
    }

    fn begin_replace(&mut self) -> Result<(), StorageError> {
        let tmp = self.temp_path();
        let f = File::create(&tmp).map_err(|e| err(StorageOp::Replace, &tmp, e))?;
        self.temp = Some(f);
        Ok(())
    }

    fn write_replacement(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let tmp = self.temp_path();
        match &mut self.temp {
            Some(f) => f
                .write_all(bytes)
                .map_err(|e| err(StorageOp::Replace, &tmp, e)),
            None => Err(StorageError::new(
                StorageOp::Replace,
                "no replacement started",
            )),
        }
    }

    fn commit_replace(&mut self) -> Result<(), StorageError> {
        let tmp = self.temp_path();
        let Some(f) = self.temp.take() else {
            return Err(StorageError::new(
                StorageOp::Replace,
                "no replacement started",
            ));
        };
        // 1. The new file's bytes and size are durable before it can become the log.
        if let Err(e) = f.sync_all() {
            drop(f);
            let _ = fs::remove_file(&tmp);
            return Err(err(StorageOp::Replace, &tmp, e));
        }
        drop(f);
        // 2. Atomic switch: readers see the old file or the new one, never a mix.
        if let Err(e) = fs::rename(&tmp, &self.path) {
            let _ = fs::remove_file(&tmp);
            return Err(err(StorageOp::Replace, &self.path, e));
        }
        // From here the log *is* the new file; failing to reach it or to make the rename durable
        // leaves a state the store cannot vouch for: fatal.
        let fatal = |e: std::io::Error| {
            StorageError::fatal(
                StorageOp::Replace,
                std::format!("{} (after the rename): {e}", self.path.display()),
            )
        };
        let file = open_log(&self.path).map_err(fatal)?;
        self.file = Arc::new(file);
        // 3. The rename itself is durable.
        sync_dir(&self.path).map_err(fatal)
    }

    fn abort_replace(&mut self) {
        if self.temp.take().is_some() {
            let _ = fs::remove_file(self.temp_path());
        }
    }

    fn fresh_salt(&mut self) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        // std's RandomState is seeded from the OS per process; mix in the time and the path.
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        std::time::SystemTime::now().hash(&mut h);
        std::process::id().hash(&mut h);
        self.path.hash(&mut h);
        h.finish()
    }
}
