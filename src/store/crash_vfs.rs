//! An in-memory file system that loses power on demand (documented on [`CrashVfs`]).

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::vec::Vec;

use super::vfs::{FileId, Vfs, VfsFile};

/// The sector size the crash model tears writes at.
///
/// ```
/// use lindy::store::SECTOR;
/// assert_eq!(SECTOR, 512); // unsynced writes tear at sector boundaries
/// ```
pub const SECTOR: u64 = 512;

#[derive(Debug, Clone)]
enum Pending {
    Write { at: u64, bytes: Vec<u8> },
    SetLen(u64),
}

#[derive(Debug, Clone, Default)]
struct Inode {
    /// What reads see: the page cache.
    cache: Vec<u8>,
    /// What the disk holds: the file as of its last fsync.
    disk: Vec<u8>,
    /// Changes since then, in order.
    pending: Vec<Pending>,
}

#[derive(Debug, Clone)]
enum DirOp {
    Link(PathBuf, usize),
    Unlink(PathBuf),
    Rename(PathBuf, PathBuf),
}

/// How a power loss treated the unsynced state (for the tests' statistics).
///
/// ```
/// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
/// # use std::path::Path;
/// let vfs = CrashVfs::new();
/// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
/// q.push("k", b"durable")?; // Durability::Always: fsynced
/// let (_image, stats) = vfs.crash_now(7);
/// assert_eq!(stats.sectors, 0); // nothing was unsynced
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CrashStats {
    /// Unsynced writes, in sectors.
    pub sectors: u64,
    /// Of those, written back.
    pub kept: u64,
    /// Of those, replaced by garbage.
    pub garbage: u64,
    /// Size changes (appends' extensions, truncations) not written back.
    pub lost_sizes: u64,
    /// Directory operations (creations, renames) not written back.
    pub lost_dir_ops: u64,
}

#[derive(Debug, Default)]
struct Fs {
    inodes: Vec<Inode>,
    names: BTreeMap<PathBuf, usize>,
    durable_names: BTreeMap<PathBuf, usize>,
    dir_pending: Vec<DirOp>,
    /// Lock holders: inode → handle.
    locks: BTreeMap<usize, u64>,
    next_handle: u64,
    calls: u64,
    /// Power is lost at this syscall (before it runs); every call from then on fails.
    crash_at: Option<u64>,
    crash_seed: u64,
    /// The disk as the power loss left it, once it happened.
    crashed: Option<(Image, CrashStats)>,
}

/// A file system image after a power loss: files by name, as the disk held them.
///
/// ```
/// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
/// # use std::path::Path;
/// let vfs = CrashVfs::new();
/// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
/// q.push("k", b"durable")?; // Durability::Always: fsynced
/// let (image, _) = vfs.crash_now(1);
/// assert!(image.file(Path::new("/q.log")).is_some());
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Image {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl Image {
    /// The bytes of the file at `path`, if the name survived.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// let (image, _) = vfs.crash_now(1);
    /// assert!(image.file(Path::new("/other.log")).is_none());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn file(&self, path: &Path) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }
}

/// A small deterministic generator (xorshift64*), so a crash is reproducible from its seed.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next() % n
        }
    }
}

impl Fs {
    /// Counts a syscall; at the planned one the power goes out.
    fn call(&mut self) -> io::Result<()> {
        let n = self.calls;
        self.calls += 1;
        if self.crash_at == Some(n) && self.crashed.is_none() {
            self.crashed = Some(self.power_loss());
        }
        if self.crashed.is_some() {
            return Err(io::Error::other("power lost"));
        }
        Ok(())
    }

