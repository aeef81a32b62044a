//! Thread-blocking drivers for lindy's futures (`std` only): poll on the calling thread, park it
//! until the future's waker unparks it (or a deadline passes), poll again.
//!
//! One waker per thread, made once, so a blocking wait allocates nothing.
//!
//! Before parking, a wait spins briefly (crossbeam's `Backoff` spin phase): rounds of
//! exponentially longer busy-waits on the thread's own `woken` flag, a few microseconds in all.
//! A hand-off partner on another core usually answers within that window, and then neither side
//! pays for a futex sleep and wake-up (unparking a thread that is not parked is one atomic
//! swap). The spin reads only this thread's flag, never the shared state, so it takes no cache
//! line from the partner. No `yield_now` phase: on a loaded machine a yield can wait behind
//! other processes' time slices, and the benchmarks' loaded regime got slower with it
//! (`docs/benchmarks/threads.md` measures both regimes).

use core::future::Future;
#[cfg(not(loom))]
use core::hint::spin_loop;
use core::pin::pin;
use core::sync::atomic::{AtomicBool, Ordering};
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::task::Wake;
use std::thread::{self, Thread};
use std::time::Instant;

/// Unparks its thread; `woken` tells a real wake-up from a spurious or stale `park` return.
struct ThreadNotify {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for ThreadNotify {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        // A second wake-up before the thread re-polls needs no second unpark.
        if !self.woken.swap(true, Ordering::Release) {
            self.thread.unpark();
        }
    }
}

/// Busy-wait rounds before parking: round `k` spins `2^k` times (127 spins in all).
#[cfg(not(loom))]
const SPIN_STEPS: u32 = 7;

struct Blocker {
    notify: Arc<ThreadNotify>,
    waker: Waker,
}

impl Blocker {
    fn new() -> Self {
        let notify = Arc::new(ThreadNotify {
            thread: thread::current(),
            woken: AtomicBool::new(false),
        });
        Blocker {
            waker: Waker::from(notify.clone()),
            notify,
        }
    }

    /// Waits for a wake-up until `deadline` (if any); `false` if the deadline passed first.
    fn wait(&self, deadline: Option<Instant>) -> bool {
        self.snooze();
        self.sleep(deadline)
    }

    /// Parks until a wake-up, or until `deadline` (if any) passes: `false` then. No spin.
    fn sleep(&self, deadline: Option<Instant>) -> bool {
        while !self.notify.woken.swap(false, Ordering::Acquire) {
            match deadline {
                None => thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return false;
                    }
                    thread::park_timeout(d - now);
                }
            }
        }
        true
    }

    /// Busy-waits for a wake-up that is probably moments away (see the module docs); returns
    /// as soon as `woken` is set, or after the last round ([`SPIN_STEPS`] rounds, 127
    /// `spin_loop` hints in all: a few microseconds).
    fn snooze(&self) {
        spin_until(|| self.notify.woken.load(Ordering::Relaxed));
    }

    fn run<F: Future>(&self, fut: F, deadline: Option<Instant>) -> Option<F::Output> {
        let mut fut = pin!(fut);
        let mut cx = Context::from_waker(&self.waker);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return Some(v);
            }
            if !self.wait(deadline) {
                return None; // dropping the future cancels the wait
            }
        }
    }
}

std::thread_local! {
    static BLOCKER: Blocker = Blocker::new();
}

/// Polls `fut` on this thread until it is ready, or until `deadline` passes: then `None`, and the
/// future is dropped (every lindy wait is cancel-safe, so nothing was taken).
/// Never call it from inside an async task: it parks the executor's thread.
pub(crate) fn block_on_until<F: Future>(fut: F, deadline: Option<Instant>) -> Option<F::Output> {
    let mut fut = pin!(fut);
    // `try_with` fails only while the thread's locals are being destroyed: use a one-off waker.
    match BLOCKER.try_with(|b| b.run(fut.as_mut(), deadline)) {
        Ok(out) => out,
        Err(_) => Blocker::new().run(fut, deadline),
    }
}

/// [`block_on_until`] without a deadline.
pub(crate) fn block_on<F: Future>(fut: F) -> F::Output {
    match block_on_until(fut, None) {
        Some(v) => v,
        None => unreachable!("a wait without a deadline cannot time out"),
    }
}

