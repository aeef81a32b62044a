//! The async batch writer: a [`Batcher`] driving a [`Client`], timed by a caller-supplied
//! [`Timer`].

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::future::{poll_fn, Future};
use core::pin::pin;
use core::task::Poll;

use futures_core::Stream;
use hashbrown::HashSet;

use super::{Batch, BatchOptions, Batcher, Insert, Kind, Message};
use crate::error::{Closed, ErrorCode};

/// The destination of completed batches: one call per batch.
///
/// Implement it with `async fn` (the trait is written with return-position `impl Future`, so
/// it needs no allocation, no `Send` bound and no particular executor). Calls are made one at a
/// time, in batch order, each awaited before the next: a slow client slows the writer down
/// rather than piling batches up.
///
/// `migrate_table`, `delete_stale` and `delete_records` accept and ignore their batches by
/// default (the seed's `DummyHandler`); `write_table` must be written.
///
/// ```
/// use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
///
/// /// Sums the rows each table received: the one method a client must write.
/// #[derive(Default)]
/// struct Totals(Vec<(String, u32)>);
/// impl Client<u32> for Totals {
///     type Error = core::convert::Infallible;
///     async fn write_table(&mut self, table: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
///         self.0.push((table.to_owned(), rows.iter().sum()));
///         Ok(())
///     }
/// }
///
/// let opts = BatchOptions::new().max_rows(2);
/// let mut w = BatchWriter::new(Totals::default(), ManualTimer::new(), opts);
/// # futures::executor::block_on(async {
/// w.write(Message::insert("orders", vec![1, 2, 3], 24)).await.unwrap(); // 2 rows, then 1
/// w.close().await;
/// # });
/// assert_eq!(w.client().0, [("orders".to_owned(), 3), ("orders".to_owned(), 3)]);
/// ```
pub trait Client<T> {
    /// What a failed call reports.
    type Error;

    /// Writes one batch of rows, all for `table`, in order.
    ///
    /// # Cancel safety
    /// The writer drops this future only when its own caller drops the writer's future; the
    /// batch it carried is then gone. A client that must not half-apply a batch makes the call
    /// atomic (one transaction) or idempotent.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// # futures::executor::block_on(async {
    /// w.write(Message::insert("t", vec![1, 2], 8)).await.unwrap();
    /// w.close().await;
    /// # });
    /// assert_eq!(w.client().0, [("t".to_owned(), vec![1, 2])]);
    /// ```
    fn write_table(
        &mut self,
        table: &str,
        rows: Vec<T>,
    ) -> impl Future<Output = Result<(), Self::Error>>;

    /// Migrates one batch of tables (one entry per `Migrate` message, in order).
    ///
    /// # Cancel safety
    /// As [`write_table`](Client::write_table).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// // Not implemented by `Log`: the default accepts and ignores the batch.
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// let report = futures::executor::block_on(async {
    ///     w.write(Message::migrate("t")).await.unwrap();
    ///     w.close().await
    /// });
    /// assert_eq!(report.batches_written, 1);
    /// ```
    fn migrate_table(
        &mut self,
        tables: &[String],
    ) -> impl Future<Output = Result<(), Self::Error>> {
        let _ = tables;
        core::future::ready(Ok(()))
    }

    /// Deletes stale rows for one batch of tables.
    ///
    /// # Cancel safety
    /// As [`write_table`](Client::write_table).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// let report = futures::executor::block_on(async {
    ///     w.write(Message::delete_stale("t")).await.unwrap();
    ///     w.close().await
    /// });
    /// assert_eq!(report.rows_written, 1);
    /// ```
    fn delete_stale(&mut self, tables: &[String]) -> impl Future<Output = Result<(), Self::Error>> {
        let _ = tables;
        core::future::ready(Ok(()))
    }

    /// Deletes records for one batch of tables.
    ///
    /// # Cancel safety
    /// As [`write_table`](Client::write_table).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// let report = futures::executor::block_on(async {
    ///     w.write(Message::delete_records("t")).await.unwrap();
    ///     w.close().await
    /// });
    /// assert_eq!(report.rows_written, 1);
    /// ```
    fn delete_records(
        &mut self,
        tables: &[String],
    ) -> impl Future<Output = Result<(), Self::Error>> {
        let _ = tables;
        core::future::ready(Ok(()))
    }
}

