//! The sans-IO batcher: messages and `now` in, completed batches and a deadline out.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::String;
use alloc::vec::Vec;
use core::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::{Batch, BatchOptions, Insert, Kind, Message, Reason};
use crate::error::Closed;

/// Groups a stream of write [`Message`]s into [`Batch`]es — the CloudQuery streaming batch
/// writer's rules, without its goroutines, channels or clock.
///
/// Feed it messages with the current time ([`push`](Batcher::push)); take completed batches
/// with [`take`](Batcher::take); when idle, sleep until [`poll_timeout`](Batcher::poll_timeout)
/// says and call [`handle_timeout`](Batcher::handle_timeout) — quinn-proto's convention:
/// `poll_timeout()` answers the next deadline, `handle_timeout(now)` acts. A batch completes when
/// * it reaches the row limit or the byte limit (an insert that does not fit is split: the rows
///   that fit complete this batch, the rest start the next one; see [`Insert`] for how bytes are
///   shared out). A single row above the byte limit travels alone;
/// * its timeout passes with rows pending (measured from its first row);
/// * a message of another [`Kind`] arrives: every pending batch of the old kind completes first,
///   so a `Migrate` is never overtaken by the `Insert`s that follow it;
/// * [`flush`](Batcher::flush) or [`close`](Batcher::close) is called.
///
/// Inserts are batched per table (one open batch per table, completed in the order they were
/// started); the other kinds gather the table names of their messages in one batch.
///
/// Time is whatever the caller says it is, in milliseconds; a `now` older than one already seen
/// is treated as the newest seen (time never runs backwards here).
///
/// ```
/// use lindy::batch::{Batch, BatchOptions, Batcher, Message};
///
/// let mut b = Batcher::new(BatchOptions::new().max_rows(2).timeout_ms(1_000));
/// b.push(Message::migrate("users"), 0).unwrap();
/// b.push(Message::insert("users", vec!["ann", "bob", "cy"], 30), 5).unwrap();
/// // The insert flushed the migration, and filled one batch of two rows.
/// assert_eq!(b.take(), Some(Batch::Migrate(vec!["users".into()])));
/// assert!(matches!(b.take(), Some(Batch::Insert(i)) if i.rows == ["ann", "bob"] && i.bytes == 20));
/// assert_eq!(b.take(), None);
/// // "cy" waits for its timeout: 1 s after it was added.
/// assert_eq!(b.poll_timeout(), Some(1_005));
/// b.handle_timeout(1_005);
/// assert!(matches!(b.take(), Some(Batch::Insert(i)) if i.rows == ["cy"] && i.bytes == 10));
/// ```
pub struct Batcher<T> {
    opts: BatchOptions,
    now: u64,
    closed: bool,
    /// The kind of the pending batches (`None` before the first message).
    kind: Option<Kind>,
    /// Open insert batches; `None` entries are free (their indices are in `free`).
    slots: Vec<Option<OpenInsert<T>>>,
    free: Vec<usize>,
    /// table name → index in `slots`, hashing the name stored in the slot (no second copy).
    index: HashTable<usize>,
    hasher: DefaultHashBuilder,
    /// Open insert batches by start sequence: oldest first, which is also earliest deadline
    /// first because time never runs backwards.
    order: BTreeMap<u64, usize>,
    next_seq: u64,
    /// The open batch of a non-insert kind.
    list: Option<OpenList>,
    ready: VecDeque<(Batch<T>, Reason)>,
    pending_rows: usize,
}

struct OpenInsert<T> {
    table: String,
    rows: Vec<T>,
    bytes: u64,
    started_at: u64,
    seq: u64,
}

struct OpenList {
    tables: Vec<String>,
    started_at: u64,
}

impl<T> core::fmt::Debug for Batcher<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Batcher")
            .field("options", &self.opts)
            .field("kind", &self.kind)
            .field(
                "open_batches",
                &(self.order.len() + self.list.is_some() as usize),
            )
            .field("pending_rows", &self.pending_rows)
            .field("ready", &self.ready.len())
            .field("closed", &self.closed)
            .finish()
    }
}

impl<T> Default for Batcher<T> {
    fn default() -> Self {
        Self::new(BatchOptions::new())
    }
}

