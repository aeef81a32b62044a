//! The fault-injecting in-memory storage (documented on [`FaultStorage`]).
use alloc::boxed::Box;
use alloc::vec::Vec;

use super::storage::{Storage, StorageError, StorageOp, SyncHandle};
use crate::sync::{Arc, DefaultRawMutex, Mutex};

type Hook = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
struct State {
    data: Vec<u8>,
    durable: Vec<u8>,
    /// `durable` is a prefix of `data`, so a sync only has to copy the new tail.
    durable_is_prefix: bool,
    /// fsyncgate: a failed sync's range, which no later sync will persist.
    lost: Option<(usize, usize)>,
    replacement: Option<Vec<u8>>,
    ios: u64,
    syncs: u64,
    fail_io_at: Option<u64>,
    fail_sync_at: Option<u64>,
    tear_next_append: Option<usize>,
    salt: u64,
    hook: Option<Hook>,
}

impl State {
    /// Counts an I/O; `true` if this one must fail.
    fn io(&mut self) -> bool {
        let n = self.ios;
        self.ios += 1;
        if self.fail_io_at == Some(n) {
            self.fail_io_at = None;
            return true;
        }
        false
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        let n = self.syncs;
        self.syncs += 1;
        let fail_sync = self.fail_sync_at == Some(n);
        if fail_sync {
            self.fail_sync_at = None;
        }
        if self.io() || fail_sync {
            if self.durable_is_prefix && self.data.len() > self.durable.len() {
                self.lost = Some((self.durable.len(), self.data.len()));
            }
            return Err(StorageError::new(StorageOp::Sync, "injected sync failure"));
        }
        if self.durable_is_prefix && self.lost.is_none() {
            let from = self.durable.len();
            self.durable.extend_from_slice(&self.data[from..]);
        } else {
            self.durable.clone_from(&self.data);
            if let Some((a, b)) = self.lost {
                let b = b.min(self.durable.len());
                if a < b {
                    self.durable[a..b].fill(0);
                }
            }
        }
        self.durable_is_prefix = self.lost.is_none();
        Ok(())
    }
}

/// An in-memory [`Storage`] that fails on purpose, in the spirit of SQLite's crash VFS.
///
/// It keeps two images of the file: what a reader sees now (the OS page cache) and what would
/// survive a power loss (the disk as of the last successful sync). Faults:
/// * [`fail_io`](FaultStorage::fail_io): the n-th I/O from now fails (reads, appends, syncs,
///   truncations and each step of a replacement count; a failed append writes nothing);
/// * [`tear_next_append`](FaultStorage::tear_next_append): the next append writes only a prefix,
///   then fails;
/// * [`fail_sync`](FaultStorage::fail_sync): the n-th sync from now fails, and — as Linux does after
///   a writeback error ("fsyncgate") — the bytes it should have saved are then never saved, even by
///   a later sync that succeeds;
/// * [`power_loss`](FaultStorage::power_loss): the durable image, i.e. everything after the last
///   successful sync dropped; [`power_loss_keeping`](FaultStorage::power_loss_keeping) keeps a
///   prefix of the unsynced appends, as a partly written-back page cache would.
///
/// Clones share the same file, so a test keeps a clone to inspect and crash the storage it handed
/// to a store. A hook can run at the start of every sync, to hold a sync open while other threads
/// append (how the group-commit test makes batching deterministic).
///
/// ```
/// use lindy::store::{FaultStorage, Queue, StoreOptions};
/// let storage = FaultStorage::new();
/// let mut q = Queue::open(storage.clone(), StoreOptions::new())?; // Durability::Always
/// q.push("k", b"acknowledged")?;
/// storage.fail_sync(0);
/// assert_eq!(q.push("k", b"unknown").unwrap_err().code(), "STORE_POISONED");
/// // Power off now: the acknowledged push survives.
/// let q = Queue::open(FaultStorage::from_bytes(storage.power_loss()), StoreOptions::new())?;
/// assert_eq!(q.peek("k"), Some(b"acknowledged".to_vec()));
/// # Ok::<(), lindy::store::StoreError>(())
/// ```
#[derive(Clone)]
pub struct FaultStorage {
    state: Arc<Mutex<DefaultRawMutex, State>>,
}