/// A clock and a sleep, supplied by the runtime (lindy's core has neither).
///
/// Contract: [`now`](Timer::now) never goes backwards, and the future of
/// [`sleep_until`](Timer::sleep_until) completes only once `now() >= deadline`.
/// [`StdTimer`](super::StdTimer) is the std implementation; with tokio, wrap
/// `tokio::time::sleep_until`.
///
/// ```
/// use lindy::batch::{ManualTimer, Timer};
/// // A timer is a clock and a sleep; `ManualTimer` moves only when told.
/// let timer = ManualTimer::new();
/// timer.advance(250);
/// assert_eq!(timer.now(), 250);
/// futures::executor::block_on(timer.sleep_until(100)); // already past: ready at once
/// ```
pub trait Timer {
    /// Milliseconds since an arbitrary, fixed origin.
    ///
    /// ```
    /// use lindy::batch::{ManualTimer, Timer};
    /// assert_eq!(ManualTimer::starting_at(42).now(), 42);
    /// ```
    fn now(&self) -> u64;

    /// Completes once [`now`](Timer::now) has reached `deadline_ms`.
    ///
    /// # Cancel safety
    /// Must be cancel-safe: the writer drops and re-creates the sleep whenever the next
    /// deadline moves, so dropping it must release whatever it registered.
    ///
    /// ```
    /// use lindy::batch::{StdTimer, Timer};
    /// let timer = StdTimer::new();
    /// let t0 = timer.now();
    /// futures::executor::block_on(timer.sleep_until(t0 + 2));
    /// assert!(timer.now() >= t0 + 2);
    /// ```
    fn sleep_until(&self, deadline_ms: u64) -> impl Future<Output = ()>;
}

/// A client call that failed, with the tables it was for.
///
/// After this error the writer drops every later batch naming one of these tables (counted in
/// [`Report::batches_dropped`] / [`Report::rows_dropped`]); other tables carry on.
///
/// ```
/// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
/// # #[derive(Default)]
/// # struct Log(Vec<(String, Vec<u32>)>);
/// # impl Client<u32> for Log {
/// #     type Error = &'static str;
/// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
/// #         if t == "bad" { return Err("refused"); }
/// #         self.0.push((t.to_owned(), rows));
/// #         Ok(())
/// #     }
/// # }
/// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new().max_rows(1));
/// let report = futures::executor::block_on(async {
///     w.write(Message::insert("bad", vec![1], 8)).await.unwrap();
///     w.write(Message::insert("bad", vec![2], 8)).await.unwrap(); // dropped: "bad" failed
///     w.write(Message::insert("good", vec![3], 8)).await.unwrap();
///     w.close().await
/// });
/// let err = &report.errors[0];
/// assert_eq!((err.tables.as_slice(), err.rows), (&["bad".to_owned()][..], 1));
/// assert_eq!(err.to_string(), "write_table failed for table `bad` (batch of 1 row): refused");
/// assert_eq!((report.batches_written, report.batches_dropped), (1, 1));
/// ```
pub struct BatchError<E> {
    /// The kind of the failed batch (which client method failed).
    pub kind: Kind,
    /// The table of an insert batch; the tables of any other batch.
    pub tables: Vec<String>,
    /// Rows (insert) or messages (other kinds) in the failed batch.
    pub rows: usize,
    /// What the client returned.
    pub error: E,
}

impl<E: fmt::Debug> fmt::Debug for BatchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchError")
            .field("kind", &self.kind)
            .field("tables", &self.tables)
            .field("rows", &self.rows)
            .field("error", &self.error)
            .finish()
    }
}

impl<E: fmt::Display> fmt::Display for BatchError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed for table", self.kind.handler_name())?;
        if self.tables.len() != 1 {
            f.write_str("s")?;
        }
        for (i, t) in self.tables.iter().enumerate() {
            write!(f, "{}`{t}`", if i == 0 { " " } else { ", " })?;
        }
        let plural = if self.rows == 1 { "" } else { "s" };
        write!(f, " (batch of {} row{plural}): {}", self.rows, self.error)
    }
}

impl<E: ErrorCode> BatchError<E> {
    /// The client error's own code; an inherent method, so it needs no trait import.
    ///
    /// ```
    /// use lindy::batch::{BatchError, Kind};
    ///
    /// let err = BatchError { kind: Kind::Insert, tables: vec!["t".into()], rows: 2, error: lindy::Full(()) };
    /// assert_eq!(err.code(), "BUFFER_FULL");
    /// ```
    pub fn code(&self) -> &'static str {
        self.error.code()
    }
}

