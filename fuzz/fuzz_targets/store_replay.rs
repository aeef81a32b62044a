//! Replay of arbitrary bytes never panics and never allocates beyond the input: every length is
//! checked against the remaining bytes before anything is copied (libFuzzer's malloc limit fails
//! the run on an oversized allocation; pass `-malloc_limit_mb=64` to tighten it), and what replay
//! holds is checked against the input's size below. `make fuzz` runs it with the other targets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lindy::store::codec::{encode_header, FileHeader};
use lindy::store::{replay, ReplayOptions};

fuzz_target!(|data: &[u8]| {
    // The bytes as a whole file (mostly rejected by the header check) ...
    for salvage in [false, true] {
        check(data, salvage);
    }
    // ... and behind a valid header, so the record decoder and the resync search see them. The
    // salt is taken from the input so records built by the fuzzer can validate.
    let salt = data.get(..8).map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap()));
    let mut log = encode_header(FileHeader { salt, base_seq: 0 }).to_vec();
    log.extend_from_slice(data);
    for salvage in [false, true] {
        check(&log, salvage);
    }
});

fn check(bytes: &[u8], salvage: bool) {
    if let Ok(r) = replay(bytes, ReplayOptions { salvage }) {
        // What replay holds came out of the input.
        let held: usize = r
            .queues
            .iter()
            .map(|(k, q)| k.len() + q.iter().map(|e| e.value.len()).sum::<usize>())
            .sum();
        assert!(held <= bytes.len());
        assert!(r.good_len + r.torn_tail <= bytes.len() as u64);
        assert!(r.stats.live_bytes <= r.good_len.max(32));
    }
}
