//! The file backend (std), over the [`Vfs`] syscall seam.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::vec::Vec;

use super::storage::{Storage, StorageError, StorageOp, SyncHandle};
use super::vfs::{StdVfs, Vfs, VfsFile};

/// A log in one file. Appends go through `O_APPEND`; durability is `fdatasync`; compaction
/// writes `<log>.compact`, fsyncs it, renames it over the log and fsyncs the directory, so after
/// a crash the log is wholly the old file or wholly the new.
///
/// **One writer per log file.** On Unix an exclusive advisory lock (`flock`) is held on the log
/// file itself — its inode, not its name — while the storage is open, so a second store on the
/// same log fails to open instead of interleaving its appends, whatever path it names the log
/// by (a symlink, a hard link, `..`). The path is resolved once at open (symlinks followed), and
/// compaction's temp file and rename work in the real file's directory, so a symlink to a log
/// stays a symlink. A log with more than one hard link is refused: compaction's rename would
/// leave the other names on the old file. The kernel drops the lock when the process dies, so a
/// crash never leaves the log locked; [`close`](Storage::close) releases it. (Read-only tools
/// such as `lindy-log inspect` do not lock.)
///
/// Every syscall goes through a [`Vfs`]: [`StdVfs`] in production, a fault-injecting or
/// crash-simulating one in tests ([`open_in`](FileStorage::open_in)).
///
/// ```
/// # use lindy::store::{CrashVfs, FileStorage, Storage};
/// let vfs = CrashVfs::new(); // an in-memory file system; `FileStorage::open(path)` uses the real one
/// let mut log = FileStorage::open_in(vfs.clone(), "/data/outbox.log")?;
/// log.append(b"bytes")?;
/// log.sync()?;
/// // One writer per log: a second open of the same file is refused.
/// assert!(FileStorage::open_in(vfs.clone(), "/data/outbox.log").is_err());
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug)]
pub struct FileStorage<V: Vfs = StdVfs> {
    vfs: V,
    /// The log's real path (symlinks resolved).
    path: PathBuf,
    /// `None` after [`close`](Storage::close).
    file: Option<Arc<V::File>>,
    temp: Option<V::File>,
}

/// Syncs a [`FileStorage`]'s file from another thread (group commit). After a compaction it still
/// points at the replaced file, which is harmless: the compaction itself synced everything.
///
/// ```
/// # use lindy::store::{CrashVfs, FileStorage, Storage};
/// let vfs = CrashVfs::new(); // an in-memory file system; `FileStorage::open(path)` uses the real one
/// # use lindy::store::SyncHandle;
/// let mut log = FileStorage::open_in(vfs, "/data/outbox.log")?;
/// let syncer = log.syncer();
/// log.append(b"x")?;
/// syncer.sync()?; // from any thread, while others append
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug)]
pub struct FileSyncer<V: Vfs = StdVfs> {
    file: Option<Arc<V::File>>,
}

impl<V: Vfs> Clone for FileSyncer<V> {
    fn clone(&self) -> Self {
        FileSyncer {
            file: self.file.clone(),
        }
    }
}

impl<V: Vfs> SyncHandle for FileSyncer<V> {
    fn sync(&self) -> Result<(), StorageError> {
        match &self.file {
            Some(f) => f
                .sync_data()
                .map_err(|e| StorageError::new(StorageOp::Sync, std::format!("fdatasync: {e}"))),
            None => Err(closed(StorageOp::Sync)),
        }
    }
}

fn closed(op: StorageOp) -> StorageError {
    StorageError::new(op, "the log file was closed")
}

/// Locks busy for this long are retried (see [`lock_log`]).
const LOCK_ATTEMPTS: u32 = 50;