impl<E: ErrorCode> ErrorCode for BatchError<E> {
    fn code(&self) -> &'static str {
        BatchError::code(self)
    }
}

impl<E: core::error::Error + 'static> core::error::Error for BatchError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// What a [`BatchWriter`] did: returned by [`close`](BatchWriter::close) and
/// [`run`](BatchWriter::run).
///
/// ```
/// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
/// # #[derive(Default)]
/// # struct Log(Vec<(String, Vec<u32>)>);
/// # impl Client<u32> for Log {
/// #     type Error = &'static str;
/// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
/// #         if t == "bad" { return Err("refused"); }
/// #         self.0.push((t.to_owned(), rows));
/// #         Ok(())
/// #     }
/// # }
/// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new().max_rows(2));
/// let report = futures::executor::block_on(w.run(futures::stream::iter(
///     (0..5).map(|i| Message::insert("t", vec![i], 8)),
/// )));
/// assert_eq!((report.batches_written, report.rows_written), (3, 5));
/// assert!(report.errors.is_empty());
/// ```
pub struct Report<E> {
    /// Every failed client call, in order.
    pub errors: Vec<BatchError<E>>,
    /// Batches the client accepted.
    pub batches_written: u64,
    /// Rows (insert) or messages (other kinds) in those batches.
    pub rows_written: u64,
    /// Batches dropped whole because they named tables that had failed before.
    pub batches_dropped: u64,
    /// Rows (or messages) dropped: those of failed tables, and messages [`run`](BatchWriter::run)
    /// received after the writer was closed.
    pub rows_dropped: u64,
}

impl<E> Default for Report<E> {
    fn default() -> Self {
        Report {
            errors: Vec::new(),
            batches_written: 0,
            rows_written: 0,
            batches_dropped: 0,
            rows_dropped: 0,
        }
    }
}

impl<E: fmt::Debug> fmt::Debug for Report<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Report")
            .field("errors", &self.errors)
            .field("batches_written", &self.batches_written)
            .field("rows_written", &self.rows_written)
            .field("batches_dropped", &self.batches_dropped)
            .field("rows_dropped", &self.rows_dropped)
            .finish()
    }
}

/// Streams write messages into batches and hands each completed batch to a [`Client`] — the
/// CloudQuery `StreamingBatchWriter`, as one executor-agnostic future.
///
/// Two ways to drive it:
/// * [`run`](BatchWriter::run) consumes a [`Stream`] of messages, completing timed-out
///   batches while the stream is idle (it sleeps on the [`Timer`] until the next deadline),
///   and closes when the stream ends;
/// * [`write`](BatchWriter::write) one message at a time, then [`close`](BatchWriter::close).
///   Timeouts are checked on every write; between writes call
///   [`handle_timeout`](BatchWriter::handle_timeout) at the deadline
///   [`poll_timeout`](BatchWriter::poll_timeout) answers.
///
/// **Errors**: a failed client call does not stop the writer. The failure is recorded as a
/// [`BatchError`] naming its tables; every later batch naming one of those tables is dropped
/// (and counted), while other tables go on. A failed `migrate_table` / `delete_*` batch marks
/// all the tables in it as failed, since the client cannot say which one broke.
///
/// # Cancel safety
/// All async methods: messages and batches not yet handed to the client
/// stay in the writer and go out on the next call. Dropping a future *while a client call is
/// in flight* drops that call: the batch it carried is gone (the client may have applied part
/// of it). Do not race these futures against a timeout if batches must not be lost.
///
/// ```
/// use lindy::batch::{BatchOptions, BatchWriter, Client, Message, Timer};
///
/// #[derive(Default)]
/// struct Collect(Vec<(String, Vec<u32>)>);
/// impl Client<u32> for Collect {
///     type Error = &'static str;
///     async fn write_table(&mut self, table: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
///         self.0.push((table.to_owned(), rows));
///         Ok(())
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let timer = lindy::batch::StdTimer::new();
/// let mut w = BatchWriter::new(Collect::default(), timer, BatchOptions::new().max_rows(2));
/// for i in 0..5 {
///     w.write(Message::insert("t", vec![i], 8)).await.unwrap();
/// }
/// let report = w.close().await;
/// assert_eq!(report.batches_written, 3);
/// assert_eq!(w.client().0, [("t".into(), vec![0, 1]), ("t".into(), vec![2, 3]), ("t".into(), vec![4])]);
/// # });
/// ```
pub struct BatchWriter<T, C: Client<T>, K> {
    core: Core<T, C>,
    timer: K,
}

