//! A [`Timer`] for std: a monotonic clock and one background thread that fires wakers.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};
use std::vec::Vec;

use super::Timer;

/// A [`Timer`] for std targets, usable under any executor.
///
/// [`now`](Timer::now) is milliseconds since the timer was created ([`Instant`], monotonic).
/// Sleeps are served by one background thread per timer (started on the first sleep that has
/// to wait, stopped when the last clone is dropped): it parks on a condition variable until
/// the earliest deadline and wakes the sleeping futures' wakers.
///
/// Clones share the clock and the thread.
///
/// ```
/// use lindy::batch::{StdTimer, Timer};
///
/// let timer = StdTimer::new();
/// let t0 = timer.now();
/// futures::executor::block_on(timer.sleep_until(t0 + 5));
/// assert!(timer.now() >= t0 + 5);
/// ```
#[derive(Clone)]
pub struct StdTimer {
    handle: Arc<Handle>,
}

/// Dropped with the last `StdTimer` clone: tells the thread to stop.
struct Handle {
    shared: Arc<Shared>,
}

struct Shared {
    origin: Instant,
    state: Mutex<State>,
    cond: Condvar,
}

#[derive(Default)]
struct State {
    /// (deadline, id) → waker of the sleep future with that id.
    sleepers: BTreeMap<(u64, u64), Waker>,
    next_id: u64,
    thread_started: bool,
    shutdown: bool,
}

impl Default for StdTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for StdTimer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StdTimer")
            .field("now", &self.now())
            .finish_non_exhaustive()
    }
}

impl StdTimer {
    /// A timer whose clock starts at 0 now.
    ///
    /// ```
    /// use lindy::batch::{StdTimer, Timer};
    /// let timer = StdTimer::new();
    /// assert!(timer.now() < 1_000);
    /// ```
    pub fn new() -> Self {
        StdTimer {
            handle: Arc::new(Handle {
                shared: Arc::new(Shared {
                    origin: Instant::now(),
                    state: Mutex::new(State::default()),
                    cond: Condvar::new(),
                }),
            }),
        }
    }

    fn shared(&self) -> &Arc<Shared> {
        &self.handle.shared
    }
}

impl Shared {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn run(self: Arc<Self>) {
        let mut state = self.lock();
        let mut due = Vec::new();
        loop {
            if state.shutdown {
                return;
            }
            let now = self.now();
            while let Some(entry) = state.sleepers.first_entry() {
                if entry.key().0 > now {
                    break;
                }
                due.push(entry.remove());
            }
            if !due.is_empty() {
                drop(state);
                due.drain(..).for_each(Waker::wake);
                state = self.lock();
                continue;
            }
            state = match state.sleepers.keys().next() {
                Some(&(deadline, _)) => {
                    let wait = Duration::from_millis(deadline - now);
                    self.cond
                        .wait_timeout(state, wait)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0
                }
                None => self
                    .cond
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner),
            };
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.lock().shutdown = true;
        self.shared.cond.notify_all();
    }
}

impl Timer for StdTimer {
    fn now(&self) -> u64 {
        self.shared().now()
    }

    /// # Cancel safety
    /// Cancel-safe: dropping the future unregisters it from the timer thread.
    fn sleep_until(&self, deadline_ms: u64) -> impl Future<Output = ()> {
        StdSleep {
            shared: self.shared(),
            deadline: deadline_ms,
            key: None,
        }
    }
}

/// The future of [`StdTimer::sleep_until`].
///
/// # Cancel safety
/// Cancel-safe: dropping it unregisters it.
struct StdSleep<'a> {
    shared: &'a Arc<Shared>,
    deadline: u64,
    key: Option<(u64, u64)>,
}

impl Future for StdSleep<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = self.get_mut();
        if this.shared.now() >= this.deadline {
            this.unregister();
            return Poll::Ready(());
        }
        let mut state = this.shared.lock();
        if let Some(waker) = this.key.and_then(|k| state.sleepers.get_mut(&k)) {
            if !waker.will_wake(cx.waker()) {
                *waker = cx.waker().clone();
            }
            return Poll::Pending;
        }
        let key = (this.deadline, state.next_id);
        state.next_id += 1;
        state.sleepers.insert(key, cx.waker().clone());
        this.key = Some(key);
        let earliest = state.sleepers.keys().next() == Some(&key);
        if !state.thread_started {
            state.thread_started = true;
            let shared = Arc::clone(this.shared);
            let spawned = std::thread::Builder::new()
                .name(std::string::String::from("lindy-timer"))
                .spawn(move || shared.run());
            if spawned.is_err() {
                // No thread: fall back to waking right away (the executor re-polls: a busy
                // wait, but never a lost deadline).
                state.thread_started = false;
                drop(state);
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        } else if earliest {
            drop(state);
            this.shared.cond.notify_all();
        }
        Poll::Pending
    }
}

impl StdSleep<'_> {
    fn unregister(&mut self) {
        if let Some(key) = self.key.take() {
            self.shared.lock().sleepers.remove(&key);
        }
    }
}

impl Drop for StdSleep<'_> {
    fn drop(&mut self) {
        self.unregister();
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::boxed::Box;

    #[test]
    fn concurrent_sleeps_all_complete_after_their_deadlines() {
        let timer = StdTimer::new();
        let t0 = timer.now();
        let pool = futures::executor::ThreadPool::builder()
            .pool_size(2)
            .create()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        for d in [30u64, 10, 20, 0] {
            let (timer, tx) = (timer.clone(), tx.clone());
            pool.spawn_ok(async move {
                timer.sleep_until(t0 + d).await;
                tx.send(timer.now() >= t0 + d).unwrap();
            });
        }
        for _ in 0..4 {
            assert!(rx.recv().unwrap(), "a sleep completed before its deadline");
        }
        assert!(timer.shared().lock().sleepers.is_empty());
    }

    #[test]
    fn a_dropped_sleep_unregisters() {
        let timer = StdTimer::new();
        let mut fut = Box::pin(timer.sleep_until(timer.now() + 60_000));
        let waker = futures::task::noop_waker();
        assert!(fut
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        assert_eq!(timer.shared().lock().sleepers.len(), 1);
        drop(fut);
        assert_eq!(timer.shared().lock().sleepers.len(), 0);
    }

    #[test]
    fn a_past_deadline_is_ready_at_once() {
        let timer = StdTimer::new();
        futures::executor::block_on(timer.sleep_until(0));
        assert!(timer.shared().lock().sleepers.is_empty());
        assert!(!timer.shared().lock().thread_started);
    }
}
