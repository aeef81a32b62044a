//! The stream hub's waiting paths under every interleaving (bounded by LOOM_MAX_PREEMPTIONS):
//! a writer waiting for room, a reader waiting for a message, closing and deleting.

use std::future::Future;
use std::task::{Context, Poll};

use lindy::stream::{StreamOptions, Streams};

fn hub(persistent: bool) -> Streams {
    Streams::with_options(StreamOptions::new().buffer_size(1).persistent(persistent))
}

/// A writer that must wait for room (buffer of 1) and a reader that must wait for messages:
/// both messages arrive, in order, then EOF once the writer closed.
#[test]
fn write_read_close_in_order_then_eof() {
    for persistent in [false, true] {
        loom::model(move || {
            let h = hub(persistent);
            let w = h.writer("p").unwrap();
            let mut r = h.reader("p").unwrap();
            let writer = loom::thread::spawn(move || {
                loom::future::block_on(async {
                    w.write("a").await.unwrap();
                    w.write("b").await.unwrap();
                });
                drop(w); // end of stream
            });
            let mut got = Vec::new();
            while let Some(m) = loom::future::block_on(r.recv()) {
                got.push(m);
            }
            writer.join().unwrap();
            assert_eq!(got, ["a", "b"]);
        });
    }
}

/// A queue-path reader whose recv is dropped after (possibly) being woken hands the wake-up
/// on: a second reader parked at the same time gets the message. The writer stays open, so
/// only the hand-on (not an EOF wake-up) can release the second reader: without it, loom
/// reports a deadlock.
#[test]
fn cancelled_reader_hands_the_message_on() {
    loom::model(|| {
        let h = hub(false);
        let w = h.writer("p").unwrap();
        let mut a = h.reader("p").unwrap();
        let mut b = h.reader("p").unwrap();
        let cancelled = loom::thread::spawn(move || {
            let got = {
                let mut fut = Box::pin(a.recv());
                let waker = std::task::Waker::noop().clone();
                match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                    Poll::Ready(m) => m,
                    Poll::Pending => {
                        loom::thread::yield_now();
                        None // dropped here, perhaps after being notified
                    }
                }
            };
            (got, a)
        });
        let parked = loom::thread::spawn(move || loom::future::block_on(b.recv()));
        let writer = loom::thread::spawn(move || {
            w.try_write("m").unwrap();
            w
        });
        let (got_a, _a) = cancelled.join().unwrap();
        let w = writer.join().unwrap();
        if got_a.is_some() {
            drop(w); // b can only get EOF now
            assert_eq!(parked.join().unwrap(), None);
        } else {
            assert_eq!(parked.join().unwrap().unwrap(), "m");
        }
    });
}

/// A writer whose write is dropped after (possibly) being woken for room hands the room on
/// to a second parked writer.
#[test]
fn cancelled_writer_hands_the_room_on() {
    loom::model(|| {
        let h = hub(false);
        let w = h.writer("p").unwrap();
        w.try_write("fill").unwrap();
        let mut r = h.reader("p").unwrap();
        let w2 = w.clone();
        let cancelled = loom::thread::spawn(move || {
            let wrote = {
                let mut fut = Box::pin(w.write("a"));
                let waker = std::task::Waker::noop().clone();
                match fut.as_mut().poll(&mut Context::from_waker(&waker)) {
                    Poll::Ready(res) => res.is_ok(),
                    Poll::Pending => {
                        loom::thread::yield_now();
                        false
                    }
                }
            };
            (wrote, w)
        });
        let parked = loom::thread::spawn(move || {
            loom::future::block_on(w2.write("b")).unwrap();
            w2
        });
        assert_eq!(loom::future::block_on(r.recv()).unwrap(), "fill");
        let (wrote_a, _w) = cancelled.join().unwrap();
        if wrote_a {
            // Either "a" or "b" took the room; read it so the other can finish.
            let m = loom::future::block_on(r.recv()).unwrap();
            assert!(m == "a" || m == "b");
        }
        let _w2 = parked.join().unwrap();
    });
}

/// Deleting a path wakes a reader parked on it with EOF, and a writer parked for room with
/// its message handed back.
#[test]
fn delete_wakes_parked_reader_and_writer() {
    loom::model(|| {
        let h = hub(false);
        let w = h.writer("p").unwrap();
        w.try_write("fill").unwrap();
        let mut r = h.reader("other").unwrap();
        let w2 = h.writer("other").unwrap();
        let reader = loom::thread::spawn(move || loom::future::block_on(r.recv()));
        let writer = loom::thread::spawn(move || loom::future::block_on(w.write("more")));
        h.delete("p");
        h.delete("other");
        assert_eq!(reader.join().unwrap(), None);
        assert_eq!(writer.join().unwrap().unwrap_err().into_inner(), "more");
        drop(w2);
    });
}