impl FileStorage<StdVfs> {
    /// Opens (creating if missing) the log file at `path`. The parent directory must exist.
    ///
    /// Fails with [`StorageOp::Open`] if another store holds the log open (under any name), or
    /// if the log has more than one hard link.
    ///
    /// ```
    /// use lindy::store::{FileStorage, Storage};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-fs-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let mut log = FileStorage::open(dir.join("outbox.log"))?;
    /// log.append(b"on disk")?;
    /// log.sync()?;
    /// assert_eq!(log.size()?, 7);
    /// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::open_in(StdVfs, path)
    }
}

impl<V: Vfs> FileStorage<V> {
    /// [`open`](FileStorage::open) through `vfs`.
    ///
    /// ```
    /// use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-fsin-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = FaultVfs::default(); // the real file system, with a syscall countdown
    /// let mut log = FileStorage::open_in(vfs.clone(), dir.join("outbox.log"))?;
    /// vfs.fail_after(0, FaultKind::Transient, 5 /* EIO */);
    /// assert!(log.append(b"x").is_err());
    /// log.append(b"y")?; // transient: the next call works
    /// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn open_in(vfs: V, path: impl AsRef<Path>) -> Result<Self, StorageError> {
        let given = path.as_ref();
        let file = vfs
            .open_log(given)
            .map_err(|e| err(StorageOp::Open, given, e))?;
        let path = vfs
            .canonicalize(given)
            .map_err(|e| err(StorageOp::Open, given, e))?;
        let file = lock_log(&vfs, &path, file)?;
        Ok(FileStorage {
            vfs,
            path,
            file: Some(Arc::new(file)),
            temp: None,
        })
    }

    /// The log's real path (symlinks resolved).
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Storage};
    /// let vfs = CrashVfs::new(); // an in-memory file system; `FileStorage::open(path)` uses the real one
    /// let log = FileStorage::open_in(vfs, "/data/outbox.log")?;
    /// assert_eq!(log.path(), std::path::Path::new("/data/outbox.log"));
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The [`Vfs`] it runs on.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Storage};
    /// let vfs = CrashVfs::new(); // an in-memory file system; `FileStorage::open(path)` uses the real one
    /// let log = FileStorage::open_in(vfs, "/data/outbox.log")?;
    /// assert!(log.vfs().calls() > 0); // open, canonicalize, lock, stat...
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn vfs(&self) -> &V {
        &self.vfs
    }

    fn temp_path(&self) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".compact");
        self.path.with_file_name(name)
    }

    fn file(&self, op: StorageOp) -> Result<&V::File, StorageError> {
        self.file.as_deref().ok_or_else(|| closed(op))
    }
}

/// Takes the exclusive lock on the log file `file` opened at `path`, and checks that `path`
/// still names it (a compaction elsewhere may have renamed a new file over it between our open
/// and our lock: then the lock is on a dead file, and the live one is reopened and locked).
fn lock_log<V: Vfs>(vfs: &V, path: &Path, mut file: V::File) -> Result<V::File, StorageError> {
    let mut attempts = 0;
    loop {
        // A flock belongs to the open file description, which a `fork` shares: if another
        // thread of this process spawns a child while a store holds the lock, the child keeps it
        // until its `exec` closes the (close-on-exec) descriptor, microseconds after the store is
        // gone. So a busy lock is retried briefly; a store really open elsewhere holds it longer.
        let locked = file.try_lock().map_err(|e| err(StorageOp::Open, path, e))?;
        if !locked {
            if attempts == LOCK_ATTEMPTS {
                return Err(StorageError::new(
                    StorageOp::Open,
                    std::format!(
                        "{}: the log is locked by another open store",
                        path.display()
                    ),
                ));
            }
            attempts += 1;
            std::thread::sleep(std::time::Duration::from_millis(4));
            continue;
        }
        let mine = file.id().map_err(|e| err(StorageOp::Open, path, e))?;
        let now = vfs.id(path).map_err(|e| err(StorageOp::Open, path, e))?;
        if mine.same_file(&now) {
            if mine.nlink > 1 {
                return Err(StorageError::new(
                    StorageOp::Open,
                    std::format!(
                        "{}: the log has {} hard links; compaction replaces the file under one \
                         name only, so a log must have exactly one",
                        path.display(),
                        mine.nlink
                    ),
                ));
            }
            return Ok(file);
        }
        file = vfs
            .open_log(path)
            .map_err(|e| err(StorageOp::Open, path, e))?;
    }
}

