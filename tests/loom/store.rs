//! The store's waiting paths under every interleaving: a blocking take woken by a push, a woken
//! take that is cancelled handing its wake-up on, and group commit's leader/follower protocol.

use std::future::Future;
use std::task::Context;

use lindy::store::{Durability, FaultStorage, Store, StoreOptions};
use loom::sync::Arc;

fn store(durability: Durability) -> (FaultStorage, Arc<Store<FaultStorage>>) {
    let fs = FaultStorage::new();
    let opts = StoreOptions::new().with_durability(durability);
    let s = Store::<FaultStorage>::with_storage(fs.clone(), opts).unwrap();
    (fs, Arc::new(s))
}

/// A take that may register before or after the push always gets the entry.
#[test]
fn take_is_woken_by_a_push_from_another_thread() {
    loom::model(|| {
        let (_, s) = store(Durability::Never);
        let pusher = {
            let s = s.clone();
            loom::thread::spawn(move || s.push("k", b"v").unwrap())
        };
        assert_eq!(loom::future::block_on(s.take("k")).unwrap(), b"v");
        pusher.join().unwrap();
        assert_eq!(s.len("k"), 0);
    });
}

/// A take that is woken and then dropped (cancelled) passes the wake-up on: another take already
/// waiting on the key still gets the entry (without hand-on it would sleep forever, which loom
/// reports as a deadlock).
#[test]
fn a_cancelled_take_hands_the_wake_up_on() {
    loom::model(|| {
        let (_, s) = store(Durability::Never);
        // A registers first, so the push notifies A, not B.
        let mut a = Box::pin(s.take("k"));
        let waker = std::task::Waker::noop().clone();
        assert!(a
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        let b = {
            let s = s.clone();
            loom::thread::spawn(move || loom::future::block_on(s.take("k")).unwrap())
        };
        let pusher = {
            let s = s.clone();
            loom::thread::spawn(move || s.push("k", b"v").unwrap())
        };
        loom::thread::yield_now();
        drop(a); // before or after the push, before or after B registered
        assert_eq!(b.join().unwrap(), b"v");
        pusher.join().unwrap();
    });
}

/// Two pushers under `Always`: both return only once durable, whoever leads the fsync, and no
/// more than one fsync each.
#[test]
fn group_commit_leader_and_follower_both_end_durable() {
    loom::model(|| {
        let (fs, s) = store(Durability::Always);
        let other = {
            let s = s.clone();
            loom::thread::spawn(move || s.push("k", b"a").unwrap())
        };
        s.push("k", b"b").unwrap();
        other.join().unwrap();
        let st = s.stats();
        assert_eq!((st.appended, st.durable), (2, 2));
        assert!(fs.syncs() <= 2);
        assert_eq!(fs.power_loss(), fs.contents());
    });
}
