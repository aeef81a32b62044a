//! A [`Timer`] whose clock moves only when told to: for tests, simulations and hosts that
//! bring their own notion of time.

use crate::sync::Arc;
use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::future::Future;
use core::pin::Pin;
use core::task::{Context, Poll, Waker};

use super::Timer;
use crate::sync::{DefaultRawMutex, Mutex};

/// A [`Timer`] driven by hand: [`now`](Timer::now) is whatever [`set`](ManualTimer::set) or
/// [`advance`](ManualTimer::advance) last made it, and moving the clock wakes every sleep whose
/// deadline it reached.
///
/// Works everywhere (`no_std` included) and under any executor, with no thread and no
/// runtime: the deterministic choice for tests. Clones share the clock. The clock never runs
/// backwards: `set` to an earlier time is ignored.
///
/// ```
/// use lindy::batch::{BatchOptions, BatchWriter, Client, ManualTimer, Message};
/// use futures::task::LocalSpawnExt;
/// use std::{cell::RefCell, rc::Rc};
///
/// #[derive(Clone, Default)]
/// struct Log(Rc<RefCell<Vec<(String, Vec<u32>)>>>);
/// impl Client<u32> for Log {
///     type Error = core::convert::Infallible;
///     async fn write_table(&mut self, table: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
///         self.0.borrow_mut().push((table.to_owned(), rows));
///         Ok(())
///     }
/// }
///
/// let timer = ManualTimer::new();
/// let log = Log::default();
/// let (tx, rx) = futures::channel::mpsc::unbounded();
/// let mut writer = BatchWriter::new(log.clone(), timer.clone(), BatchOptions::new().timeout_ms(1_000));
/// let mut pool = futures::executor::LocalPool::new();
/// pool.spawner().spawn_local(async move { writer.run(rx).await; }).unwrap();
///
/// tx.unbounded_send(Message::insert("t", vec![1], 8)).unwrap();
/// pool.run_until_stalled();
/// timer.advance(999);
/// pool.run_until_stalled();
/// assert!(log.0.borrow().is_empty(), "not before the batch's timeout");
/// timer.advance(1);
/// pool.run_until_stalled();
/// assert_eq!(*log.0.borrow(), [("t".to_owned(), vec![1])]);
/// ```
#[derive(Clone, Default)]
pub struct ManualTimer {
    shared: Arc<Mutex<DefaultRawMutex, State>>,
}

#[derive(Default)]
struct State {
    now: u64,
    /// (deadline, id) → waker of the sleep future with that id.
    sleepers: BTreeMap<(u64, u64), Waker>,
    next_id: u64,
}

impl core::fmt::Debug for ManualTimer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let (now, sleepers) = self.shared.lock(|s| (s.now, s.sleepers.len()));
        f.debug_struct("ManualTimer")
            .field("now", &now)
            .field("sleepers", &sleepers)
            .finish()
    }
}

impl ManualTimer {
    /// A timer whose clock reads 0.
    ///
    /// ```
    /// use lindy::batch::{ManualTimer, Timer};
    /// assert_eq!(ManualTimer::new().now(), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A timer whose clock reads `now_ms`.
    ///
    /// ```
    /// use lindy::batch::{ManualTimer, Timer};
    /// assert_eq!(ManualTimer::starting_at(1_700).now(), 1_700);
    /// ```
    pub fn starting_at(now_ms: u64) -> Self {
        let timer = Self::default();
        timer.shared.lock(|s| s.now = now_ms);
        timer
    }

    /// Moves the clock to `now_ms` (ignored if that is earlier than the current time) and wakes
    /// every sleep whose deadline has been reached. Returns how many it woke.
    ///
    /// ```
    /// use lindy::batch::{ManualTimer, Timer};
    /// let timer = ManualTimer::new();
    /// timer.set(50);
    /// timer.set(10); // the clock never runs backwards
    /// assert_eq!(timer.now(), 50);
    /// ```
    pub fn set(&self, now_ms: u64) -> usize {
        let due: Vec<Waker> = self.shared.lock(|s| {
            s.now = s.now.max(now_ms);
            let later = s.sleepers.split_off(&(s.now.saturating_add(1), 0));
            let due = core::mem::replace(&mut s.sleepers, later);
            due.into_values().collect()
        });
        // Woken outside the lock: a waker may poll the sleep right away.
        let woken = due.len();
        due.into_iter().for_each(Waker::wake);
        woken
    }

    /// Moves the clock forward by `ms` (saturating) and wakes what is due, as
    /// [`set`](ManualTimer::set). Returns how many sleeps it woke.
    ///
    /// ```
    /// use lindy::batch::{ManualTimer, Timer};
    /// let timer = ManualTimer::starting_at(5);
    /// timer.advance(10);
    /// assert_eq!(timer.now(), 15);
    /// ```
    pub fn advance(&self, ms: u64) -> usize {
        let target = self.shared.lock(|s| s.now.saturating_add(ms));
        self.set(target)
    }