struct Core<T, C: Client<T>> {
    batcher: Batcher<T>,
    client: C,
    failed: HashSet<String>,
    report: Report<C::Error>,
}

impl<T, C: Client<T>, K: Timer> BatchWriter<T, C, K> {
    /// A writer sending batches to `client`, timed by `timer`.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new().max_rows(10));
    /// assert_eq!(w.batcher().options().rows_limit(), 10);
    /// ```
    pub fn new(client: C, timer: K, opts: BatchOptions) -> Self {
        BatchWriter {
            core: Core {
                batcher: Batcher::new(opts),
                client,
                failed: HashSet::new(),
                report: Report::default(),
            },
            timer,
        }
    }

    /// Feeds one message and sends every batch it completes.
    ///
    /// # Errors
    /// [`Closed`] with the message after [`close`](BatchWriter::close).
    ///
    /// # Cancel safety
    /// Cancel-safe except while a client call is in flight (see the [type docs](BatchWriter)).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new().max_rows(2));
    /// futures::executor::block_on(async {
    ///     w.write(Message::insert("t", vec![1, 2], 8)).await.unwrap(); // full: sent at once
    /// });
    /// assert_eq!(w.client().0.len(), 1);
    /// ```
    pub async fn write(&mut self, msg: Message<T>) -> Result<(), Closed<Message<T>>> {
        let now = self.timer.now();
        self.core.write(msg, now).await
    }

    /// Completes the batches whose timeout has passed (on the [`Timer`]'s clock) and sends
    /// them. Call it at the deadline [`poll_timeout`](BatchWriter::poll_timeout) answers.
    ///
    /// # Cancel safety
    /// Cancel-safe except while a client call is in flight (see the [type docs](BatchWriter)).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let timer = ManualTimer::new();
    /// let mut w = BatchWriter::new(Log::default(), timer.clone(), BatchOptions::new().timeout_ms(100));
    /// futures::executor::block_on(async {
    ///     w.write(Message::insert("t", vec![1], 8)).await.unwrap();
    ///     assert_eq!(w.poll_timeout(), Some(100));
    ///     timer.set(100);
    ///     w.handle_timeout().await;
    /// });
    /// assert_eq!(w.client().0.len(), 1);
    /// ```
    pub async fn handle_timeout(&mut self) {
        let now = self.timer.now();
        self.core.batcher.handle_timeout(now);
        self.core.dispatch().await;
    }

    /// The old name of [`handle_timeout`](BatchWriter::handle_timeout).
    ///
    /// # Cancel safety
    /// As [`handle_timeout`](BatchWriter::handle_timeout).
    #[deprecated(since = "0.2.0", note = "renamed `handle_timeout`")]
    pub async fn tick(&mut self) {
        self.handle_timeout().await;
    }

    /// Completes every pending batch and sends it.
    ///
    /// # Cancel safety
    /// Cancel-safe except while a client call is in flight (see the [type docs](BatchWriter)).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// futures::executor::block_on(async {
    ///     w.write(Message::insert("t", vec![1], 8)).await.unwrap();
    ///     w.flush().await;
    /// });
    /// assert_eq!(w.client().0.len(), 1);
    /// ```
    pub async fn flush(&mut self) {
        self.core.batcher.flush();
        self.core.dispatch().await;
    }

    /// Completes and sends every pending batch, refuses further messages, and returns the
    /// report (errors are moved out of the writer; counters keep running totals).
    ///
    /// # Cancel safety
    /// Cancel-safe except while a client call is in flight (see the [type docs](BatchWriter));
    /// calling it again finishes the job and is otherwise harmless.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// let report = futures::executor::block_on(async {
    ///     w.write(Message::insert("t", vec![1], 8)).await.unwrap();
    ///     let report = w.close().await;
    ///     assert!(w.write(Message::insert("t", vec![2], 8)).await.is_err()); // refused after close
    ///     report
    /// });
    /// assert_eq!(report.rows_written, 1);
    /// ```
    pub async fn close(&mut self) -> Report<C::Error> {
        self.core.close().await
    }