/// This thread's waker and its wait (spin, then park): for a blocking operation that runs its own
/// protocol instead of polling a future (the space's hand-off take, `space::hand_off`).
#[cfg(not(loom))]
pub(crate) struct ThreadWait<'a>(&'a Blocker);

#[cfg(not(loom))]
impl ThreadWait<'_> {
    /// The waker that ends this thread's [`wait`](Self::wait).
    pub(crate) fn waker(&self) -> &Waker {
        &self.0.waker
    }

    /// Sleeps until woken or until `deadline` (if any) passes: `false` then. No spin: the caller
    /// spins on its own condition first ([`spin_until`]). Spurious returns happen (a wake-up left
    /// over from an earlier wait): check the condition, then sleep again.
    pub(crate) fn sleep(&self, deadline: Option<Instant>) -> bool {
        self.0.sleep(deadline)
    }
}

/// Busy-wait rounds a caller of [`ThreadWait`] spins on its own condition before it sleeps: the
/// same budget as the futures' driver ([`SPIN_STEPS`]: round `k` spins `2^k` times).
#[cfg(not(loom))]
pub(crate) fn spin_until(mut done: impl FnMut() -> bool) -> bool {
    for step in 0..SPIN_STEPS {
        if done() {
            return true;
        }
        (0..1u32 << step).for_each(|_| spin_loop());
    }
    done()
}

/// Runs `f` with this thread's [`ThreadWait`] (made once per thread: nothing is allocated).
#[cfg(not(loom))]
pub(crate) fn with_thread_wait<T>(f: impl FnOnce(ThreadWait<'_>) -> T) -> T {
    let mut f = Some(f);
    // `try_with` fails only while the thread's locals are being destroyed: use a one-off blocker.
    if let Ok(Some(out)) = BLOCKER.try_with(|b| f.take().map(|f| f(ThreadWait(b)))) {
        return out;
    }
    match f {
        Some(f) => f(ThreadWait(&Blocker::new())),
        None => unreachable!("`try_with` ran the closure, which returned"),
    }
}

/// Under loom, [`ThreadWait`] blocks on a loom `Condvar`, so the models explore every
/// interleaving of the hand-off. A wait with a deadline gives up after one yield unless it was
/// woken (the model's stand-in for a timeout racing the wake-up).
#[cfg(loom)]
pub(crate) struct ThreadWait<'a> {
    notify: Arc<LoomNotify>,
    waker: Waker,
    _frame: core::marker::PhantomData<&'a ()>,
}

#[cfg(loom)]
struct LoomNotify {
    woken: loom::sync::Mutex<bool>,
    cv: loom::sync::Condvar,
}

#[cfg(loom)]
impl Wake for LoomNotify {
    fn wake(self: Arc<Self>) {
        *self.woken.lock().unwrap() = true;
        self.cv.notify_one();
    }
}

#[cfg(loom)]
impl ThreadWait<'_> {
    pub(crate) fn waker(&self) -> &Waker {
        &self.waker
    }

    pub(crate) fn sleep(&self, deadline: Option<Instant>) -> bool {
        let mut woken = self.notify.woken.lock().unwrap();
        if deadline.is_some() && !*woken {
            drop(woken);
            loom::thread::yield_now();
            woken = self.notify.woken.lock().unwrap();
        } else {
            while !*woken {
                woken = self.notify.cv.wait(woken).unwrap();
            }
        }
        core::mem::replace(&mut *woken, false)
    }
}

/// Under loom a spin is one look (loom explores the interleavings a spin would wait through).
#[cfg(loom)]
pub(crate) fn spin_until(mut done: impl FnMut() -> bool) -> bool {
    done()
}

#[cfg(loom)]
pub(crate) fn with_thread_wait<T>(f: impl FnOnce(ThreadWait<'_>) -> T) -> T {
    let notify = Arc::new(LoomNotify {
        woken: loom::sync::Mutex::new(false),
        cv: loom::sync::Condvar::new(),
    });
    f(ThreadWait {
        waker: Waker::from(notify.clone()),
        notify,
        _frame: core::marker::PhantomData,
    })
}
