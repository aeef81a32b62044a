//! The syscall seam under [`FileStorage`](super::FileStorage): every file-system call the file
//! backend makes goes through a [`Vfs`], so tests can fail any one of them
//! ([`FaultVfs`](super::FaultVfs), SQLite's I/O-error countdown) or crash the page cache under it
//! ([`CrashVfs`](super::CrashVfs)). [`StdVfs`] is the real thing: `std::fs` plus `flock(2)`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
#[cfg(not(any(unix, windows)))]
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::vec::Vec;

/// Which file a handle or path refers to: the identity a lock must follow (not the name, which a
/// symlink or a hard link can alias).
///
/// ```
/// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = StdVfs;
/// let file = vfs.open_log(&dir.join("a.log"))?;
/// let id = file.id()?;
/// assert!(id.same_file(&vfs.id(&dir.join("a.log"))?));
/// assert_eq!(id.nlink, 1);
/// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileId {
    /// Device number.
    pub dev: u64,
    /// Inode number.
    pub ino: u64,
    /// Hard links to the file.
    pub nlink: u64,
}

impl FileId {
    /// Whether two ids name the same file (the link count may differ between two looks).
    ///
    /// ```
    /// use lindy::store::vfs::FileId;
    /// let a = FileId { dev: 1, ino: 7, nlink: 1 };
    /// let b = FileId { dev: 1, ino: 7, nlink: 2 }; // a hard link was added meanwhile
    /// assert!(a.same_file(&b));
    /// ```
    pub fn same_file(&self, other: &FileId) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }
}

/// One open file (the log, or a compaction's temp file).
///
/// ```
/// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = StdVfs;
/// let file = vfs.open_log(&dir.join("a.log"))?;
/// file.write_all(b"log bytes")?;
/// file.sync_data()?;
/// assert_eq!(file.size()?, 9);
/// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
pub trait VfsFile: Send + Sync + 'static {
    /// `pread(2)`: reads up to `buf.len()` bytes at `offset` without moving the append
    /// position; returns how many (0 at or past the end). Replay reads the log through this in
    /// large chunks, so opening a log never holds more of it than one chunk (and the record
    /// being decoded) in memory.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// file.write_all(b"0123456789")?;
    /// let mut buf = [0u8; 4];
    /// assert_eq!(file.read_at(6, &mut buf)?, 4);
    /// assert_eq!(&buf, b"6789");
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;
    /// Reads the whole file from offset 0 into `buf` (appending to it), through
    /// [`read_at`](Self::read_at).
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// file.write_all(b"all of it")?;
    /// let mut buf = Vec::new();
    /// file.read_all(&mut buf)?;
    /// assert_eq!(buf, b"all of it");
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn read_all(&self, buf: &mut Vec<u8>) -> io::Result<()> {
        const STEP: usize = 64 << 10;
        let start = buf.len();
        let mut at = start;
        loop {
            if buf.len() - at < STEP {
                buf.resize(at + STEP, 0);
            }
            let n = self.read_at((at - start) as u64, &mut buf[at..])?;
            if n == 0 {
                buf.truncate(at);
                return Ok(());
            }
            at += n;
        }
    }
    /// Writes all of `bytes` at the end (the log is opened for append; a temp file is written
    /// front to back). On error, a prefix may have been written.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// file.write_all(b"ab")?;
    /// file.write_all(b"cd")?; // always at the end
    /// assert_eq!(file.size()?, 4);
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn write_all(&self, bytes: &[u8]) -> io::Result<()>;
    /// `fdatasync(2)`: the data and the size are durable.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// file.write_all(b"x")?;
    /// file.sync_data()?; // durable
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn sync_data(&self) -> io::Result<()>;
    /// `fsync(2)`: data and all metadata are durable.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// file.write_all(b"x")?;
    /// file.sync_all()?;
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn sync_all(&self) -> io::Result<()>;
    /// `ftruncate(2)`.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// file.write_all(b"good|torn")?;
    /// file.set_len(4)?;
    /// assert_eq!(file.size()?, 4);
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn set_len(&self, len: u64) -> io::Result<()>;
    /// The file's length.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// assert_eq!(file.size()?, 0);
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn size(&self) -> io::Result<u64>;
    /// Takes an exclusive advisory lock on the file itself (`flock(2)`, non-blocking): `Ok(false)`
    /// if another open file description holds it.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// assert!(file.try_lock()?);
    /// let again = vfs.open_log(&dir.join("a.log"))?; // another open file description
    /// assert!(!again.try_lock()?); // the lock is held
    /// # drop(again);
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn try_lock(&self) -> io::Result<bool>;
    /// The file's identity.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// let _ = file.id()?.ino;
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn id(&self) -> io::Result<FileId>;
}

