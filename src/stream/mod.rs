//! Named message streams between tasks: writers, readers, broadcast, replay for late readers.
//!
//! A port of omnistorage's channel backend. A [`Streams`] hub holds *paths* (any non-empty
//! string, e.g. `"stage1"` or `"subscriber/3"`); [`Writer`]s write messages to a path and
//! [`Reader`]s read them, on any executor.
//!
//! * **Boundaries are kept**: one write is one message is one [`recv`](Reader::recv) (a
//!   [`read`](Reader::read) into a short buffer continues the same message on the next call).
//! * **Backpressure**: each path buffers `buffer_size` messages (default 100);
//!   [`write`](Writer::write) waits for room, [`try_write`](Writer::try_write) hands the
//!   message back ([`TryWriteError::Full`]).
//! * **End of stream**: when every writer of a path has closed (or was dropped), readers
//!   drain what is buffered and then see EOF (`None`). Closing twice is harmless.
//! * **Broadcast** ([`Streams::broadcast`]) writes to every path under a prefix without ever
//!   waiting; full or ended paths are skipped and counted in the [`BroadcastReport`].
//!
//! # Readers: queue paths and persistent paths
//! * **Queue paths** (the default) behave like the seed's Go channel: readers of a path
//!   *compete*, each message going to exactly one of them. A reader that connects late gets
//!   what is still buffered.
//! * **Persistent paths** (`persistent = true`) behave like a log: *every* reader gets *every*
//!   message. A reader that connects late first replays the history still retained — each
//!   message once, in order, with its boundaries — then continues with live messages, with no
//!   duplicates. History is bounded by `replay_bytes` (default 1 MiB; a message weighs its
//!   length plus 32 bytes of bookkeeping): past it the oldest history is dropped, and a reader
//!   that had not yet replayed it learns how many messages it missed from
//!   [`Reader::missed`]. Writers wait while the slowest reader is `buffer_size` live messages
//!   behind (replaying history does not hold writers back); with no reader, writes never wait.
//!
//! The seed's persistent mode replayed history as one concatenated byte buffer (boundaries
//! lost) and then delivered the same messages again from the channel (duplicates). Here the
//! history *is* the log, and each reader's cursor moves through it once.
//!
//! | | queue path (default) | persistent path |
//! |---|---|---|
//! | several readers | compete: each message goes to one reader | each reader gets every message |
//! | a late reader gets | what is still buffered | the retained history, in order, each message once, then live ones |
//! | writers wait when | `buffer_size` messages are unread | the slowest reader is `buffer_size` *live* messages behind; with no reader, never |
//! | memory | at most `buffer_size` messages | at most `buffer_size` live messages plus `replay_bytes` of history |
//!
//! # Lifecycle
//! Paths are created by the first [`writer`](Streams::writer) or [`reader`](Streams::reader).
//! Once a path's stream has ended, `writer` on it fails with `CLOSED` (late readers can still
//! replay it); [`delete`](Streams::delete) removes it (readers see EOF at once) so the name can
//! be reused. [`close`](Streams::close) ends every stream and refuses new handles.
//! [`exists`](Streams::exists), [`list`](Streams::list), [`channel_count`](Streams::channel_count)
//! and [`stats`](Streams::stats) look inside; [`broadcast_matching`](Streams::broadcast_matching)
//! writes to every path that is a channel name matching a grammar pattern.
//!
//! # Example
//! ```
//! use lindy::stream::Streams;
//!
//! # futures::executor::block_on(async {
//! let hub = Streams::new();
//! let mut reader = hub.reader("stage1").unwrap();
//! let writer = hub.writer("stage1").unwrap();
//! for item in ["a", "bb", "ccc"] {
//!     writer.write(item).await.unwrap();
//! }
//! drop(writer); // end of stream
//! let mut got = Vec::new();
//! while let Some(msg) = reader.recv().await {
//!     got.push(msg);
//! }
//! assert_eq!(got, ["a", "bb", "ccc"]);
//! # });
//! ```
//!
//! # Locking and waiting
//! The hub's path table and each path's state sit behind [`crate::sync::Mutex`] with the
//! lock `R`; readers and writers hold an `Arc` to their path's state. Waiting futures park in a
//! [`WaitQueue`](crate::sync::WaitQueue) with hand-on, so a cancelled future never strands a
//! message or a slot. Every async method documents it under `# Cancel safety`.

mod channel;
mod error;
mod hub;
mod options;
mod reader;
mod writer;

pub use crate::config::{ConfigEntry, ConfigError};
pub use crate::error::TryRecvError;
pub use bytes::Bytes;
pub use error::{StreamError, TryWriteError};
pub use hub::{BroadcastReport, PathStats, Streams};
pub use options::StreamOptions;
pub use reader::{Read, Reader, Recv};
pub use writer::{Write, Writer};

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn shared_types_are_send_and_sync_on_std() {
        fn assert_send_sync<T: Send + Sync>() {}
        fn assert_send<T: Send>() {}
        assert_send_sync::<Streams>();
        assert_send_sync::<Writer>();
        assert_send_sync::<Reader>();
        assert_send::<Write<'static>>();
        assert_send::<Recv<'static>>();
        assert_send::<Read<'static>>();
    }
}
