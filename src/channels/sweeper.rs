//! A std timer thread that sweeps a [`Manager`] periodically (the seed's `RunSweeper`).

use alloc::sync::{Arc, Weak};
use core::time::Duration;
use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::{Manager, Registry};
use crate::sync::RawMutex;

/// The shortest sweep interval; shorter ones are raised to it (a zero interval would spin).
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// let manager = Arc::new(lindy::channels::Manager::new());
/// let sweeper = manager.run_sweeper(Duration::ZERO)?; // raised to MIN_SWEEP_INTERVAL
/// sweeper.wait_for_sweeps(2);
/// sweeper.stop();
/// # Ok::<(), std::io::Error>(())
/// ```
pub const MIN_SWEEP_INTERVAL: Duration = Duration::from_millis(1);

#[derive(Default)]
struct Progress {
    stop: bool,
    finished: bool,
    sweeps: u64,
    transitions: u64,
}

#[derive(Default)]
struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Progress> {
        // The thread never panics while holding the lock; ignore poisoning regardless.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Controls a sweeper thread started by [`Manager::run_sweeper`]. Dropping it stops the thread
/// and waits for it (like [`stop`](Self::stop)).
///
/// ```
/// use std::{sync::Arc, time::Duration};
/// let manager = Arc::new(lindy::channels::Manager::new());
/// let sweeper: lindy::channels::SweeperHandle = manager.run_sweeper(Duration::from_millis(5))?;
/// drop(sweeper); // stops and joins the thread
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct SweeperHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl core::fmt::Debug for Shared {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let p = self.lock();
        f.debug_struct("Sweeper")
            .field("sweeps", &p.sweeps)
            .field("transitions", &p.transitions)
            .field("finished", &p.finished)
            .finish()
    }
}

impl SweeperHandle {
    /// Sweeps run so far.
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let manager = Arc::new(lindy::channels::Manager::new());
    /// let sweeper = manager.run_sweeper(Duration::from_millis(1))?;
    /// sweeper.wait_for_sweeps(1);
    /// assert!(sweeper.sweeps() >= 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn sweeps(&self) -> u64 {
        self.shared.lock().sweeps
    }

    /// Transitions (closed or deleted channels) made by those sweeps.
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let manager = Arc::new(lindy::channels::Manager::new());
    /// manager.open_public(&lindy::grammar::Name::parse("public:a.b").unwrap(), Some(Duration::ZERO)).unwrap();
    /// let sweeper = manager.run_sweeper(Duration::from_millis(1))?;
    /// sweeper.wait_for_sweeps(1);
    /// assert_eq!(sweeper.transitions(), 1);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn transitions(&self) -> u64 {
        self.shared.lock().transitions
    }

    /// Whether the thread has ended: stopped, or its manager was dropped (the sweeper holds the
    /// manager weakly, so it never keeps one alive).
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let manager = Arc::new(lindy::channels::Manager::new());
    /// let sweeper = manager.run_sweeper(Duration::from_millis(1))?;
    /// drop(manager); // held weakly: the thread ends on its next tick
    /// while !sweeper.is_finished() {
    ///     std::thread::yield_now();
    /// }
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.shared.lock().finished
    }

    /// Blocks until at least `n` sweeps have run or the thread has ended; returns the sweep
    /// count. For tests and orderly start-up, not for timing.
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let manager = Arc::new(lindy::channels::Manager::new());
    /// let sweeper = manager.run_sweeper(Duration::from_millis(1))?;
    /// assert!(sweeper.wait_for_sweeps(3) >= 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn wait_for_sweeps(&self, n: u64) -> u64 {
        let mut p = self.shared.lock();
        while p.sweeps < n && !p.finished {
            p = self
                .shared
                .changed
                .wait(p)
                .unwrap_or_else(PoisonError::into_inner);
        }
        p.sweeps
    }

    /// Stops the thread promptly (it is woken mid-sleep) and waits for it to end. A sweep in
    /// progress finishes first.
    ///
    /// ```
    /// use std::{sync::Arc, time::Duration};
    /// let manager = Arc::new(lindy::channels::Manager::new());
    /// let sweeper = manager.run_sweeper(Duration::from_secs(3600))?;
    /// sweeper.stop(); // woken mid-sleep: returns at once
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        if let Some(t) = self.thread.take() {
            // A panic in the thread (e.g. from an `on_sweep` hook) has already been reported
            // by the panic hook; stopping must not panic again.
            let _ = t.join();
        }
    }
}

impl Drop for SweeperHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl<G, R> Manager<G, R>
where
    G: Registry + Send + 'static,
    R: RawMutex + Send + Sync + 'static,
{
    /// Starts a thread (`lindy-sweeper`) that calls [`handle_timeout_now`](Self::handle_timeout_now) every
    /// `every` (at least [`MIN_SWEEP_INTERVAL`]) until the returned handle is stopped or dropped,
    /// or the manager is dropped. The `on_sweep` hook runs on that thread.
    ///
    /// # Errors
    /// If the OS cannot start a thread.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::Duration;
    /// use lindy::channels::Manager;
    ///
    /// let manager = Arc::new(Manager::new());
    /// let sweeper = manager.run_sweeper(Duration::from_millis(10))?;
    /// sweeper.wait_for_sweeps(1);
    /// sweeper.stop();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn run_sweeper(self: &Arc<Self>, every: Duration) -> std::io::Result<SweeperHandle> {
        let every = every.max(MIN_SWEEP_INTERVAL);
        let shared = Arc::new(Shared::default());
        let manager: Weak<Self> = Arc::downgrade(self);
        let thread = {
            let shared = shared.clone();
            thread::Builder::new()
                .name("lindy-sweeper".into())
                .spawn(move || sweep_loop(&manager, &shared, every))?
        };
        Ok(SweeperHandle {
            shared,
            thread: Some(thread),
        })
    }
}

fn sweep_loop<G, R>(manager: &Weak<Manager<G, R>>, shared: &Shared, every: Duration)
where
    G: Registry,
    R: RawMutex,
{
    // Marks the end even if a sweep (a user hook) panics, so waiters are released.
    struct Finish<'a>(&'a Shared);
    impl Drop for Finish<'_> {
        fn drop(&mut self) {
            self.0.lock().finished = true;
            self.0.changed.notify_all();
        }
    }
    let _finish = Finish(shared);
    let mut next = Instant::now() + every;
    loop {
        {
            let mut p = shared.lock();
            loop {
                if p.stop {
                    return;
                }
                let now = Instant::now();
                if now >= next {
                    break;
                }
                p = shared
                    .changed
                    .wait_timeout(p, next - now)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
        }
        let Some(m) = manager.upgrade() else { return };
        let transitions = m.handle_timeout_now();
        drop(m);
        {
            let mut p = shared.lock();
            p.sweeps += 1;
            p.transitions += transitions as u64;
        }
        shared.changed.notify_all();
        // Fixed-rate ticks, but never a burst of catch-up sweeps after a long one.
        next += every;
        let now = Instant::now();
        if next < now {
            next = now + every;
        }
    }
}
