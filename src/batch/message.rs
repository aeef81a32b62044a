//! What goes into the batcher ([`Message`]) and what comes out ([`Batch`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// The four message types. Messages of one type are batched together; a message of another type
/// completes every pending batch first (the seed's "block" rule), so types never interleave.
///
/// ```
/// use lindy::batch::{Kind, Message};
/// assert_eq!(Message::<u8>::migrate("t").kind(), Kind::Migrate);
/// assert_eq!(Kind::DeleteStale.to_string(), "delete-stale");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Schema migrations ([`Message::Migrate`]).
    Migrate,
    /// Row inserts ([`Message::Insert`]), batched per table.
    Insert,
    /// Stale-row deletions ([`Message::DeleteStale`]).
    DeleteStale,
    /// Record deletions ([`Message::DeleteRecords`]).
    DeleteRecords,
}

impl Kind {
    /// The name of the [`Client`](super::Client) method that handles this kind, e.g. `"write_table"`.
    ///
    /// ```
    /// assert_eq!(lindy::batch::Kind::Insert.handler_name(), "write_table");
    /// ```
    pub const fn handler_name(self) -> &'static str {
        match self {
            Kind::Migrate => "migrate_table",
            Kind::Insert => "write_table",
            Kind::DeleteStale => "delete_stale",
            Kind::DeleteRecords => "delete_records",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Migrate => "migrate",
            Kind::Insert => "insert",
            Kind::DeleteStale => "delete-stale",
            Kind::DeleteRecords => "delete-records",
        })
    }
}

/// Rows for one table, with their total encoded size in bytes.
///
/// The byte size is the caller's measure (Arrow buffer size, JSON length, ...): the batcher only
/// adds it up. When an insert has to be split, each part gets a share of the bytes proportional to
/// its share of the rows (the shares add up exactly to `bytes`).
///
/// ```
/// use lindy::batch::Insert;
/// let insert = Insert::new("users", vec!["ann", "bob"], 64);
/// assert_eq!((insert.table.as_str(), insert.rows.len(), insert.bytes), ("users", 2, 64));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insert<T> {
    /// The table the rows belong to.
    pub table: String,
    /// The rows, in order.
    pub rows: Vec<T>,
    /// The total size of `rows` in bytes.
    pub bytes: u64,
}

impl<T> Insert<T> {
    /// Rows for `table` weighing `bytes` in total.
    ///
    /// ```
    /// let insert = lindy::batch::Insert::new("t", vec![1, 2, 3], 24);
    /// assert_eq!(insert.rows, [1, 2, 3]);
    /// ```
    pub fn new(table: impl Into<String>, rows: Vec<T>, bytes: u64) -> Self {
        Insert {
            table: table.into(),
            rows,
            bytes,
        }
    }
}

/// One write message, fed to [`Batcher::push`](super::Batcher::push) or
/// [`BatchWriter::write`](super::BatchWriter::write).
///
/// ```
/// use lindy::batch::{Kind, Message};
/// let msgs = [Message::migrate("t"), Message::insert("t", vec![1u32], 4), Message::delete_stale("t")];
/// let kinds: Vec<Kind> = msgs.iter().map(Message::kind).collect();
/// assert_eq!(kinds, [Kind::Migrate, Kind::Insert, Kind::DeleteStale]);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message<T> {
    /// Create or migrate `table`.
    Migrate {
        /// The table to migrate.
        table: String,
    },
    /// Insert (or upsert) rows. Rows are never de-duplicated: two inserts of the same row reach
    /// the client twice.
    Insert(Insert<T>),
    /// Delete the rows of `table` left over from an earlier sync.
    DeleteStale {
        /// The table to clean.
        table: String,
    },
    /// Delete records of `table`.
    DeleteRecords {
        /// The table to delete from.
        table: String,
    },
}

impl<T> Message<T> {
    /// A [`Message::Migrate`].
    ///
    /// ```
    /// assert_eq!(lindy::batch::Message::<u8>::migrate("users").table(), "users");
    /// ```
    pub fn migrate(table: impl Into<String>) -> Self {
        Message::Migrate {
            table: table.into(),
        }
    }

    /// A [`Message::Insert`] of `rows` weighing `bytes` in total.
    ///
    /// ```
    /// let msg = lindy::batch::Message::insert("users", vec!["ann"], 16);
    /// assert_eq!(msg.kind(), lindy::batch::Kind::Insert);
    /// ```
    pub fn insert(table: impl Into<String>, rows: Vec<T>, bytes: u64) -> Self {
        Message::Insert(Insert::new(table, rows, bytes))
    }

    /// A [`Message::DeleteStale`].
    ///
    /// ```
    /// let msg = lindy::batch::Message::<u8>::delete_stale("users");
    /// assert_eq!(msg.kind(), lindy::batch::Kind::DeleteStale);
    /// ```
    pub fn delete_stale(table: impl Into<String>) -> Self {
        Message::DeleteStale {
            table: table.into(),
        }
    }