impl<T> Batcher<T> {
    /// An empty batcher with these limits.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher};
    /// let b: Batcher<u32> = Batcher::new(BatchOptions::new().max_rows(100));
    /// assert_eq!(b.pending_rows(), 0);
    /// ```
    pub fn new(opts: BatchOptions) -> Self {
        Batcher {
            opts,
            now: 0,
            closed: false,
            kind: None,
            slots: Vec::new(),
            free: Vec::new(),
            index: HashTable::new(),
            hasher: DefaultHashBuilder::default(),
            order: BTreeMap::new(),
            next_seq: 0,
            list: None,
            ready: VecDeque::new(),
            pending_rows: 0,
        }
    }

    /// The limits in force.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher};
    /// let b: Batcher<u32> = Batcher::new(BatchOptions::new().max_rows(100));
    /// assert_eq!(b.options().rows_limit(), 100);
    /// ```
    pub fn options(&self) -> &BatchOptions {
        &self.opts
    }

    /// Feeds one message at time `now` (ms). Batches whose timeout passed by `now` complete
    /// first; then, if the message's kind differs from the pending one, every pending batch
    /// completes ([`Reason::KindChange`]); then the message joins its batch.
    ///
    /// An insert with no rows still counts as a message of its kind (it can complete the other
    /// kind's batches) but adds nothing.
    ///
    /// # Errors
    /// [`Closed`] with the message, after [`close`](Batcher::close).
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message};
    /// let mut b = Batcher::new(BatchOptions::new());
    /// b.push(Message::insert("t", vec![1], 8), 0).unwrap();
    /// b.close();
    /// let back = b.push(Message::insert("t", vec![2], 8), 1).unwrap_err();
    /// assert_eq!(back.into_inner(), Message::insert("t", vec![2], 8)); // handed back, not lost
    /// ```
    pub fn push(&mut self, msg: Message<T>, now: u64) -> Result<(), Closed<Message<T>>> {
        if self.closed {
            return Err(Closed(msg));
        }
        self.handle_timeout(now);
        let kind = msg.kind();
        if self.kind != Some(kind) {
            self.complete_all(Reason::KindChange);
            self.kind = Some(kind);
        }
        match msg {
            Message::Insert(insert) => self.push_insert(insert),
            Message::Migrate { table }
            | Message::DeleteStale { table }
            | Message::DeleteRecords { table } => self.push_list(table),
        }
        Ok(())
    }

    /// Completes every batch whose timeout has passed by `now` ([`Reason::Timeout`]); call it
    /// at or after the deadline [`poll_timeout`](Batcher::poll_timeout) answered (calling it
    /// early or often is harmless).
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message, Reason};
    ///
    /// let mut b = Batcher::new(BatchOptions::new().timeout_ms(100));
    /// b.push(Message::insert("t", vec![1], 8), 0).unwrap();
    /// b.handle_timeout(99);
    /// assert_eq!(b.ready_len(), 0);
    /// b.handle_timeout(100);
    /// assert!(matches!(b.take_with_reason(), Some((_, Reason::Timeout))));
    /// ```
    pub fn handle_timeout(&mut self, now: u64) {
        self.now = self.now.max(now);
        let timeout = self.opts.timeout();
        if timeout == 0 {
            return;
        }
        while let Some((_, &i)) = self.order.first_key_value() {
            let started = self.slots[i].as_ref().map_or(0, |s| s.started_at);
            if started.saturating_add(timeout) > self.now {
                break;
            }
            self.complete_insert(i, Reason::Timeout);
        }
        if let Some(list) = &self.list {
            if list.started_at.saturating_add(timeout) <= self.now {
                self.complete_list(Reason::Timeout);
            }
        }
    }

    /// When the earliest pending batch times out (ms), or `None` if nothing is pending or the
    /// timeout is off. Call [`handle_timeout`](Batcher::handle_timeout) at or after that time.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message};
    ///
    /// let mut b = Batcher::new(BatchOptions::new().timeout_ms(100));
    /// assert_eq!(b.poll_timeout(), None, "nothing pending");
    /// b.push(Message::insert("t", vec![1], 8), 40).unwrap();
    /// assert_eq!(b.poll_timeout(), Some(140), "100 ms after the batch's first row");
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        let timeout = self.opts.timeout();
        if timeout == 0 {
            return None;
        }
        let insert = self
            .order
            .first_key_value()
            .and_then(|(_, &i)| self.slots[i].as_ref())
            .map(|s| s.started_at);
        let list = self.list.as_ref().map(|l| l.started_at);
        let started = match (insert, list) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        Some(started.saturating_add(timeout))
    }

    /// The old name of [`poll_timeout`](Batcher::poll_timeout).
    #[deprecated(
        since = "0.2.0",
        note = "renamed `poll_timeout` (answers the next deadline)"
    )]
    pub fn next_deadline(&self) -> Option<u64> {
        self.poll_timeout()
    }

    /// Completes every pending batch ([`Reason::Flush`]), oldest first.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message, Reason};
    /// let mut b = Batcher::new(BatchOptions::new());
    /// b.push(Message::insert("t", vec![1], 8), 0).unwrap();
    /// b.flush();
    /// assert!(matches!(b.take_with_reason(), Some((_, Reason::Flush))));
    /// ```
    pub fn flush(&mut self) {
        self.complete_all(Reason::Flush);
    }

    /// Completes every pending batch ([`Reason::Close`]) and refuses further messages. Batches
    /// already completed can still be taken. Closing twice is harmless.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message};
    /// let mut b = Batcher::new(BatchOptions::new());
    /// b.push(Message::insert("t", vec![1], 8), 0).unwrap();
    /// b.close();
    /// assert!(b.is_closed());
    /// assert_eq!(b.ready_len(), 1, "the pending batch was completed");
    /// ```
    pub fn close(&mut self) {
        if !self.closed {
            self.complete_all(Reason::Close);
            self.closed = true;
        }
    }

    /// Whether [`close`](Batcher::close) was called.
    ///
    /// ```
    /// let mut b = lindy::batch::Batcher::<u8>::default();
    /// assert!(!b.is_closed());
    /// b.close();
    /// assert!(b.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Removes and returns the oldest completed batch (`None` if none is ready).
    ///
    /// ```
    /// use lindy::batch::{Batch, BatchOptions, Batcher, Message};
    ///
    /// let mut b = Batcher::<u32>::new(BatchOptions::new());
    /// b.push(Message::migrate("t"), 0).unwrap();
    /// assert_eq!(b.take(), None, "still open");
    /// b.flush();
    /// assert_eq!(b.take(), Some(Batch::Migrate(vec!["t".into()])));
    /// ```
    pub fn take(&mut self) -> Option<Batch<T>> {
        self.ready.pop_front().map(|(b, _)| b)
    }

    /// Removes and returns the oldest completed batch with the reason it completed.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message, Reason};
    ///
    /// let mut b = Batcher::new(BatchOptions::new().max_rows(1));
    /// b.push(Message::insert("t", vec![1], 8), 0).unwrap();
    /// assert!(matches!(b.take_with_reason(), Some((_, Reason::Rows))));
    /// ```
    pub fn take_with_reason(&mut self) -> Option<(Batch<T>, Reason)> {
        self.ready.pop_front()
    }

    /// The old name of [`take`](Batcher::take).
    #[deprecated(
        since = "0.2.0",
        note = "renamed `take` (one verb for remove-and-return)"
    )]
    pub fn pop(&mut self) -> Option<Batch<T>> {
        self.take()
    }

    /// The old name of [`take_with_reason`](Batcher::take_with_reason).
    #[deprecated(since = "0.2.0", note = "renamed `take_with_reason`")]
    pub fn pop_with_reason(&mut self) -> Option<(Batch<T>, Reason)> {
        self.take_with_reason()
    }

    /// Every completed batch, oldest first.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message};
    /// let mut b = Batcher::new(BatchOptions::new());
    /// b.push(Message::insert("a", vec![1], 8), 0).unwrap();
    /// b.push(Message::insert("b", vec![2], 8), 0).unwrap();
    /// b.flush();
    /// assert_eq!(b.drain().count(), 2);
    /// assert_eq!(b.ready_len(), 0);
    /// ```
    pub fn drain(&mut self) -> impl Iterator<Item = Batch<T>> + '_ {
        self.ready.drain(..).map(|(b, _)| b)
    }

    /// Completed batches waiting to be taken.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message};
    /// let mut b = Batcher::new(BatchOptions::new().max_rows(1));
    /// b.push(Message::insert("t", vec![1, 2], 8), 0).unwrap();
    /// assert_eq!(b.ready_len(), 2);
    /// ```
    pub fn ready_len(&self) -> usize {
        self.ready.len()
    }

    /// Rows (insert kind) or messages (other kinds) in batches not yet completed.
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Message};
    /// let mut b = Batcher::new(BatchOptions::new());
    /// b.push(Message::insert("t", vec![1, 2, 3], 24), 0).unwrap();
    /// assert_eq!(b.pending_rows(), 3);
    /// ```
    pub fn pending_rows(&self) -> usize {
        self.pending_rows
    }

    /// The kind of the pending batches (the kind of the last message pushed).
    ///
    /// ```
    /// use lindy::batch::{BatchOptions, Batcher, Kind, Message};
    /// let mut b = Batcher::new(BatchOptions::new());
    /// assert_eq!(b.pending_kind(), None);
    /// b.push(Message::<u8>::migrate("t"), 0).unwrap();
    /// assert_eq!(b.pending_kind(), Some(Kind::Migrate));
    /// ```
    pub fn pending_kind(&self) -> Option<Kind> {
        self.kind
    }

    fn push_list(&mut self, table: String) {
        let now = self.now;
        let list = self.list.get_or_insert_with(|| OpenList {
            tables: Vec::new(),
            started_at: now,
        });
        list.tables.push(table);
        self.pending_rows += 1;
        let max = self.opts.rows_limit();
        if max != 0 && list.tables.len() >= max {
            self.complete_list(Reason::Rows);
        }
    }

    fn push_insert(&mut self, insert: Insert<T>) {
        let Insert { table, rows, bytes } = insert;
        let n = rows.len();
        if n == 0 {
            return;
        }
        let (max_rows, max_bytes) = (self.opts.rows_limit(), self.opts.bytes_limit());
        let mut src = rows.into_iter();
        let mut offset = 0usize;
        // The table name is owned by exactly one place: `name` while no batch is open for it,
        // the open slot otherwise (cloned only when a split spans batches).
        let mut name = Some(table);
        let mut current: Option<usize> = None;
        while offset < n {
            let i = match (current, name.take()) {
                (Some(i), _) => i,
                (None, Some(table)) => match self.find(&table) {
                    Some(i) => i,
                    None => self.open(table),
                },
                (None, None) => unreachable!("the table name is always kept"),
            };
            current = Some(i);
            let Some(slot) = self.slots[i].as_mut() else {
                unreachable!("open slot vanished")
            };
            let left = n - offset;
            let room_rows = if max_rows == 0 {
                left
            } else {
                max_rows - slot.rows.len()
            };
            let fit_bytes = if max_bytes == 0 {
                left
            } else {
                rows_fitting(bytes, n, offset, max_bytes.saturating_sub(slot.bytes))
            };
            let mut k = left.min(room_rows).min(fit_bytes);
            if k == 0 {
                if !slot.rows.is_empty() {
                    // The next row does not fit: this batch is as full as it gets.
                    name = Some(slot.table.clone());
                    current = None;
                    self.complete_insert(i, Reason::Bytes);
                    continue;
                }
                k = 1; // a single row above the byte limit travels alone
            }
            let part_bytes = share(bytes, n, offset + k) - share(bytes, n, offset);
            if slot.rows.is_empty() && k == src.len() {
                // The whole (rest of the) insert: hand its Vec over (no copy when unsplit).
                slot.rows = core::mem::replace(&mut src, Vec::new().into_iter()).collect();
            } else {
                slot.rows.extend(src.by_ref().take(k));
            }
            slot.bytes = slot.bytes.saturating_add(part_bytes); // u64::MAX bytes: saturate, never panic
            offset += k;
            self.pending_rows += k;
            let reason = if max_rows != 0 && slot.rows.len() >= max_rows {
                Some(Reason::Rows)
            } else if max_bytes != 0 && slot.bytes >= max_bytes {
                Some(Reason::Bytes)
            } else {
                None
            };
            if let Some(reason) = reason {
                if offset < n {
                    name = Some(slot.table.clone());
                    current = None;
                }
                self.complete_insert(i, reason);
            }
        }
    }

    fn hash(&self, table: &str) -> u64 {
        self.hasher.hash_one(table)
    }

    fn find(&self, table: &str) -> Option<usize> {
        let slots = &self.slots;
        self.index
            .find(self.hash(table), |&i| {
                slots[i].as_ref().is_some_and(|s| s.table == table)
            })
            .copied()
    }

    fn open(&mut self, table: String) -> usize {
        let hash = self.hash(&table);
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = OpenInsert {
            table,
            rows: Vec::new(),
            bytes: 0,
            started_at: self.now,
            seq,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(slot);
                i
            }
            None => {
                self.slots.push(Some(slot));
                self.slots.len() - 1
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, i, |&j| {
            hasher.hash_one(slots[j].as_ref().map_or("", |s| s.table.as_str()))
        });
        self.order.insert(seq, i);
        i
    }

    fn complete_insert(&mut self, i: usize, reason: Reason) {
        let Some(slot) = self.slots[i].take() else {
            return;
        };
        let hash = self.hash(&slot.table);
        if let Ok(entry) = self.index.find_entry(hash, |&j| j == i) {
            entry.remove();
        }
        self.order.remove(&slot.seq);
        self.free.push(i);
        self.pending_rows -= slot.rows.len();
        if !slot.rows.is_empty() {
            let batch = Batch::Insert(Insert {
                table: slot.table,
                rows: slot.rows,
                bytes: slot.bytes,
            });
            self.ready.push_back((batch, reason));
        }
    }

    fn complete_list(&mut self, reason: Reason) {
        let (Some(list), Some(kind)) = (self.list.take(), self.kind) else {
            return;
        };
        self.pending_rows -= list.tables.len();
        let batch = match kind {
            Kind::Migrate => Batch::Migrate(list.tables),
            Kind::DeleteStale => Batch::DeleteStale(list.tables),
            Kind::DeleteRecords => Batch::DeleteRecords(list.tables),
            Kind::Insert => unreachable!("insert rows are never in the list"),
        };
        self.ready.push_back((batch, reason));
    }

    fn complete_all(&mut self, reason: Reason) {
        while let Some((_, i)) = self.order.pop_first() {
            self.complete_insert(i, reason);
        }
        self.complete_list(reason);
    }
}