impl Default for FaultStorage {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for FaultStorage {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.state.lock(|s| {
            f.debug_struct("FaultStorage")
                .field("len", &s.data.len())
                .field("durable_len", &s.durable.len())
                .field("ios", &s.ios)
                .field("syncs", &s.syncs)
                .finish()
        })
    }
}

impl FaultStorage {
    /// An empty file.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// assert_eq!(s.size()?, 0);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn new() -> Self {
        Self::from_bytes(Vec::new())
    }

    /// A file holding `bytes`, all of them durable (e.g. the image left by a crash).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let s = FaultStorage::from_bytes(b"abc".to_vec());
    /// assert_eq!((s.contents(), s.power_loss()), (b"abc".to_vec(), b"abc".to_vec()));
    /// ```
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        FaultStorage {
            state: Arc::new(Mutex::new(State {
                durable: bytes.clone(),
                data: bytes,
                durable_is_prefix: true,
                salt: 0x5EED_0000_0000_0001,
                ..State::default()
            })),
        }
    }

    /// What a reader sees now: the image a *process* crash leaves (the page cache survives).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"in the page cache")?;
    /// assert_eq!(s.contents(), b"in the page cache"); // a process crash keeps it
    /// assert_eq!(s.power_loss(), b""); // a power loss does not
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn contents(&self) -> Vec<u8> {
        self.state.lock(|s| s.data.clone())
    }

    /// What survives a power loss now: the file as of the last successful sync.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"synced")?;
    /// s.sync()?;
    /// s.append(b"+lost")?;
    /// assert_eq!(s.power_loss(), b"synced");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn power_loss(&self) -> Vec<u8> {
        self.state.lock(|s| s.durable.clone())
    }

    /// A power loss after which the first `unsynced` bytes appended since the last sync were
    /// written back anyway (a torn tail, if that cuts a record). Same as
    /// [`power_loss`](Self::power_loss) when the file was truncated or replaced since.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"synced")?;
    /// s.sync()?;
    /// s.append(b"+torn")?;
    /// assert_eq!(s.power_loss_keeping(3), b"synced+to");
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn power_loss_keeping(&self, unsynced: usize) -> Vec<u8> {
        self.state.lock(|s| {
            let mut img = s.durable.clone();
            if s.durable_is_prefix {
                let tail = &s.data[s.durable.len()..];
                img.extend_from_slice(&tail[..unsynced.min(tail.len())]);
            }
            img
        })
    }

    /// Bytes appended since the last successful sync (0 if the file diverged by truncation).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"1234")?;
    /// assert_eq!(s.unsynced_len(), 4);
    /// s.sync()?;
    /// assert_eq!(s.unsynced_len(), 0);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn unsynced_len(&self) -> usize {
        self.state.lock(|s| {
            if s.durable_is_prefix {
                s.data.len() - s.durable.len()
            } else {
                0
            }
        })
    }

    /// Makes the I/O `n` operations from now fail (0 = the next one).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.fail_io(1); // the second I/O from now
    /// s.append(b"ok")?;
    /// assert!(s.append(b"fails").is_err());
    /// s.append(b"ok again")?; // once only
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn fail_io(&self, n: u64) {
        self.state.lock(|s| s.fail_io_at = Some(s.ios + n));
    }

    /// Makes the sync `n` syncs from now fail (0 = the next one).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"x")?;
    /// s.fail_sync(0);
    /// assert!(s.sync().is_err());
    /// assert_eq!(s.power_loss(), b""); // the failed sync made nothing durable
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn fail_sync(&self, n: u64) {
        self.state.lock(|s| s.fail_sync_at = Some(s.syncs + n));
    }

    /// Makes the next append write only its first `keep` bytes and then fail.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.tear_next_append(2);
    /// assert!(s.append(b"record").is_err());
    /// assert_eq!(s.contents(), b"re"); // a short write
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn tear_next_append(&self, keep: usize) {
        self.state.lock(|s| s.tear_next_append = Some(keep));
    }

    /// Cancels every pending fault.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.fail_io(0);
    /// s.clear_faults();
    /// s.append(b"fine")?;
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn clear_faults(&self) {
        self.state.lock(|s| {
            s.fail_io_at = None;
            s.fail_sync_at = None;
            s.tear_next_append = None;
        });
    }

    /// I/O operations so far.
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// let before = s.ios();
    /// s.append(b"x")?;
    /// assert_eq!(s.ios(), before + 1);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn ios(&self) -> u64 {
        self.state.lock(|s| s.ios)
    }

    /// Syncs attempted so far (including failed ones).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// let mut s = FaultStorage::new();
    /// s.append(b"x")?;
    /// s.sync()?;
    /// assert_eq!(s.syncs(), 1);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn syncs(&self) -> u64 {
        self.state.lock(|s| s.syncs)
    }

    /// Runs `hook` at the start of every sync, outside the storage's lock (it may block).
    ///
    /// ```
    /// use lindy::store::{FaultStorage, Storage};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// let seen = Arc::new(AtomicUsize::new(0));
    /// let mut s = FaultStorage::new();
    /// let counter = seen.clone();
    /// s.set_sync_hook(move || { counter.fetch_add(1, Ordering::SeqCst); });
    /// s.append(b"x")?;
    /// s.sync()?;
    /// assert_eq!(seen.load(Ordering::SeqCst), 1);
    /// # Ok::<(), lindy::store::StorageError>(())
    /// ```
    pub fn set_sync_hook(&self, hook: impl Fn() + Send + Sync + 'static) {
        // From a box: `Arc<dyn Fn()>` on every target (see `crate::sync::Arc`).
        let hook: Hook = Arc::from(Box::new(hook) as Box<dyn Fn() + Send + Sync>);
        self.state.lock(|s| s.hook = Some(hook));
    }

    fn sync_shared(&self) -> Result<(), StorageError> {
        if let Some(hook) = self.state.lock(|s| s.hook.clone()) {
            hook();
        }
        self.state.lock(|s| s.sync())
    }
}