    /// A [`Message::DeleteRecords`].
    ///
    /// ```
    /// let msg = lindy::batch::Message::<u8>::delete_records("users");
    /// assert_eq!(msg.kind(), lindy::batch::Kind::DeleteRecords);
    /// ```
    pub fn delete_records(table: impl Into<String>) -> Self {
        Message::DeleteRecords {
            table: table.into(),
        }
    }

    /// The message type.
    ///
    /// ```
    /// assert_eq!(lindy::batch::Message::<u8>::migrate("t").kind(), lindy::batch::Kind::Migrate);
    /// ```
    pub fn kind(&self) -> Kind {
        match self {
            Message::Migrate { .. } => Kind::Migrate,
            Message::Insert(_) => Kind::Insert,
            Message::DeleteStale { .. } => Kind::DeleteStale,
            Message::DeleteRecords { .. } => Kind::DeleteRecords,
        }
    }

    /// The table the message is about.
    ///
    /// ```
    /// assert_eq!(lindy::batch::Message::insert("orders", vec![1], 8).table(), "orders");
    /// ```
    pub fn table(&self) -> &str {
        match self {
            Message::Migrate { table }
            | Message::DeleteStale { table }
            | Message::DeleteRecords { table } => table,
            Message::Insert(insert) => &insert.table,
        }
    }
}

/// A completed batch, handed to one [`Client`](super::Client) call.
///
/// Insert batches hold rows of a single table; the other kinds hold the table names of the
/// messages they gathered, in arrival order (one entry per message: repeats are kept).
///
/// ```
/// use lindy::batch::{Batch, BatchOptions, Batcher, Message};
/// let mut b = Batcher::new(BatchOptions::new());
/// b.push(Message::insert("t", vec![1, 2], 16), 0).unwrap();
/// b.flush();
/// match b.take() {
///     Some(Batch::Insert(i)) => assert_eq!((i.table.as_str(), i.rows), ("t", vec![1, 2])),
///     other => panic!("{other:?}"),
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Batch<T> {
    /// Tables to migrate.
    Migrate(Vec<String>),
    /// Rows for one table.
    Insert(Insert<T>),
    /// Tables to clean of stale rows.
    DeleteStale(Vec<String>),
    /// Tables to delete records from.
    DeleteRecords(Vec<String>),
}

impl<T> Batch<T> {
    /// The message type of the batch.
    ///
    /// ```
    /// let batch = lindy::batch::Batch::<u8>::Migrate(vec!["t".into()]);
    /// assert_eq!(batch.kind(), lindy::batch::Kind::Migrate);
    /// ```
    pub fn kind(&self) -> Kind {
        match self {
            Batch::Migrate(_) => Kind::Migrate,
            Batch::Insert(_) => Kind::Insert,
            Batch::DeleteStale(_) => Kind::DeleteStale,
            Batch::DeleteRecords(_) => Kind::DeleteRecords,
        }
    }

    /// Rows in an insert batch, messages in any other batch.
    ///
    /// ```
    /// use lindy::batch::{Batch, Insert};
    /// assert_eq!(Batch::Insert(Insert::new("t", vec![1, 2, 3], 24)).len(), 3);
    /// assert_eq!(Batch::<u8>::Migrate(vec!["a".into(), "b".into()]).len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        match self {
            Batch::Insert(insert) => insert.rows.len(),
            Batch::Migrate(t) | Batch::DeleteStale(t) | Batch::DeleteRecords(t) => t.len(),
        }
    }

    /// Whether the batch holds nothing (the batcher never emits such a batch).
    ///
    /// ```
    /// assert!(lindy::batch::Batch::<u8>::Migrate(vec![]).is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes an insert batch weighs (0 for the other kinds).
    ///
    /// ```
    /// use lindy::batch::{Batch, Insert};
    /// assert_eq!(Batch::Insert(Insert::new("t", vec![1], 40)).bytes(), 40);
    /// assert_eq!(Batch::<u8>::Migrate(vec!["t".into()]).bytes(), 0);
    /// ```
    pub fn bytes(&self) -> u64 {
        match self {
            Batch::Insert(insert) => insert.bytes,
            _ => 0,
        }
    }
}

/// Why a batch was completed.
///
/// ```
/// use lindy::batch::{BatchOptions, Batcher, Message, Reason};
/// let mut b = Batcher::new(BatchOptions::new().max_rows(2));
/// b.push(Message::insert("t", vec![1, 2, 3], 24), 0).unwrap();
/// b.close();
/// let reasons: Vec<Reason> = std::iter::from_fn(|| b.take_with_reason()).map(|(_, r)| r).collect();
/// assert_eq!(reasons, [Reason::Rows, Reason::Close]);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// It reached the row limit.
    Rows,
    /// It reached the byte limit, or the next row would not have fitted.
    Bytes,
    /// Its timeout passed with rows pending.
    Timeout,
    /// A message of another type arrived.
    KindChange,
    /// An explicit [`flush`](super::Batcher::flush).
    Flush,
    /// The batcher was [closed](super::Batcher::close).
    Close,
}
