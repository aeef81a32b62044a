//! `ShardedSpace`'s cross-shard races (issue 18): the whole-space operations lock every shard in
//! index order, so they are atomic with respect to per-key operations on different shards.

use lindy::space::ShardedSpace;
use lindy::sync::StdRawMutex;
use loom::sync::Arc;

type Space = ShardedSpace<u32, StdRawMutex, 2>;

/// Two keys in different shards: `low` in shard 0, `high` in shard 1.
fn keys(space: &Space) -> (&'static str, &'static str) {
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    let low = names.iter().find(|k| space.shard_of(k) == 0).unwrap();
    let high = names.iter().find(|k| space.shard_of(k) == 1).unwrap();
    (low, high)
}

/// `close` races two pushes on keys in different shards, made in order by one thread: if the
/// first was refused, the second is too (a close shard by shard would let the second in), and a
/// taker waiting on the second key is woken by the close.
#[test]
fn close_is_atomic_across_shards() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let (low, high) = keys(&space);
        let taker = {
            let space = space.clone();
            loom::thread::spawn(move || loom::future::block_on(space.take(high)))
        };
        let closer = {
            let space = space.clone();
            loom::thread::spawn(move || space.close())
        };
        let first = space.try_push(low, 1);
        let second = space.try_push(high, 2);
        assert!(
            !(first.is_err() && second.is_ok()),
            "a push on another shard got in after a refused one"
        );
        closer.join().unwrap();
        // The taker got the value if it went in, else the close ended its wait.
        match (second.is_ok(), taker.join().unwrap()) {
            (true, got) => assert_eq!(got, Ok(2)),
            (false, got) => assert!(got.is_err()),
        }
    });
}

/// `total_len` is a snapshot: an entry moved from the high shard to the low one (pushed there,
/// then taken from the high one) is counted once or twice, never zero times — a sum of shard
/// counts read one lock at a time would read the low shard before the push and the high one
/// after the take.
#[test]
fn total_len_is_a_snapshot_across_shards() {
    loom::model(|| {
        let space = Arc::new(Space::new());
        let (low, high) = keys(&space);
        space.try_push(high, 1).unwrap();
        let mover = {
            let space = space.clone();
            loom::thread::spawn(move || {
                space.try_push(low, 1).unwrap();
                assert_eq!(space.try_take(high), Some(1));
            })
        };
        let n = space.total_len();
        mover.join().unwrap();
        assert!(n == 1 || n == 2, "total_len {n}");
        assert_eq!(space.total_len(), 1);
    });
}
