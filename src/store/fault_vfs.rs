//! A [`Vfs`] that fails a chosen syscall (documented on [`FaultVfs`]).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::vec::Vec;

use super::vfs::{FileId, StdVfs, Vfs, VfsFile};

/// A syscall [`FaultVfs`] can fail.
///
/// ```
/// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = FaultVfs::default();
/// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
/// vfs.fail_after(0, FaultKind::Transient, 28 /* ENOSPC */);
/// assert!(log.append(b"x").is_err());
/// assert_eq!(vfs.failed(), [Syscall::Write]);
/// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syscall {
    /// Opening (or creating) the log.
    OpenLog,
    /// Creating compaction's temp file.
    CreateTemp,
    /// `rename(2)` of the temp file over the log.
    Rename,
    /// Removing a temp file.
    Remove,
    /// fsync of the directory.
    SyncDir,
    /// Resolving the log's path.
    Canonicalize,
    /// `stat(2)` of a path.
    StatPath,
    /// Reading a file.
    Read,
    /// `write(2)`.
    Write,
    /// `fdatasync(2)`.
    SyncData,
    /// `fsync(2)`.
    SyncAll,
    /// `ftruncate(2)`.
    SetLen,
    /// `fstat(2)` for the length.
    Size,
    /// `flock(2)`.
    Lock,
    /// `fstat(2)` for the identity.
    StatFile,
}

/// Which errors a [`FaultVfs`] injects.
///
/// ```
/// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = FaultVfs::default();
/// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
/// vfs.fail_after(0, FaultKind::Persistent, 30 /* EROFS */);
/// assert!(log.append(b"x").is_err());
/// assert!(log.sync().is_err()); // and every call after it
/// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// The chosen call fails once; later calls succeed (a transient error).
    Transient,
    /// The chosen call and every later one fail (a dead disk, a full one, a read-only remount).
    Persistent,
}

#[derive(Debug)]
struct Ctl {
    calls: AtomicU64,
    plan: Mutex<Option<Plan>>,
    log: Mutex<Vec<Syscall>>,
}

#[derive(Debug, Clone, Copy)]
struct Plan {
    at: u64,
    kind: FaultKind,
    errno: i32,
}

/// A [`Vfs`] wrapper that fails the n-th syscall from now — SQLite's I/O-error countdown — with a
/// chosen errno (`EIO`, `ENOSPC`, `EROFS`, ...), once or for good. A failing `write` first writes
/// half of its bytes (a short write that then hits the error), the worst a real one does.
///
/// Clones share the countdown, so a test keeps one to arm it while a store runs on another.
///
/// ```
/// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = FaultVfs::default();
/// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
/// vfs.fail_after(1, FaultKind::Transient, 5 /* EIO */); // the second syscall from now
/// log.append(b"first")?;
/// assert_eq!(log.sync().unwrap_err().op, lindy::store::StorageOp::Sync);
/// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FaultVfs<V: Vfs = StdVfs> {
    inner: V,
    ctl: Arc<Ctl>,
}

impl Default for FaultVfs<StdVfs> {
    fn default() -> Self {
        Self::new(StdVfs)
    }
}

