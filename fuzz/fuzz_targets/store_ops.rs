//! Stateful fuzzing of the durable store: the input is a program of push / pull / leased take /
//! ack / nack / compact / clean reopen / power cut at a chosen syscall, run against the real
//! file backend on the crash-simulating file system ([`CrashVfs`]) and checked against a model
//! after every step. Values reach several KiB (records that tear across sectors). `make fuzz`
//! runs it with a per-input time budget (`-timeout`), so a slow path is a crash, not a pass.
#![no_main]

use std::collections::{BTreeMap, VecDeque};

use libfuzzer_sys::fuzz_target;
use lindy::store::{CrashVfs, FileStorage, LeaseId, Queue, StoreError, StoreOptions};

const LOG: &str = "/q.log";
const KEYS: [&str; 3] = ["a", "b", "c"];

type Store = Queue<FileStorage<CrashVfs>>;

#[derive(Clone, Default, Debug, PartialEq)]
struct Model {
    /// Live entries per key in push order, with a leased flag.
    live: BTreeMap<&'static str, VecDeque<(Vec<u8>, bool)>>,
    /// Leases out: id, key, value.
    leases: Vec<(LeaseId, &'static str, Vec<u8>)>,
}

impl Model {
    fn view(&self) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
        self.live
            .iter()
            .filter(|(_, q)| !q.is_empty())
            .map(|(k, q)| (*k, q.iter().map(|(v, _)| v.clone()).collect()))
            .collect()
    }
    fn head(&mut self, key: &'static str) -> Option<usize> {
        self.live.get(key)?.iter().position(|(_, l)| !l)
    }
    /// After a reopen every lease is back.
    fn reopened(&self) -> Model {
        let mut m = self.clone();
        m.leases.clear();
        for q in m.live.values_mut() {
            for e in q.iter_mut() {
                e.1 = false;
            }
        }
        m
    }
}

fn view(q: &Store) -> BTreeMap<&'static str, Vec<Vec<u8>>> {
    KEYS.iter()
        .map(|k| (*k, q.entries(k).map(|e| e.value.to_vec()).collect::<Vec<_>>()))
        .filter(|(_, v)| !v.is_empty())
        .collect()
}

fn open(vfs: &CrashVfs) -> Result<Store, StoreError> {
    Queue::open(
        FileStorage::open_in(vfs.clone(), LOG)?,
        StoreOptions::new().with_auto_compact(2048, 0.3),
    )
}

struct Input<'a>(&'a [u8]);
impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let mut vfs = CrashVfs::new();
    let mut q = open(&vfs).expect("a new log opens");
    let mut m = Model::default();
    let mut pushes = 0u32;
    while let Some(op) = input.byte() {
        let key = KEYS[(op >> 4) as usize % 3];
        match op & 0x0F {
            0..=4 => {
                let len = u16::from_le_bytes([input.byte().unwrap_or(0), input.byte().unwrap_or(0)])
                    as usize
                    % 9000;
                pushes += 1;
                let mut value = vec![op; len];
                if len >= 4 {
                    value[..4].copy_from_slice(&pushes.to_le_bytes());
                }
                q.push(key, &value).unwrap();
                m.live.entry(key).or_default().push_back((value, false));
            }
            5 | 6 => {
                let want = m.head(key).map(|i| m.live.get_mut(key).unwrap().remove(i).unwrap().0);
                assert_eq!(q.try_take(key).unwrap(), want);
            }
            7 => {
                let got = q.take_leased(key, None, 0).unwrap();
                match m.head(key) {
                    Some(i) => {
                        let e = &mut m.live.get_mut(key).unwrap()[i];
                        e.1 = true;
                        let l = got.expect("an entry to lease");
                        assert_eq!(l.value, e.0);
                        m.leases.push((l.id, key, e.0.clone()));
                    }
                    None => assert!(got.is_none()),
                }
            }
            8 | 9 => {
                if m.leases.is_empty() {
                    continue;
                }
                let (id, k, v) = m.leases.remove(input.byte().unwrap_or(0) as usize % m.leases.len());
                let q2 = m.live.get_mut(k).unwrap();
                let i = q2.iter().position(|(x, l)| *l && *x == v).unwrap();
                if op & 0x0F == 8 {
                    q.ack(id).unwrap();
                    q2.remove(i);
                } else {
                    // nack: back at the head of the key, in its place by age.
                    q.nack(id).unwrap();
                    q2[i].1 = false;
                }
            }
            10 => q.compact().unwrap(),
            11 => {
                q.close().unwrap();
                drop(q);
                q = open(&vfs).unwrap();
                m = m.reopened();
            }
            _ => {
                // Cut the power a few syscalls into the next operation (a push, which syncs).
                let at = u64::from(input.byte().unwrap_or(0) % 8);
                let seed = u64::from(input.byte().unwrap_or(0));
                vfs.crash_at(at, seed);
                let value = vec![0xEE; 700];
                let r = q.push(key, &value);
                let before = m.reopened();
                let mut after = before.clone();
                after.live.entry(key).or_default().push_back((value, false));
                let (image, _) = match vfs.crashed() {
                    Some(c) => c,
                    None => vfs.crash_now(seed),
                };
                drop(q);
                vfs = CrashVfs::from_image(&image);
                q = open(&vfs).expect("a crash never leaves an unopenable log");
                let got = view(&q);
                if r.is_ok() {
                    assert_eq!(got, after.view(), "an acknowledged push survives");
                    m = after;
                } else if got == after.view() {
                    m = after;
                } else {
                    assert_eq!(got, before.view(), "the failed push happened or did not");
                    m = before;
                }
            }
        }
        assert_eq!(view(&q), m.view());
    }
});