    /// The earliest deadline a sleep is waiting for, if any: where to [`set`](ManualTimer::set)
    /// the clock to make progress.
    ///
    /// ```
    /// use lindy::batch::{ManualTimer, Timer};
    /// use std::{future::Future, pin::pin, task::Context};
    ///
    /// let timer = ManualTimer::new();
    /// let mut sleep = pin!(timer.sleep_until(30));
    /// let waker = futures::task::noop_waker();
    /// assert!(sleep.as_mut().poll(&mut Context::from_waker(&waker)).is_pending());
    /// assert_eq!(timer.next_wake(), Some(30));
    /// assert_eq!(timer.set(30), 1);
    /// assert!(sleep.as_mut().poll(&mut Context::from_waker(&waker)).is_ready());
    /// assert_eq!(timer.next_wake(), None);
    /// ```
    pub fn next_wake(&self) -> Option<u64> {
        self.shared
            .lock(|s| s.sleepers.keys().next().map(|&(deadline, _)| deadline))
    }

    /// Sleep futures currently waiting.
    ///
    /// ```
    /// use lindy::batch::ManualTimer;
    /// assert_eq!(ManualTimer::new().sleepers(), 0);
    /// ```
    pub fn sleepers(&self) -> usize {
        self.shared.lock(|s| s.sleepers.len())
    }
}

impl Timer for ManualTimer {
    fn now(&self) -> u64 {
        self.shared.lock(|s| s.now)
    }

    /// # Cancel safety
    /// Cancel-safe: dropping the future unregisters it; nothing else is affected.
    fn sleep_until(&self, deadline_ms: u64) -> impl Future<Output = ()> {
        ManualSleep {
            timer: self,
            deadline: deadline_ms,
            key: None,
        }
    }
}

/// The future of [`ManualTimer::sleep_until`].
struct ManualSleep<'a> {
    timer: &'a ManualTimer,
    deadline: u64,
    key: Option<(u64, u64)>,
}

impl Future for ManualSleep<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        let (deadline, key) = (this.deadline, &mut this.key);
        this.timer.shared.lock(|s| {
            if s.now >= deadline {
                if let Some(k) = key.take() {
                    s.sleepers.remove(&k);
                }
                return Poll::Ready(());
            }
            match key.and_then(|k| s.sleepers.get_mut(&k)) {
                Some(waker) => waker.clone_from(cx.waker()),
                None => {
                    // Not registered yet, or woken by `set` (which removed the entry) for a
                    // deadline that is still ahead: register (again).
                    let k = (deadline, s.next_id);
                    s.next_id += 1;
                    s.sleepers.insert(k, cx.waker().clone());
                    *key = Some(k);
                }
            }
            Poll::Pending
        })
    }
}

impl Drop for ManualSleep<'_> {
    fn drop(&mut self) {
        if let Some(k) = self.key.take() {
            self.timer.shared.lock(|s| s.sleepers.remove(&k));
        }
    }
}

#[cfg(all(test, feature = "std", not(loom)))]
mod tests {
    use super::*;
    use std::boxed::Box;

    fn poll<F: Future<Output = ()>>(f: &mut Pin<Box<F>>) -> bool {
        let waker = futures::task::noop_waker();
        f.as_mut().poll(&mut Context::from_waker(&waker)).is_ready()
    }

    #[test]
    fn sleeps_complete_in_deadline_order_and_only_when_due() {
        let timer = ManualTimer::new();
        let mut a = Box::pin(timer.sleep_until(20));
        let mut b = Box::pin(timer.sleep_until(10));
        assert!(!poll(&mut a) && !poll(&mut b));
        assert_eq!(timer.next_wake(), Some(10));
        assert_eq!(timer.set(15), 1);
        assert!(poll(&mut b) && !poll(&mut a));
        assert_eq!(timer.sleepers(), 1);
        assert_eq!(timer.advance(5), 1);
        assert!(poll(&mut a));
        assert_eq!(timer.sleepers(), 0);
    }

    #[test]
    fn a_dropped_sleep_unregisters_and_a_past_deadline_is_ready_at_once() {
        let timer = ManualTimer::starting_at(100);
        let mut past = Box::pin(timer.sleep_until(100));
        assert!(poll(&mut past));
        let mut future = Box::pin(timer.sleep_until(u64::MAX));
        assert!(!poll(&mut future));
        assert_eq!(timer.sleepers(), 1);
        drop(future);
        assert_eq!(timer.sleepers(), 0);
        assert_eq!(timer.advance(u64::MAX), 0, "saturates, nothing to wake");
    }

    #[test]
    fn repolling_keeps_one_registration() {
        let timer = ManualTimer::new();
        let mut s = Box::pin(timer.sleep_until(5));
        for _ in 0..3 {
            assert!(!poll(&mut s));
        }
        assert_eq!(timer.sleepers(), 1);
    }
}