fn err(op: StorageOp, path: &Path, e: std::io::Error) -> StorageError {
    StorageError::new(op, std::format!("{}: {e}", path.display()))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl<V: Vfs> Storage for FileStorage<V> {
    type Syncer = FileSyncer<V>;

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        self.file(StorageOp::Read)?
            .read_at(offset, buf)
            .map_err(|e| err(StorageOp::Read, &self.path, e))
    }

    fn read_all(&mut self) -> Result<Vec<u8>, StorageError> {
        let mut buf = Vec::new();
        self.file(StorageOp::Read)?
            .read_all(&mut buf)
            .map_err(|e| err(StorageOp::Read, &self.path, e))?;
        Ok(buf)
    }

    fn size(&mut self) -> Result<u64, StorageError> {
        self.file(StorageOp::Read)?
            .size()
            .map_err(|e| err(StorageOp::Read, &self.path, e))
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.file(StorageOp::Append)?
            .write_all(bytes)
            .map_err(|e| err(StorageOp::Append, &self.path, e))
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.file(StorageOp::Sync)?
            .sync_data()
            .map_err(|e| err(StorageOp::Sync, &self.path, e))
    }

    fn syncer(&self) -> FileSyncer<V> {
        FileSyncer {
            file: self.file.clone(),
        }
    }

    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        self.file(StorageOp::Truncate)?
            .set_len(len)
            .map_err(|e| err(StorageOp::Truncate, &self.path, e))
    }

    fn begin_replace(&mut self) -> Result<(), StorageError> {
        self.file(StorageOp::Replace)?;
        let tmp = self.temp_path();
        let f = self
            .vfs
            .create_temp(&tmp)
            .map_err(|e| err(StorageOp::Replace, &tmp, e))?;
        self.temp = Some(f);
        Ok(())
    }

    fn write_replacement(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        let tmp = self.temp_path();
        match &self.temp {
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
        let cleanup = |e: std::io::Error, at: &Path| {
            let _ = self.vfs.remove_file(&tmp);
            err(StorageOp::Replace, at, e)
        };
        // 1. The new file's bytes and size are durable before it can become the log.
        if let Err(e) = f.sync_all() {
            drop(f);
            return Err(cleanup(e, &tmp));
        }
        // 2. It is locked before it takes the log's name, so no other store can lock it in
        //    between (one that opened the old file finds the name moved and retries).
        match f.try_lock() {
            Ok(true) => {}
            Ok(false) => {
                drop(f);
                return Err(cleanup(
                    std::io::Error::other("the new log file is locked by someone else"),
                    &tmp,
                ));
            }
            Err(e) => {
                drop(f);
                return Err(cleanup(e, &tmp));
            }
        }
        // 3. Atomic switch: readers see the old file or the new one, never a mix.
        if let Err(e) = self.vfs.rename(&tmp, &self.path) {
            drop(f);
            return Err(cleanup(e, &self.path));
        }
        // From here the log *is* the new file (its handle is already open and locked); failing
        // to make the rename durable leaves a state the store cannot vouch for: fatal.
        self.file = Some(Arc::new(f));
        // 4. The rename itself is durable.
        self.vfs.sync_dir(parent(&self.path)).map_err(|e| {
            StorageError::fatal(
                StorageOp::Replace,
                std::format!(
                    "{}: directory fsync after the rename: {e}",
                    self.path.display()
                ),
            )
        })
    }

    fn abort_replace(&mut self) {
        if self.temp.take().is_some() {
            let _ = self.vfs.remove_file(&self.temp_path());
        }
    }

    fn close(&mut self) {
        self.temp = None;
        self.file = None;
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