/// The bytes carried by rows `[0, i)` of an insert of `n` rows weighing `total`: shares are
/// proportional to row counts and add up exactly, so splitting never creates or loses a byte.
fn share(total: u64, n: usize, i: usize) -> u64 {
    (u128::from(total) * i as u128 / n as u128) as u64
}

/// How many rows from `offset` fit in `room` more bytes: the largest `k` with
/// `share(offset + k) - share(offset) <= room`.
fn rows_fitting(total: u64, n: usize, offset: usize, room: u64) -> usize {
    let budget = u128::from(share(total, n, offset)) + u128::from(room);
    if budget >= u128::from(total) {
        return n - offset;
    }
    // share(j) <= budget  <=>  total * j < (budget + 1) * n. Here budget < total <= u64::MAX
    // and n <= usize::MAX, so the product fits in a u128.
    let j = ((budget + 1) * n as u128 - 1) / u128::from(total);
    (j as usize).min(n).saturating_sub(offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn shares_add_up_and_fit() {
        for total in [0u64, 1, 7, 100, 12_345, u64::MAX] {
            for n in [1usize, 2, 3, 10, 97] {
                assert_eq!(share(total, n, n), total);
                for offset in 0..n {
                    for room in [0u64, 1, 5, 50, 1 << 20, u64::MAX / 2] {
                        let k = rows_fitting(total, n, offset, room);
                        assert!(k <= n - offset);
                        let used = share(total, n, offset + k) - share(total, n, offset);
                        assert!(used <= room || k == 0, "{total} {n} {offset} {room} {k}");
                        if offset + k < n {
                            let more = share(total, n, offset + k + 1) - share(total, n, offset);
                            assert!(more > room, "k={k} is not the largest fit");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn complete_all_keeps_start_order_across_tables() {
        let mut b = Batcher::new(BatchOptions::new());
        b.push(Message::insert("b", vec![1], 1), 0).unwrap();
        b.push(Message::insert("a", vec![2], 1), 0).unwrap();
        b.push(Message::insert("b", vec![3], 1), 0).unwrap();
        b.flush();
        let tables: Vec<_> = b
            .drain()
            .map(|x| match x {
                Batch::Insert(i) => (i.table, i.rows),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(
            tables,
            vec![("b".into(), vec![1, 3]), ("a".into(), vec![2])]
        );
        assert_eq!(b.pending_rows(), 0);
        assert!(b.slots.iter().all(Option::is_none));
        assert_eq!(b.index.len(), 0);
    }
}