    /// What the disk holds after a power loss now: every synced byte, and of the unsynced
    /// state a random choice — each unsynced sector written back, dropped or replaced by
    /// garbage (so writes are torn at sector boundaries and reordered), each size change kept
    /// only up to a random point of the file's history (metadata is journalled in order), and a
    /// random prefix of the directory operations since the last directory fsync.
    fn power_loss(&self) -> (Image, CrashStats) {
        let mut rng = Rng::new(self.crash_seed);
        let mut stats = CrashStats::default();
        // How chaotic this crash is: some crashes write back nearly everything, some nothing.
        let keep_pct = rng.below(101);
        let garbage_pct = if rng.below(3) == 0 { rng.below(20) } else { 0 };
        let mut disks = Vec::with_capacity(self.inodes.len());
        for inode in &self.inodes {
            let mut disk = inode.disk.clone();
            let cut = rng.below(inode.pending.len() as u64 + 1) as usize;
            for (i, op) in inode.pending.iter().enumerate() {
                let meta = i < cut;
                match op {
                    Pending::SetLen(len) => {
                        if meta {
                            disk.resize(*len as usize, 0);
                        } else {
                            stats.lost_sizes += 1;
                        }
                    }
                    Pending::Write { at, bytes } => {
                        let end = *at as usize + bytes.len();
                        if meta && end > disk.len() {
                            disk.resize(end, 0);
                        } else if end > disk.len() {
                            stats.lost_sizes += 1;
                        }
                        let mut s = *at - *at % SECTOR;
                        while s < end as u64 {
                            let (a, b) = (s.max(*at) as usize, ((s + SECTOR) as usize).min(end));
                            stats.sectors += 1;
                            let roll = rng.below(100);
                            if a < disk.len() {
                                let b = b.min(disk.len());
                                if roll < garbage_pct {
                                    stats.garbage += 1;
                                    for byte in &mut disk[a..b] {
                                        *byte = rng.next() as u8;
                                    }
                                } else if roll < garbage_pct + keep_pct {
                                    stats.kept += 1;
                                    disk[a..b].copy_from_slice(
                                        &bytes[a - *at as usize..b - *at as usize],
                                    );
                                }
                            }
                            s += SECTOR;
                        }
                    }
                }
            }
            disks.push(disk);
        }
        let mut names = self.durable_names.clone();
        let applied = rng.below(self.dir_pending.len() as u64 + 1) as usize;
        stats.lost_dir_ops = (self.dir_pending.len() - applied) as u64;
        for op in &self.dir_pending[..applied] {
            match op {
                DirOp::Link(p, ino) => {
                    names.insert(p.clone(), *ino);
                }
                DirOp::Unlink(p) => {
                    names.remove(p);
                }
                DirOp::Rename(from, to) => {
                    if let Some(ino) = names.remove(from) {
                        names.insert(to.clone(), ino);
                    }
                }
            }
        }
        let files = names
            .into_iter()
            .map(|(p, ino)| (p, disks[ino].clone()))
            .collect();
        (Image { files }, stats)
    }

    fn lookup(&self, path: &Path) -> io::Result<usize> {
        self.names
            .get(path)
            .copied()
            .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
    }

    fn create(&mut self, path: &Path) -> usize {
        let ino = self.inodes.len();
        self.inodes.push(Inode::default());
        self.names.insert(path.to_path_buf(), ino);
        self.dir_pending.push(DirOp::Link(path.to_path_buf(), ino));
        ino
    }
}

/// An in-memory file system with a page cache that a simulated power loss throws away, in the
/// spirit of SQLite's crash VFS and CrashMonkey: writes, size changes and directory operations
/// reach the "disk" only through `fsync` (data and size of that file) and the directory fsync
/// (names). [`crash_at`](CrashVfs::crash_at) cuts the power at a chosen syscall: the disk image is
/// computed then (see [`Image`] and the rules on [`CrashStats`]) and every later syscall fails,
/// as nothing runs after a power loss. [`CrashVfs::from_image`] boots a new file system from
/// the image, to reopen the store on it.
///
/// ```
/// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
/// # use std::path::Path;
/// let vfs = CrashVfs::new();
/// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
/// q.push("k", b"durable")?; // Durability::Always: fsynced
/// let (image, _) = vfs.crash_now(42); // power off
/// drop(q);
/// let rebooted = CrashVfs::from_image(&image);
/// let q = Queue::open(FileStorage::open_in(rebooted, "/q.log")?, StoreOptions::new())?;
/// assert_eq!(q.peek("k"), Some(b"durable".to_vec()));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct CrashVfs {
    fs: Arc<Mutex<Fs>>,
}