impl<V: Vfs> FaultVfs<V> {
    /// Wraps `inner`, failing nothing yet.
    ///
    /// ```
    /// use lindy::store::vfs::StdVfs;
    /// use lindy::store::FaultVfs;
    /// let vfs = FaultVfs::new(StdVfs);
    /// assert_eq!(vfs.calls(), 0);
    /// ```
    pub fn new(inner: V) -> Self {
        FaultVfs {
            inner,
            ctl: Arc::new(Ctl {
                calls: AtomicU64::new(0),
                plan: Mutex::new(None),
                log: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Fails the syscall `n` calls from now (0 = the next one) with `errno`.
    ///
    /// ```
    /// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = FaultVfs::default();
    /// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
    /// vfs.fail_after(0, FaultKind::Transient, 5 /* EIO */);
    /// assert!(log.append(b"x").is_err());
    /// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn fail_after(&self, n: u64, kind: FaultKind, errno: i32) {
        let at = self.ctl.calls.load(Ordering::SeqCst) + n;
        *self.ctl.plan.lock().unwrap_or_else(|e| e.into_inner()) = Some(Plan { at, kind, errno });
    }

    /// Cancels the planned failure.
    ///
    /// ```
    /// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = FaultVfs::default();
    /// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
    /// vfs.fail_after(0, FaultKind::Persistent, 5 /* EIO */);
    /// vfs.heal();
    /// log.append(b"x")?;
    /// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn heal(&self) {
        *self.ctl.plan.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Syscalls made so far.
    ///
    /// ```
    /// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = FaultVfs::default();
    /// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
    /// let before = vfs.calls();
    /// log.append(b"x")?;
    /// assert_eq!(vfs.calls(), before + 1);
    /// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn calls(&self) -> u64 {
        self.ctl.calls.load(Ordering::SeqCst)
    }

    /// The syscalls that failed, in order.
    ///
    /// ```
    /// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = FaultVfs::default();
    /// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
    /// assert!(vfs.failed().is_empty());
    /// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn failed(&self) -> Vec<Syscall> {
        self.ctl
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn check(&self, call: Syscall) -> io::Result<()> {
        check(&self.ctl, call)
    }
}

fn check(ctl: &Ctl, call: Syscall) -> io::Result<()> {
    let n = ctl.calls.fetch_add(1, Ordering::SeqCst);
    let plan = *ctl.plan.lock().unwrap_or_else(|e| e.into_inner());
    match plan {
        Some(p) if n == p.at || (p.kind == FaultKind::Persistent && n > p.at) => {
            ctl.log.lock().unwrap_or_else(|e| e.into_inner()).push(call);
            Err(io::Error::from_raw_os_error(p.errno))
        }
        _ => Ok(()),
    }
}

/// A file of a [`FaultVfs`].
///
/// ```
/// # use lindy::store::{FaultKind, FaultVfs, FileStorage, Storage, Syscall};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-fvfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = FaultVfs::default();
/// let mut log = FileStorage::open_in(vfs.clone(), dir.join("q.log"))?;
/// // The storage's file is a `FaultFile<StdFile>`: every call on it goes through the countdown.
/// log.append(b"x")?;
/// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug)]
pub struct FaultFile<F> {
    inner: F,
    ctl: Arc<Ctl>,
}

impl<F: VfsFile> VfsFile for FaultFile<F> {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        check(&self.ctl, Syscall::Read)?;
        self.inner.read_at(offset, buf)
    }

    fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        if let Err(e) = check(&self.ctl, Syscall::Write) {
            let _ = self.inner.write_all(&bytes[..bytes.len() / 2]);
            return Err(e);
        }
        self.inner.write_all(bytes)
    }

    fn sync_data(&self) -> io::Result<()> {
        check(&self.ctl, Syscall::SyncData)?;
        self.inner.sync_data()
    }

    fn sync_all(&self) -> io::Result<()> {
        check(&self.ctl, Syscall::SyncAll)?;
        self.inner.sync_all()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        check(&self.ctl, Syscall::SetLen)?;
        self.inner.set_len(len)
    }

    fn size(&self) -> io::Result<u64> {
        check(&self.ctl, Syscall::Size)?;
        self.inner.size()
    }

    fn try_lock(&self) -> io::Result<bool> {
        check(&self.ctl, Syscall::Lock)?;
        self.inner.try_lock()
    }

    fn id(&self) -> io::Result<FileId> {
        check(&self.ctl, Syscall::StatFile)?;
        self.inner.id()
    }
}

impl<V: Vfs> Vfs for FaultVfs<V> {
    type File = FaultFile<V::File>;

    fn open_log(&self, path: &Path) -> io::Result<Self::File> {
        self.check(Syscall::OpenLog)?;
        Ok(FaultFile {
            inner: self.inner.open_log(path)?,
            ctl: self.ctl.clone(),
        })
    }

    fn create_temp(&self, path: &Path) -> io::Result<Self::File> {
        self.check(Syscall::CreateTemp)?;
        Ok(FaultFile {
            inner: self.inner.create_temp(path)?,
            ctl: self.ctl.clone(),
        })
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.check(Syscall::Rename)?;
        self.inner.rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.check(Syscall::Remove)?;
        self.inner.remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.check(Syscall::SyncDir)?;
        self.inner.sync_dir(dir)
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        self.check(Syscall::Canonicalize)?;
        self.inner.canonicalize(path)
    }

    fn id(&self, path: &Path) -> io::Result<FileId> {
        self.check(Syscall::StatPath)?;
        self.inner.id(path)
    }
}