/// The file-system calls of the file backend.
///
/// ```
/// use lindy::store::vfs::Vfs;
/// use lindy::store::{CrashVfs, FileStorage};
/// // Anything the file backend does goes through a `Vfs`: a generic helper works on all of them.
/// fn open<V: Vfs>(vfs: V) -> Result<FileStorage<V>, lindy::store::StorageError> {
///     FileStorage::open_in(vfs, "/q.log")
/// }
/// let _log = open(CrashVfs::new())?;
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
pub trait Vfs: Clone + Send + Sync + 'static {
    /// An open file.
    type File: VfsFile;
    /// Opens the log for reading and appending, creating it if missing.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// assert_eq!(file.size()?, 0); // created
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn open_log(&self, path: &Path) -> io::Result<Self::File>;
    /// Creates a fresh, empty temp file (replacing a stale one) opened like the log, for reading
    /// and appending: after compaction renames it over the log, the same handle *is* the log.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// let tmp = vfs.create_temp(&dir.join("a.log.compact"))?;
    /// tmp.write_all(b"new log")?;
    /// tmp.sync_all()?;
    /// # drop(tmp);
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn create_temp(&self, path: &Path) -> io::Result<Self::File>;
    /// `rename(2)`: atomically replaces `to` by `from`.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// let tmp = vfs.create_temp(&dir.join("a.log.compact"))?;
    /// tmp.write_all(b"new")?;
    /// vfs.rename(&dir.join("a.log.compact"), &dir.join("a.log"))?;
    /// vfs.sync_dir(&dir)?;
    /// assert_eq!(std::fs::read(dir.join("a.log"))?, b"new");
    /// # drop(tmp);
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes a file (best-effort cleanup of a temp file).
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// vfs.create_temp(&dir.join("stale.compact"))?;
    /// vfs.remove_file(&dir.join("stale.compact"))?;
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// fsync of a directory, making the creations and renames in it durable.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// vfs.sync_dir(&dir)?; // the log's name is durable
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Resolves symlinks (and `.`/`..`) in the path of an existing file.
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// let real = vfs.canonicalize(&dir.join(".").join("a.log"))?;
    /// assert!(real.ends_with("a.log") && real.is_absolute());
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf>;
    /// The identity of the file a path names now (following symlinks).
    ///
    /// ```
    /// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
    /// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// let vfs = StdVfs;
    /// let file = vfs.open_log(&dir.join("a.log"))?;
    /// assert!(vfs.id(&dir.join("a.log"))?.same_file(&file.id()?));
    /// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    fn id(&self, path: &Path) -> io::Result<FileId>;
}

/// The real file system.
///
/// ```
/// use lindy::store::vfs::StdVfs;
/// use lindy::store::FileStorage;
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-stdvfs-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// // `FileStorage::open(path)` is `FileStorage::open_in(StdVfs, path)`.
/// let log = FileStorage::open_in(StdVfs, dir.join("q.log"))?;
/// # drop(log); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), lindy::store::StorageError>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StdVfs;

/// A [`StdVfs`] file.
///
/// ```
/// # use lindy::store::vfs::{StdVfs, Vfs, VfsFile};
/// # let dir = std::env::temp_dir().join(format!("lindy-doc-vfs-{}-{}", std::process::id(), line!()));
/// # std::fs::create_dir_all(&dir).unwrap();
/// let vfs = StdVfs;
/// let file = vfs.open_log(&dir.join("a.log"))?;
/// let _: &lindy::store::vfs::StdFile = &file;
/// # drop(file); std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct StdFile(File);

impl VfsFile for StdFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            #[cfg(unix)]
            let r = std::os::unix::fs::FileExt::read_at(&self.0, buf, offset);
            #[cfg(windows)]
            let r = std::os::windows::fs::FileExt::seek_read(&self.0, buf, offset);
            #[cfg(not(any(unix, windows)))]
            let r = {
                let mut f = &self.0;
                f.seek(SeekFrom::Start(offset)).and_then(|_| f.read(buf))
            };
            match r {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => return r,
            }
        }
    }

    fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        (&self.0).write_all(bytes)
    }

    fn sync_data(&self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn sync_all(&self) -> io::Result<()> {
        self.0.sync_all()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.0.set_len(len)
    }

    fn size(&self) -> io::Result<u64> {
        self.0.metadata().map(|m| m.len())
    }

    fn try_lock(&self) -> io::Result<bool> {
        #[cfg(unix)]
        {
            use std::os::unix::io::AsRawFd;
            // Safety: the descriptor is open for the whole call; flock only operates on it.
            let r = unsafe { libc::flock(self.0.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if r == 0 {
                return Ok(true);
            }
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                return Ok(false);
            }
            Err(e)
        }
        #[cfg(not(unix))]
        {
            // No advisory lock off Unix; one store per log is then the caller's promise.
            Ok(true)
        }
    }

    fn id(&self) -> io::Result<FileId> {
        meta_id(&self.0.metadata()?)
    }
}

fn meta_id(m: &fs::Metadata) -> io::Result<FileId> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(FileId {
            dev: m.dev(),
            ino: m.ino(),
            nlink: m.nlink(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = m;
        Ok(FileId {
            dev: 0,
            ino: 0,
            nlink: 1,
        })
    }
}

impl Vfs for StdVfs {
    type File = StdFile;

    fn open_log(&self, path: &Path) -> io::Result<StdFile> {
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map(StdFile)
    }

    fn create_temp(&self, path: &Path) -> io::Result<StdFile> {
        match fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)
            .map(StdFile)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        #[cfg(unix)]
        {
            File::open(dir)?.sync_all()
        }
        #[cfg(not(unix))]
        {
            // Windows cannot open a directory as a file; NTFS journals the rename itself.
            let _ = dir;
            Ok(())
        }
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        fs::canonicalize(path)
    }

    fn id(&self, path: &Path) -> io::Result<FileId> {
        meta_id(&fs::metadata(path)?)
    }
}