impl CrashVfs {
    /// An empty file system.
    ///
    /// ```
    /// use lindy::store::CrashVfs;
    /// let vfs = CrashVfs::new();
    /// assert_eq!(vfs.calls(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A file system whose disk (and page cache) holds `image`, as after a reboot.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// let (image, _) = vfs.crash_now(3);
    /// let again = CrashVfs::from_image(&image);
    /// assert!(again.contents(Path::new("/q.log")).is_some());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn from_image(image: &Image) -> Self {
        let mut fs = Fs::default();
        for (path, bytes) in &image.files {
            let ino = fs.inodes.len();
            fs.inodes.push(Inode {
                cache: bytes.clone(),
                disk: bytes.clone(),
                pending: Vec::new(),
            });
            fs.names.insert(path.clone(), ino);
            fs.durable_names.insert(path.clone(), ino);
        }
        CrashVfs {
            fs: Arc::new(Mutex::new(fs)),
        }
    }

    fn fs(&self) -> MutexGuard<'_, Fs> {
        self.fs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cuts the power at the syscall `n` calls from now (0 = the next one), with the random
    /// choices of [`CrashStats`] drawn from `seed`.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// vfs.crash_at(0, 9); // the next syscall never runs
    /// assert!(q.push("k", b"lost").is_err());
    /// let (image, _) = vfs.crashed().unwrap();
    /// assert!(image.file(Path::new("/q.log")).is_some());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn crash_at(&self, n: u64, seed: u64) {
        let mut fs = self.fs();
        fs.crash_at = Some(fs.calls + n);
        fs.crash_seed = seed;
    }

    /// Cuts the power now.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// let (_image, _stats) = vfs.crash_now(5);
    /// assert!(q.push("k", b"after").is_err()); // nothing runs after a power loss
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn crash_now(&self, seed: u64) -> (Image, CrashStats) {
        let mut fs = self.fs();
        fs.crash_seed = seed;
        let r = fs.power_loss();
        fs.crashed = Some(r.clone());
        r
    }

    /// The disk image and statistics of the power loss, once it happened.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// assert!(vfs.crashed().is_none());
    /// vfs.crash_now(0);
    /// assert!(vfs.crashed().is_some());
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn crashed(&self) -> Option<(Image, CrashStats)> {
        self.fs().crashed.clone()
    }

    /// Syscalls made so far.
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// let before = vfs.calls();
    /// q.push("k", b"x")?; // a write and an fdatasync
    /// assert_eq!(vfs.calls(), before + 2);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn calls(&self) -> u64 {
        self.fs().calls
    }

    /// The page cache's view of a file (what a reader sees now).
    ///
    /// ```
    /// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
    /// # use std::path::Path;
    /// let vfs = CrashVfs::new();
    /// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
    /// q.push("k", b"durable")?; // Durability::Always: fsynced
    /// assert!(vfs.contents(Path::new("/q.log")).unwrap().len() > 32);
    /// # Ok::<(), lindy::store::StoreError>(())
    /// ```
    pub fn contents(&self, path: &Path) -> Option<Vec<u8>> {
        let fs = self.fs();
        fs.names.get(path).map(|&i| fs.inodes[i].cache.clone())
    }
}

/// A [`CrashVfs`] file handle.
///
/// ```
/// # use lindy::store::{CrashVfs, FileStorage, Queue, StoreOptions};
/// # use std::path::Path;
/// let vfs = CrashVfs::new();
/// let mut q = Queue::open(FileStorage::open_in(vfs.clone(), "/q.log")?, StoreOptions::new())?;
/// q.push("k", b"durable")?; // Durability::Always: fsynced
/// // `FileStorage<CrashVfs>` holds a `CrashFile`.
/// let _: &FileStorage<CrashVfs> = q.storage();
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Debug)]
pub struct CrashFile {
    fs: Arc<Mutex<Fs>>,
    ino: usize,
    handle: u64,
}

impl CrashFile {
    fn with<T>(&self, f: impl FnOnce(&mut Fs, usize) -> io::Result<T>) -> io::Result<T> {
        let mut fs = self.fs.lock().unwrap_or_else(|e| e.into_inner());
        fs.call()?;
        f(&mut fs, self.ino)
    }
}

impl Drop for CrashFile {
    fn drop(&mut self) {
        let mut fs = self.fs.lock().unwrap_or_else(|e| e.into_inner());
        if fs.locks.get(&self.ino) == Some(&self.handle) {
            fs.locks.remove(&self.ino);
        }
    }
}

