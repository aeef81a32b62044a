//! Wakers collected under the space's lock and woken after it is released.

use alloc::vec::Vec;
use core::task::Waker;

use crate::queue::Engine;

/// Wakers collected under the lock and woken after it is released.
///
/// The common case (one taker, or nobody) costs no allocation and next to nothing to build and
/// drop; several wakers (readers, close) go to a `Vec`.
pub(crate) struct WakeList {
    first: Option<Waker>,
    rest: Vec<Waker>,
}

impl WakeList {
    pub(crate) const fn new() -> Self {
        WakeList {
            first: None,
            rest: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, waker: Waker) {
        if self.first.is_none() {
            self.first = Some(waker);
        } else {
            self.rest.push(waker);
        }
    }

    /// Moves the wakers of every waiter the engine made ready into the list.
    #[inline]
    pub(crate) fn collect<V>(&mut self, engine: &mut Engine<V, Waker>) {
        if engine.has_ready() {
            while let Some((_, waker)) = engine.take_ready() {
                self.push(waker);
            }
        }
    }

    /// Wakes everything collected. Call it with no lock held.
    #[inline]
    pub(crate) fn wake_all(self) {
        let WakeList { first, rest } = self;
        if let Some(w) = first {
            w.wake();
            if !rest.is_empty() {
                rest.into_iter().for_each(Waker::wake);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use alloc::sync::Arc;
    use core::sync::atomic::{AtomicUsize, Ordering};
    use std::task::Wake;

    struct Counter(AtomicUsize);
    impl Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn wake_list_wakes_everything_it_collected() {
        let c = Arc::new(Counter(AtomicUsize::new(0)));
        let mut list = WakeList::new();
        for _ in 0..12 {
            list.push(Waker::from(c.clone()));
        }
        list.wake_all();
        assert_eq!(c.0.load(Ordering::SeqCst), 12);
    }
}