    /// Writes every message of `messages`, completing batches on timeouts while it is idle,
    /// then closes the writer and returns its report.
    ///
    /// Messages arriving after the writer was closed are dropped and counted.
    ///
    /// # Cancel safety
    /// Cancel-safe except while a client call is in flight (see the [type docs](BatchWriter)):
    /// dropping the future between messages loses nothing; the stream is not consumed further.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// let messages = futures::stream::iter([Message::insert("a", vec![1], 8), Message::insert("b", vec![2], 8)]);
    /// let report = futures::executor::block_on(w.run(messages));
    /// assert_eq!(report.batches_written, 2);
    /// ```
    pub async fn run<S>(&mut self, messages: S) -> Report<C::Error>
    where
        S: Stream<Item = Message<T>>,
    {
        enum Event<T> {
            Message(Message<T>),
            End,
            Deadline,
        }
        let mut messages = pin!(messages);
        let Self { core, timer } = self;
        let mut sleep = pin!(None);
        let mut armed: Option<u64> = None;
        loop {
            let event = poll_fn(|cx| {
                if let Poll::Ready(next) = messages.as_mut().poll_next(cx) {
                    return Poll::Ready(next.map_or(Event::End, Event::Message));
                }
                let deadline = core.batcher.poll_timeout();
                if deadline != armed {
                    armed = deadline;
                    sleep.set(deadline.map(|d| timer.sleep_until(d)));
                }
                if let Some(s) = sleep.as_mut().as_pin_mut() {
                    if s.poll(cx).is_ready() {
                        sleep.set(None);
                        armed = None;
                        return Poll::Ready(Event::Deadline);
                    }
                }
                Poll::Pending
            })
            .await;
            match event {
                Event::Message(msg) => {
                    if let Err(Closed(msg)) = core.write(msg, timer.now()).await {
                        core.report.rows_dropped += message_rows(&msg) as u64;
                    }
                }
                Event::End => break,
                Event::Deadline => {
                    core.batcher.handle_timeout(timer.now());
                    core.dispatch().await;
                }
            }
        }
        core.close().await
    }

    /// When the earliest pending batch times out (on the [`Timer`]'s clock); `None` if nothing
    /// is pending or the timeout is off.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::starting_at(5), BatchOptions::new().timeout_ms(10));
    /// assert_eq!(w.poll_timeout(), None);
    /// futures::executor::block_on(w.write(Message::insert("t", vec![1], 8))).unwrap();
    /// assert_eq!(w.poll_timeout(), Some(15));
    /// ```
    pub fn poll_timeout(&self) -> Option<u64> {
        self.core.batcher.poll_timeout()
    }

    /// The old name of [`poll_timeout`](BatchWriter::poll_timeout).
    #[deprecated(
        since = "0.2.0",
        note = "renamed `poll_timeout` (answers the next deadline)"
    )]
    pub fn next_deadline(&self) -> Option<u64> {
        self.poll_timeout()
    }

    /// Failures so far, moved out of the writer.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new().max_rows(1));
    /// futures::executor::block_on(w.write(Message::insert("bad", vec![1], 8))).unwrap();
    /// assert_eq!(w.take_errors().len(), 1);
    /// assert!(w.take_errors().is_empty(), "moved out");
    /// ```
    pub fn take_errors(&mut self) -> Vec<BatchError<C::Error>> {
        core::mem::take(&mut self.core.report.errors)
    }

    /// Whether a client call for `table` has failed (its later batches are being dropped).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new().max_rows(1));
    /// futures::executor::block_on(w.write(Message::insert("bad", vec![1], 8))).unwrap();
    /// assert!(w.has_failed("bad") && !w.has_failed("good"));
    /// ```
    pub fn has_failed(&self, table: &str) -> bool {
        self.core.failed.contains(table)
    }

    /// The batcher (for inspection: pending rows, options).
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// futures::executor::block_on(w.write(Message::insert("t", vec![1, 2], 8))).unwrap();
    /// assert_eq!(w.batcher().pending_rows(), 2);
    /// ```
    pub fn batcher(&self) -> &Batcher<T> {
        &self.core.batcher
    }

    /// The client.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// assert!(w.client().0.is_empty());
    /// ```
    pub fn client(&self) -> &C {
        &self.core.client
    }

    /// The client, mutably.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// w.client_mut().0.push(("seeded".into(), vec![]));
    /// assert_eq!(w.client().0.len(), 1);
    /// ```
    pub fn client_mut(&mut self) -> &mut C {
        &mut self.core.client
    }

    /// The timer.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// use lindy::batch::Timer;
    /// let w = BatchWriter::new(Log::default(), ManualTimer::starting_at(9), BatchOptions::new());
    /// assert_eq!(w.timer().now(), 9);
    /// ```
    pub fn timer(&self) -> &K {
        &self.timer
    }

    /// Takes the client and the timer back. Pending batches that were not flushed are dropped:
    /// [`close`](BatchWriter::close) first.
    ///
    /// ```
    /// # use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
    /// # #[derive(Default)]
    /// # struct Log(Vec<(String, Vec<u32>)>);
    /// # impl Client<u32> for Log {
    /// #     type Error = &'static str;
    /// #     async fn write_table(&mut self, t: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
    /// #         if t == "bad" { return Err("refused"); }
    /// #         self.0.push((t.to_owned(), rows));
    /// #         Ok(())
    /// #     }
    /// # }
    /// let mut w = BatchWriter::new(Log::default(), ManualTimer::new(), BatchOptions::new());
    /// futures::executor::block_on(async {
    ///     w.write(Message::insert("t", vec![1], 8)).await.unwrap();
    ///     w.close().await;
    /// });
    /// let (client, _timer) = w.into_parts();
    /// assert_eq!(client.0.len(), 1);
    /// ```
    pub fn into_parts(self) -> (C, K) {
        (self.core.client, self.timer)
    }
}