impl VfsFile for CrashFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        self.with(|fs, i| {
            let cache = &fs.inodes[i].cache;
            let from = usize::try_from(offset).map_or(cache.len(), |o| o.min(cache.len()));
            let n = buf.len().min(cache.len() - from);
            buf[..n].copy_from_slice(&cache[from..from + n]);
            Ok(n)
        })
    }

    fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        self.with(|fs, i| {
            let inode = &mut fs.inodes[i];
            let at = inode.cache.len() as u64;
            inode.cache.extend_from_slice(bytes);
            inode.pending.push(Pending::Write {
                at,
                bytes: bytes.to_vec(),
            });
            Ok(())
        })
    }

    fn sync_data(&self) -> io::Result<()> {
        self.with(|fs, i| {
            let inode = &mut fs.inodes[i];
            inode.disk.clone_from(&inode.cache);
            inode.pending.clear();
            Ok(())
        })
    }

    fn sync_all(&self) -> io::Result<()> {
        self.sync_data()
    }

    fn set_len(&self, len: u64) -> io::Result<()> {
        self.with(|fs, i| {
            let inode = &mut fs.inodes[i];
            inode.cache.resize(len as usize, 0);
            inode.pending.push(Pending::SetLen(len));
            Ok(())
        })
    }

    fn size(&self) -> io::Result<u64> {
        self.with(|fs, i| Ok(fs.inodes[i].cache.len() as u64))
    }

    fn try_lock(&self) -> io::Result<bool> {
        let handle = self.handle;
        self.with(|fs, i| match fs.locks.get(&i) {
            Some(&h) => Ok(h == handle),
            None => {
                fs.locks.insert(i, handle);
                Ok(true)
            }
        })
    }

    fn id(&self) -> io::Result<FileId> {
        self.with(|fs, i| {
            Ok(FileId {
                dev: 0,
                ino: i as u64,
                nlink: fs.names.values().filter(|&&n| n == i).count() as u64,
            })
        })
    }
}

impl CrashVfs {
    fn handle(&self, fs: &mut Fs, ino: usize) -> CrashFile {
        fs.next_handle += 1;
        CrashFile {
            fs: self.fs.clone(),
            ino,
            handle: fs.next_handle,
        }
    }
}

impl Vfs for CrashVfs {
    type File = CrashFile;

    fn open_log(&self, path: &Path) -> io::Result<CrashFile> {
        let mut fs = self.fs();
        fs.call()?;
        let ino = match fs.lookup(path) {
            Ok(i) => i,
            Err(_) => fs.create(path),
        };
        Ok(self.handle(&mut fs, ino))
    }

    fn create_temp(&self, path: &Path) -> io::Result<CrashFile> {
        let mut fs = self.fs();
        fs.call()?;
        if fs.names.remove(path).is_some() {
            fs.dir_pending.push(DirOp::Unlink(path.to_path_buf()));
        }
        let ino = fs.create(path);
        Ok(self.handle(&mut fs, ino))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        fs.call()?;
        let ino = fs.lookup(from)?;
        fs.names.remove(from);
        fs.names.insert(to.to_path_buf(), ino);
        fs.dir_pending
            .push(DirOp::Rename(from.to_path_buf(), to.to_path_buf()));
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        fs.call()?;
        fs.lookup(path)?;
        fs.names.remove(path);
        fs.dir_pending.push(DirOp::Unlink(path.to_path_buf()));
        Ok(())
    }

    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        let mut fs = self.fs();
        fs.call()?;
        fs.durable_names = fs.names.clone();
        fs.dir_pending.clear();
        Ok(())
    }

    fn canonicalize(&self, path: &Path) -> io::Result<PathBuf> {
        let mut fs = self.fs();
        fs.call()?;
        fs.lookup(path).map(|_| path.to_path_buf())
    }

    fn id(&self, path: &Path) -> io::Result<FileId> {
        let mut fs = self.fs();
        fs.call()?;
        let ino = fs.lookup(path)?;
        Ok(FileId {
            dev: 0,
            ino: ino as u64,
            nlink: fs.names.values().filter(|&&n| n == ino).count() as u64,
        })
    }
}
