//! The durable store-and-forward queue: a keyed FIFO of byte payloads backed by a crash-safe,
//! append-only log.
//!
//! A push appends an *out* record, a pull appends a *tombstone*; opening replays the log to
//! rebuild the queues. Every record carries a CRC-32C; a write torn by a crash is found and cut
//! off at the next open (and reported), while damage in the middle of the log refuses to open
//! with `STORE_CORRUPT` and the byte offset. Compaction rewrites the live entries into a new file
//! and renames it into place. The byte format and the crash-safety argument are in
//! `docs/log-format.md`.
//!
//! Layers:
//! * core (`no_std` + `alloc`): [`codec`] (the record format), [`replay`](mod@replay) (bytes → queues),
//!   [`Storage`] (where bytes live), [`Queue`] (the queue logic over any storage, single owner:
//!   it drives the [`crate::queue`] engine for FIFO order, waiting takers and leases),
//!   [`FaultStorage`] (an in-memory storage that tears writes, fails I/O and loses power on demand);
//! * std: [`FileStorage`] over the [`vfs`] syscall seam, and [`Store`] / [`FileStore`] — shared by
//!   threads, `take(key).await` waits for an entry (served in arrival order), concurrent writers
//!   share fsyncs (group commit, run off the polling thread for async pulls), leased takes with
//!   `ack` / `nack` / expiry, and [`Durability::Interval`] runs a background flusher. For tests:
//!   [`FaultVfs`] fails any syscall, [`CrashVfs`] simulates a power loss of the page cache.
//!
//! ```
//! # #[cfg(feature = "std")] {
//! use lindy::store::{FileStore, StoreOptions, Durability};
//! # let dir = std::env::temp_dir().join(format!("lindy-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! let path = dir.join("outbox.log");
//! let store = FileStore::open(&path)?;
//! store.push("device-7", b"reading 1")?; // durable when it returns (Durability::Always)
//! store.push("device-7", b"reading 2")?;
//! drop(store); // a crash: no close
//!
//! let store = FileStore::open(&path)?;
//! assert_eq!(store.len("device-7"), 2);
//! assert_eq!(store.try_take("device-7")?, Some(b"reading 1".to_vec()));
//! let next = futures::executor::block_on(store.take("device-7"))?; // waits if empty
//! assert_eq!(next, b"reading 2");
//! store.close()?;
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! # Ok::<(), lindy::store::StoreError>(())
//! ```

pub mod codec;
mod error;
mod fault;
mod live;
mod options;
mod queue;
pub mod replay;
mod storage;

#[cfg(feature = "std")]
mod crash_vfs;
#[cfg(feature = "std")]
mod fault_vfs;
#[cfg(feature = "std")]
mod file;
#[cfg(feature = "std")]
mod shared;
#[cfg(feature = "std")]
pub mod vfs;

pub use crate::queue::LeaseId;
pub use error::StoreError;
pub use fault::FaultStorage;
pub use options::{
    validate_key, validate_value, Durability, LeaseClock, StoreOptions, DEFAULT_MAX_KEY_LEN,
    DEFAULT_MAX_VALUE_LEN, MAX_KEY_LEN, MAX_VALUE_LEN,
};
pub use queue::{EntryRef, Lease, OpenReport, Queue, StoreStats};
pub use replay::{replay, Entry, Replay, ReplayOptions, Skipped};
pub use storage::{Storage, StorageError, StorageOp, SyncHandle};

#[cfg(feature = "std")]
pub use crash_vfs::{CrashFile, CrashStats, CrashVfs, Image, SECTOR};
#[cfg(feature = "std")]
pub use fault_vfs::{FaultFile, FaultKind, FaultVfs, Syscall};
#[cfg(feature = "std")]
pub use file::{FileStorage, FileSyncer};
#[cfg(feature = "std")]
#[allow(deprecated)]
pub use shared::Pull;
#[cfg(feature = "std")]
pub use shared::{FileStore, Store, Take};
