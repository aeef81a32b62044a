//! Strict FIFO fairness of the waiting takers (issue 12), deterministic: key takers and pattern
//! takers of one key, outs, barging probes and polls in random order. Whatever the order of
//! polls, every taker gets the value whose turn matches its arrival: the n-th taker to start
//! waiting gets the n-th value put while takers wait.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use lindy::grammar::Pattern;
use lindy::space::{LocalSpace, Take, TakeMatching};
use proptest::prelude::*;

const KEY: &str = "public:app.jobs.a";

enum Taker<'a> {
    Key(Pin<Box<Take<'a, u64>>>),
    Pattern(Pin<Box<TakeMatching<'a, u64>>>),
}

impl Taker<'_> {
    fn poll(&mut self) -> Poll<u64> {
        let mut cx = Context::from_waker(Waker::noop());
        match self {
            Taker::Key(f) => f.as_mut().poll(&mut cx).map(|r| r.unwrap()),
            Taker::Pattern(f) => f.as_mut().poll(&mut cx).map(|r| r.unwrap().1),
        }
    }
}

#[derive(Clone, Debug)]
enum Op {
    NewKeyTaker,
    NewPatternTaker,
    Out,
    /// A probe barging in (it may only take what no taker waits for).
    TryTake,
    Poll(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => Just(Op::NewKeyTaker),
        3 => Just(Op::NewPatternTaker),
        4 => Just(Op::Out),
        2 => Just(Op::TryTake),
        5 => any::<usize>().prop_map(Op::Poll),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
    #[test]
    fn takers_are_served_strictly_by_arrival(ops in proptest::collection::vec(op(), 1..120)) {
        let space = LocalSpace::<u64>::new();
        let pattern = Pattern::parse("public:app.jobs.*").unwrap();
        // Every taker, in arrival order, with the value it got (once it got one).
        let mut takers: Vec<(Taker<'_>, Option<u64>)> = Vec::new();
        let mut waiting = 0usize; // takers registered and not yet served
        let mut next_value = 0u64;
        // The model: values go to waiting takers by arrival, else to the queue.
        let mut expected: Vec<Option<u64>> = Vec::new();
        let mut queued: std::collections::VecDeque<u64> = Default::default();
        for op in ops {
            match op {
                Op::NewKeyTaker | Op::NewPatternTaker => {
                    let mut t = match op {
                        Op::NewKeyTaker => Taker::Key(Box::pin(space.take(KEY))),
                        _ => Taker::Pattern(Box::pin(space.take_matching(&pattern))),
                    };
                    match t.poll() {
                        Poll::Ready(v) => {
                            prop_assert_eq!(Some(v), queued.pop_front(), "took the queue's head");
                            expected.push(Some(v));
                            takers.push((t, Some(v)));
                        }
                        Poll::Pending => {
                            prop_assert!(queued.is_empty(), "a taker waits next to an entry");
                            expected.push(None);
                            takers.push((t, None));
                            waiting += 1;
                        }
                    }
                }
                Op::Out => {
                    let v = next_value;
                    next_value += 1;
                    space.try_push(KEY, v).unwrap();
                    // The oldest taker still waiting in the model gets it.
                    match expected.iter().position(|e| e.is_none()) {
                        Some(i) if waiting > 0 => {
                            expected[i] = Some(v);
                            waiting -= 1;
                        }
                        _ => queued.push_back(v),
                    }
                }
                Op::TryTake => {
                    let got = space.try_take(KEY);
                    prop_assert_eq!(got, queued.pop_front(), "a probe took what a taker was owed");
                }
                Op::Poll(i) if !takers.is_empty() => {
                    let i = i % takers.len();
                    let (t, got) = &mut takers[i];
                    if got.is_none() {
                        if let Poll::Ready(v) = t.poll() {
                            *got = Some(v);
                        }
                    }
                }
                Op::Poll(_) => {}
            }
        }
        // Every taker polled once more: each holds exactly the value of its turn.
        for (i, (t, got)) in takers.iter_mut().enumerate() {
            if got.is_none() {
                if let Poll::Ready(v) = t.poll() {
                    *got = Some(v);
                }
            }
            prop_assert_eq!(*got, expected[i], "taker {} (by arrival) got another's value", i);
        }
    }
}