impl<T, C: Client<T>, K> fmt::Debug for BatchWriter<T, C, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchWriter")
            .field("batcher", &self.core.batcher)
            .field("failed_tables", &self.core.failed.len())
            .field("errors", &self.core.report.errors.len())
            .finish_non_exhaustive()
    }
}

fn message_rows<T>(msg: &Message<T>) -> usize {
    match msg {
        Message::Insert(i) => i.rows.len(),
        _ => 1,
    }
}

impl<T, C: Client<T>> Core<T, C> {
    async fn write(&mut self, msg: Message<T>, now: u64) -> Result<(), Closed<Message<T>>> {
        self.batcher.push(msg, now)?;
        self.dispatch().await;
        Ok(())
    }

    async fn close(&mut self) -> Report<C::Error> {
        self.batcher.close();
        self.dispatch().await;
        let r = &mut self.report;
        Report {
            errors: core::mem::take(&mut r.errors),
            batches_written: r.batches_written,
            rows_written: r.rows_written,
            batches_dropped: r.batches_dropped,
            rows_dropped: r.rows_dropped,
        }
    }

    /// Sends every completed batch, one call at a time.
    async fn dispatch(&mut self) {
        while let Some(batch) = self.batcher.take() {
            let kind = batch.kind();
            match batch {
                Batch::Insert(Insert { table, rows, .. }) => {
                    let n = rows.len();
                    if self.failed.contains(&table) {
                        self.report.batches_dropped += 1;
                        self.report.rows_dropped += n as u64;
                        continue;
                    }
                    match self.client.write_table(&table, rows).await {
                        Ok(()) => self.written(n),
                        Err(error) => self.fail(kind, alloc::vec![table], n, error),
                    }
                }
                Batch::Migrate(mut tables)
                | Batch::DeleteStale(mut tables)
                | Batch::DeleteRecords(mut tables) => {
                    let before = tables.len();
                    tables.retain(|t| !self.failed.contains(t));
                    self.report.rows_dropped += (before - tables.len()) as u64;
                    if tables.is_empty() {
                        self.report.batches_dropped += 1;
                        continue;
                    }
                    let result = match kind {
                        Kind::Migrate => self.client.migrate_table(&tables).await,
                        Kind::DeleteStale => self.client.delete_stale(&tables).await,
                        _ => self.client.delete_records(&tables).await,
                    };
                    let n = tables.len();
                    match result {
                        Ok(()) => self.written(n),
                        Err(error) => self.fail(kind, tables, n, error),
                    }
                }
            }
        }
    }

    fn written(&mut self, rows: usize) {
        self.report.batches_written += 1;
        self.report.rows_written += rows as u64;
    }

    /// Records a failed call; its tables (none of which had failed before) are failed from now
    /// on. Repeated names are listed once.
    fn fail(&mut self, kind: Kind, mut tables: Vec<String>, rows: usize, error: C::Error) {
        tables.retain(|t| self.failed.insert(t.clone()));
        self.report.errors.push(BatchError {
            kind,
            tables,
            rows,
            error,
        });
    }
}
