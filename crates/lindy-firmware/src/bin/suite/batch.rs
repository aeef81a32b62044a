//! The sans-IO batcher: limits, timeouts from `now`, kind changes, close.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use lindy::batch::{Batch, BatchOptions, Batcher, Kind, Message, Reason};
use lindy_firmware::harness::{Case, Outcome};
use lindy_firmware::{cases, ensure, ensure_eq};

pub const CASES: [Case; 4] = cases![
    inserts_are_split_by_the_byte_limit,
    a_batch_completes_at_its_deadline_and_not_before,
    a_kind_change_completes_the_pending_batches_first,
    close_completes_everything_and_refuses_more,
];

fn sizes(b: &mut Batcher<u32>) -> Vec<(usize, u64)> {
    b.drain().map(|b| (b.len(), b.bytes())).collect()
}

fn inserts_are_split_by_the_byte_limit() -> Outcome {
    let mut b = Batcher::new(BatchOptions::new().max_bytes(100).timeout_ms(0));
    // 10 rows weighing 250 bytes: at most 100 bytes (4 rows) per batch.
    b.push(Message::insert("t", (0..10).collect(), 250), 0)
        .unwrap();
    ensure_eq!(b.pending_rows(), 2);
    b.close();
    ensure_eq!(sizes(&mut b), [(4, 100), (4, 100), (2, 50)]);
    Ok(())
}

fn a_batch_completes_at_its_deadline_and_not_before() -> Outcome {
    let mut b = Batcher::new(BatchOptions::new().max_rows(3).timeout_ms(1_000));
    b.push(Message::insert("a", vec![1], 4), 10).unwrap();
    b.push(Message::insert("b", vec![2], 4), 500).unwrap();
    ensure_eq!(b.poll_timeout(), Some(1_010)); // measured from the batch's first row
    b.handle_timeout(1_009);
    ensure_eq!(b.ready_len(), 0);
    b.handle_timeout(1_010);
    let (batch, reason) = b.take_with_reason().unwrap();
    ensure_eq!(reason, Reason::Timeout);
    ensure!(matches!(batch, Batch::Insert(ref i) if i.table == "a" && i.rows == [1]));
    ensure_eq!(b.poll_timeout(), Some(1_500));
    b.push(Message::insert("b", vec![3, 4], 8), 600).unwrap(); // fills "b" to 3 rows
    let (batch, reason) = b.take_with_reason().unwrap();
    ensure_eq!(reason, Reason::Rows);
    ensure_eq!(batch.len(), 3);
    ensure_eq!(b.poll_timeout(), None);
    Ok(())
}

fn a_kind_change_completes_the_pending_batches_first() -> Outcome {
    let mut b = Batcher::new(BatchOptions::new().timeout_ms(60_000));
    b.push(Message::migrate("users"), 0).unwrap();
    b.push(Message::migrate("posts"), 0).unwrap();
    b.push(Message::insert("users", vec![1, 2], 8), 1).unwrap();
    ensure_eq!(b.pending_kind(), Some(Kind::Insert));
    let (batch, reason) = b.take_with_reason().unwrap();
    ensure_eq!(reason, Reason::KindChange);
    ensure_eq!(
        batch,
        Batch::Migrate(vec![String::from("users"), String::from("posts")])
    );
    b.flush();
    let (batch, reason) = b.take_with_reason().unwrap();
    ensure_eq!(
        (batch.kind(), batch.len(), reason),
        (Kind::Insert, 2, Reason::Flush)
    );
    Ok(())
}

fn close_completes_everything_and_refuses_more() -> Outcome {
    let mut b: Batcher<u32> = Batcher::new(BatchOptions::new());
    b.push(Message::insert("a", vec![1], 1), 0).unwrap();
    b.push(Message::insert("b", vec![2], 1), 0).unwrap();
    b.close();
    ensure!(b.is_closed());
    ensure_eq!(sizes(&mut b), [(1, 1), (1, 1)]);
    let refused = b.push(Message::delete_stale("a"), 1).unwrap_err();
    ensure_eq!(refused.into_inner().table(), "a"); // handed back, not dropped
    Ok(())
}