impl SyncHandle for FaultStorage {
    fn sync(&self) -> Result<(), StorageError> {
        self.sync_shared()
    }
}

fn injected(op: StorageOp) -> StorageError {
    StorageError::new(op, "injected I/O failure")
}

impl Storage for FaultStorage {
    type Syncer = FaultStorage;

    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize, StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Read));
            }
            let from = usize::try_from(offset).map_or(s.data.len(), |o| o.min(s.data.len()));
            let n = buf.len().min(s.data.len() - from);
            buf[..n].copy_from_slice(&s.data[from..from + n]);
            Ok(n)
        })
    }

    fn read_all(&mut self) -> Result<Vec<u8>, StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Read));
            }
            Ok(s.data.clone())
        })
    }

    fn size(&mut self) -> Result<u64, StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Read));
            }
            Ok(s.data.len() as u64)
        })
    }

    fn append(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Append));
            }
            if let Some(keep) = s.tear_next_append.take() {
                s.data.extend_from_slice(&bytes[..keep.min(bytes.len())]);
                return Err(StorageError::new(StorageOp::Append, "injected torn write"));
            }
            s.data.extend_from_slice(bytes);
            Ok(())
        })
    }

    fn sync(&mut self) -> Result<(), StorageError> {
        self.sync_shared()
    }

    fn syncer(&self) -> FaultStorage {
        self.clone()
    }

    fn truncate(&mut self, len: u64) -> Result<(), StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Truncate));
            }
            let len = usize::try_from(len).unwrap_or(usize::MAX);
            if len < s.data.len() {
                s.data.truncate(len);
                if len < s.durable.len() {
                    s.durable_is_prefix = false;
                }
            }
            Ok(())
        })
    }

    fn begin_replace(&mut self) -> Result<(), StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Replace));
            }
            s.replacement = Some(Vec::new());
            Ok(())
        })
    }

    fn write_replacement(&mut self, bytes: &[u8]) -> Result<(), StorageError> {
        self.state.lock(|s| {
            if s.io() {
                return Err(injected(StorageOp::Replace));
            }
            match &mut s.replacement {
                Some(r) => {
                    r.extend_from_slice(bytes);
                    Ok(())
                }
                None => Err(StorageError::new(
                    StorageOp::Replace,
                    "no replacement started",
                )),
            }
        })
    }

    fn commit_replace(&mut self) -> Result<(), StorageError> {
        self.state.lock(|s| {
            let Some(new) = s.replacement.take() else {
                return Err(StorageError::new(
                    StorageOp::Replace,
                    "no replacement started",
                ));
            };
            // Three steps, each an I/O: fsync the temp file, rename it, fsync the directory.
            if s.io() {
                return Err(StorageError::new(
                    StorageOp::Replace,
                    "injected temp-file sync failure",
                ));
            }
            if s.io() {
                return Err(StorageError::new(
                    StorageOp::Replace,
                    "injected rename failure",
                ));
            }
            let dir_sync_fails = s.io();
            s.data = new;
            s.lost = None;
            if dir_sync_fails {
                // Renamed, but the rename is not durable: a power loss brings the old file back.
                s.durable_is_prefix = false;
                return Err(StorageError::fatal(
                    StorageOp::Replace,
                    "injected directory sync failure after rename",
                ));
            }
            s.durable.clone_from(&s.data);
            s.durable_is_prefix = true;
            Ok(())
        })
    }

    fn abort_replace(&mut self) {
        self.state.lock(|s| s.replacement = None);
    }

    fn fresh_salt(&mut self) -> u64 {
        self.state.lock(|s| {
            s.salt = s
                .salt
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.salt
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_loss_drops_what_was_not_synced() {
        let mut s = FaultStorage::new();
        s.append(b"abc").unwrap();
        s.sync().unwrap();
        s.append(b"def").unwrap();
        assert_eq!(s.contents(), b"abcdef");
        assert_eq!(s.power_loss(), b"abc");
        assert_eq!(s.power_loss_keeping(2), b"abcde");
    }

    #[test]
    fn a_failed_sync_loses_its_bytes_for_good() {
        let mut s = FaultStorage::new();
        s.append(b"abc").unwrap();
        s.fail_sync(0);
        assert!(s.sync().is_err());
        s.append(b"def").unwrap();
        s.sync().unwrap(); // "succeeds", as a retried fsync does on Linux
        assert_eq!(s.contents(), b"abcdef");
        assert_eq!(
            s.power_loss(),
            b"\0\0\0def",
            "the retried fsync did not save abc"
        );
    }

    #[test]
    fn replace_is_all_or_nothing() {
        let mut s = FaultStorage::from_bytes(b"old".to_vec());
        // begin, write, fsync temp, rename, fsync dir: whichever fails, the disk holds the old file.
        for fail in 0..5 {
            s.fail_io(fail);
            let r = s
                .begin_replace()
                .and_then(|_| s.write_replacement(b"new"))
                .and_then(|_| s.commit_replace());
            assert!(r.is_err());
            s.abort_replace();
            assert_eq!(s.power_loss(), b"old");
        }
        s.clear_faults();
        s.begin_replace().unwrap();
        s.write_replacement(b"new").unwrap();
        s.commit_replace().unwrap();
        assert_eq!(s.power_loss(), b"new");
    }

    #[test]
    fn the_nth_io_fails_once() {
        let mut s = FaultStorage::new();
        s.fail_io(1);
        s.append(b"a").unwrap();
        assert!(s.append(b"b").is_err());
        s.append(b"c").unwrap();
        assert_eq!(s.contents(), b"ac");
        s.tear_next_append(1);
        assert!(s.append(b"xyz").is_err());
        assert_eq!(s.contents(), b"acx");
    }
}
