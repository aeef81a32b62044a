//! `SpaceCore`: the keyed-queue [`Engine`] behind the package's JS `Space`, driven through a
//! boundary where only numbers cross on the hot path.
//!
//! The JS side (`pkg-js/src/space.js`) keeps everything that is a JS object:
//!
//! * **values** in a slab: the engine stores the slab *handle* (`u32`), never the value, so a
//!   value never crosses into wasm, is never copied, and `read` returns the very object `out` was
//!   given;
//! * **keys** interned once: a JS `Map` from string to a key id; the string is copied into wasm
//!   only on first use ([`intern`](SpaceCore::intern)), after JS checked its length;
//! * **waiting takers** as resolver slots: a take that has to wait returns a resolver id (`rid`);
//!   when an `out` hands that taker its entry, the `out` call itself returns the `rid` (or, when
//!   several waiters became ready, says so and [`events`](SpaceCore::events) lists them), and JS
//!   resolves the promise it created. No Promise, closure or future is created inside wasm, and
//!   no JS object is referenced from wasm — so a `Space` dropped with takes pending is ordinary
//!   garbage for the JS collector (nothing in wasm keeps it alive).
//!
//! Results are `i32` codes so the common calls return a number and nothing else:
//!
//! | code | meaning |
//! |---|---|
//! | `>= 0` | a slab handle (takes, reads) or the `rid` an `out` was handed to |
//! | [`QUEUED`] (-1) | `out`: queued; `try_take`/`try_read`: nothing there |
//! | [`EVENTS`] (-2) | done, and waiters became ready: drain [`events`](SpaceCore::events) |
//! | [`CLOSED`] (-3) | closed (and, for takes, nothing queued) |
//! | [`FULL`] (-4) | a bound is reached: the value was not stored |
//! | [`KEY_TOO_LONG`] (-5) | `intern`: the key is above [`MAX_KEY_BYTES`] |
//! | [`LOST`] (-6) | no such lease (settled, expired, never issued) |
//! | [`INVALID`] (-7) | a lease length outside `1..=MAX_LEASE_MS` |
//! | `<= WAITING` (-16) | the take/read waits under `rid = WAITING - code` |
//!
//! Every method is total: unknown ids, stale handles and bad numbers give a code, never a panic
//! (and so never a wasm trap).

use alloc::string::String;
use alloc::vec::Vec;

use compact_str::CompactString;
use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::grammar::pattern_arg;
use super::js;
use lindy::queue::{
    Claim, Config, Engine, LeaseId, MatchOrWait, Outcome, PeekOrWait, PushError, Returned,
    TakeOrWait, Taken, TryTakeError, WaiterId,
};

/// Longest key accepted, in UTF-8 bytes (the engine takes any string; this guards memory).
pub const MAX_KEY_BYTES: usize = 4096;
/// Queued plus leased entries a space holds unless told otherwise: far above any queue a page
/// means to keep, far below what would exhaust wasm memory (about 40 bytes of wasm each), so a
/// runaway producer gets `BUFFER_FULL` instead of a dead instance.
pub const DEFAULT_MAX_ENTRIES: usize = 16 * 1024 * 1024;
/// Bytes of key text interned at once unless told otherwise (idle keys are swept first).
pub const DEFAULT_MAX_KEY_TABLE_BYTES: usize = 64 * 1024 * 1024;

/// `out`: queued. `try_take`/`try_read`: nothing there.
pub const QUEUED: i32 = -1;
/// The call succeeded and waiters became ready: drain [`SpaceCore::events`].
pub const EVENTS: i32 = -2;
/// Closed (for takes: closed and nothing queued).
pub const CLOSED: i32 = -3;
/// A bound is reached: nothing was stored.
pub const FULL: i32 = -4;
/// The key is longer than [`MAX_KEY_BYTES`] (or the key table is full).
pub const KEY_TOO_LONG: i32 = -5;
/// No such lease.
pub const LOST: i32 = -6;
/// A lease length outside `1..=MAX_LEASE_MS`.
pub const INVALID: i32 = -7;
/// Codes at or below this are waiting takes/reads: `rid = WAITING - code`.
pub const WAITING: i32 = -16;

/// Event kinds in [`SpaceCore::events`] (each event is six numbers:
/// `[rid, kind, handle, a, b, c]`).
pub mod event {
    /// A key taker got `handle` (JS frees the slot).
    pub const TAKEN: f64 = 0.0;
    /// A reader got `handle` (the entry stays queued: JS keeps the slot).
    pub const READ: f64 = 1.0;
    /// The waiter ended with the space closed; nothing was taken.
    pub const CLOSED: f64 = 2.0;
    /// A pattern taker got `handle` from key id `a`.
    pub const MATCHED: f64 = 3.0;
    /// A leased taker got `handle` under lease `a`, expiring at `b` (epoch ms), delivery `c`.
    pub const LEASED: f64 = 4.0;
}

/// What the space knows about one waiting JS promise.
struct Waiting {
    id: WaiterId,
    /// A key take without a lease (what the fast path of `out` serves).
    plain: bool,
    /// The key of a leased take (the lease is made when the entry is handed over).
    leased: Option<(CompactString, Option<u64>)>,
}

/// The engine of one JS `Space` (see the [module docs](self)). Not part of the typed API: the
/// package's `Space` class drives it.
#[wasm_bindgen]
pub struct SpaceCore {
    engine: Engine<u32, u32>,
    /// Key id → key text (`None`: a free id).
    names: Vec<Option<CompactString>>,
    free_kids: Vec<u32>,
    key_bytes: usize,
    max_key_bytes: usize,
    /// Resolver id → the waiter it stands for.
    rids: Vec<Option<Waiting>>,
    free_rids: Vec<u32>,
    /// Ready waiters not yet reported: six numbers each (see [`event`]).
    events: Vec<f64>,
    /// The key of the last pattern take, and the lease of the last leased take (read by JS right
    /// after the call that set them).
    last_kid: u32,
    last_lease: [f64; 3],
}

fn name_of(names: &[Option<CompactString>], kid: u32) -> Option<&str> {
    names.get(kid as usize).and_then(|k| k.as_deref())
}

/// A free resolver id (split from `SpaceCore` so a key borrowed from `names` can stay borrowed).
fn alloc_rid(rids: &mut Vec<Option<Waiting>>, free: &mut Vec<u32>) -> u32 {
    match free.pop() {
        Some(rid) => rid,
        None => {
            rids.push(None);
            (rids.len() - 1) as u32
        }
    }
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// A whole, non-negative count from JS (`0` means "no bound").
fn bound(n: f64) -> Option<usize> {
    (n >= 1.0 && n.is_finite()).then_some(n as usize)
}

/// A lease length from JS: `0` (or less) means "the space's default".
fn lease_arg(ms: f64) -> Result<Option<u64>, i32> {
    if ms == 0.0 {
        return Ok(None);
    }
    lindy::queue::lease_ms_from_f64(ms)
        .map(Some)
        .map_err(|_| INVALID)
}

fn encode_out(r: Result<Outcome, PushError<u32>>) -> Result<Outcome, i32> {
    r.map_err(|e| match e {
        PushError::Closed(_) => CLOSED,
        PushError::Full(_) | PushError::TooLarge(_) => FULL,
    })
}

#[wasm_bindgen]
impl SpaceCore {
    /// A space bounded to `max_entries` queued plus leased entries (0: the default,
    /// [`DEFAULT_MAX_ENTRIES`]) and `key_max_entries` per key (0: none), leases of
    /// `default_lease_ms` (0: 30 s), dead-lettering after `max_deliveries` (0: never) to
    /// `dead_letter_key` (empty: `"dead-letter"`). JS checks the options first; a value that
    /// still fails the engine's check is `INVALID_CONFIG`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        max_entries: f64,
        key_max_entries: f64,
        default_lease_ms: f64,
        max_deliveries: f64,
        dead_letter_key: &str,
    ) -> Result<SpaceCore, JsValue> {
        let mut config =
            Config::new().max_entries(bound(max_entries).unwrap_or(DEFAULT_MAX_ENTRIES));
        if let Some(n) = bound(key_max_entries) {
            config = config.key_max_entries(n);
        }
        if default_lease_ms != 0.0 {
            let ms =
                lindy::queue::lease_ms_from_f64(default_lease_ms).map_err(|e| js::from_code(&e))?;
            config = config.default_lease_ms(ms);
        }
        if let Some(n) = bound(max_deliveries) {
            config = config.max_deliveries(u32::try_from(n).unwrap_or(u32::MAX));
        }
        if !dead_letter_key.is_empty() {
            config = config.dead_letter_key(dead_letter_key);
        }
        let engine = Engine::with_config(config).map_err(|e| js::from_code(&e))?;
        Ok(SpaceCore {
            engine,
            names: Vec::new(),
            free_kids: Vec::new(),
            key_bytes: 0,
            max_key_bytes: DEFAULT_MAX_KEY_TABLE_BYTES,
            rids: Vec::new(),
            free_rids: Vec::new(),
            events: Vec::new(),
            last_kid: 0,
            last_lease: [0.0; 3],
        })
    }

    // ------------------------------------------------------------------ keys

    /// A key id for `key` (JS interns each key once and checks `key.length <= MAX_KEY_BYTES`
    /// before the copy). [`KEY_TOO_LONG`] above [`MAX_KEY_BYTES`] UTF-8 bytes, or when the key
    /// table is full even after its idle keys were swept.
    pub fn intern(&mut self, key: &str) -> i32 {
        if key.len() > MAX_KEY_BYTES {
            return KEY_TOO_LONG;
        }
        if self.key_bytes + key.len() > self.max_key_bytes {
            return KEY_TOO_LONG;
        }
        self.key_bytes += key.len();
        let name = Some(CompactString::from(key));
        match self.free_kids.pop() {
            Some(kid) => {
                self.names[kid as usize] = name;
                kid as i32
            }
            None => {
                self.names.push(name);
                (self.names.len() - 1) as i32
            }
        }
    }

    /// Forgets the key ids whose keys hold nothing (no entries, no waiters: the engine keeps its
    /// own copy of a waiting key) and returns them, so JS drops them from its map. JS calls this
    /// when its map has doubled since the last sweep: amortised O(1) per key.
    #[wasm_bindgen(js_name = sweepKeys)]
    pub fn sweep_keys(&mut self) -> Vec<u32> {
        let mut freed = Vec::new();
        for (kid, slot) in self.names.iter_mut().enumerate() {
            let idle = slot.as_deref().is_some_and(|k| self.engine.len(k) == 0);
            if idle {
                if let Some(k) = slot.take() {
                    self.key_bytes -= k.len();
                }
                freed.push(kid as u32);
                self.free_kids.push(kid as u32);
            }
        }
        freed
    }

    /// The text of key id `kid` (for a pattern take's key), or `undefined`.
    #[wasm_bindgen(js_name = keyName)]
    pub fn key_name(&self, kid: u32) -> Option<String> {
        self.name(kid).map(String::from)
    }

    /// The key id of the last pattern take.
    #[wasm_bindgen(getter, js_name = lastKid)]
    pub fn last_kid(&self) -> u32 {
        self.last_kid
    }

    /// `[leaseId, deadline, deliveries]` of the last leased take.
    #[wasm_bindgen(js_name = lastLease)]
    pub fn last_lease(&self) -> Vec<f64> {
        self.last_lease.to_vec()
    }

    // ------------------------------------------------------------------ out

    /// Appends handle `h` under key `kid`: the `rid` of the waiting taker it was handed to,
    /// [`QUEUED`], [`EVENTS`] (readers or a leased taker got it: drain `events`), [`CLOSED`] or
    /// [`FULL`] (not stored: the value stays the caller's), [`KEY_TOO_LONG`] for an unknown key id.
    pub fn out(&mut self, kid: u32, h: u32) -> i32 {
        let Some(key) = name_of(&self.names, kid) else {
            return KEY_TOO_LONG;
        };
        let r = self.engine.try_push(key, h);
        self.after_out(r)
    }

    /// As [`out`](Self::out), at the head of the key (the next one taken; O(1)).
    #[wasm_bindgen(js_name = outFront)]
    pub fn out_front(&mut self, kid: u32, h: u32) -> i32 {
        let Some(key) = name_of(&self.names, kid) else {
            return KEY_TOO_LONG;
        };
        let r = self.engine.push_front(key, h);
        self.after_out(r)
    }

    /// Appends every handle of `hs` under `kid`, in order: how many went in (all of them, or up
    /// to the first refused). Handed-over entries are reported through `events`; a closed space
    /// stores nothing. Check [`has_events`](Self::has_events) after.
    #[wasm_bindgen(js_name = outMany)]
    pub fn out_many(&mut self, kid: u32, hs: &[u32]) -> i32 {
        let Some(key) = self.names.get(kid as usize).and_then(|k| k.clone()) else {
            return KEY_TOO_LONG;
        };
        if self.engine.is_closed() {
            return CLOSED;
        }
        let mut n = 0;
        for &h in hs {
            match self.engine.try_push(&key, h) {
                Ok(_) => n += 1,
                Err(_) => break,
            }
        }
        self.drain_ready();
        n
    }

    // ------------------------------------------------------------------ take / read

    /// The head handle of `kid`, taken: a handle, [`QUEUED`] (nothing) or [`CLOSED`] (closed and
    /// drained).
    #[wasm_bindgen(js_name = tryTake)]
    pub fn try_take(&mut self, kid: u32) -> i32 {
        let Some(key) = name_of(&self.names, kid) else {
            return QUEUED;
        };
        match self.engine.try_take(key) {
            Ok(t) => self.taken(t),
            Err(TryTakeError::Empty) => QUEUED,
            Err(TryTakeError::Closed) => CLOSED,
        }
    }

    /// Up to `max` head handles of `kid`, taken, oldest first.
    #[wasm_bindgen(js_name = takeMany)]
    pub fn take_many(&mut self, kid: u32, max: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let Some(key) = name_of(&self.names, kid) else {
            return out;
        };
        let want = (max as usize).min(self.engine.len(key));
        out.reserve_exact(want);
        while out.len() < want {
            match self.engine.try_take(key) {
                Ok(t) => out.push(t.value),
                Err(_) => break,
            }
        }
        if self.engine.has_ready() {
            self.drain_ready();
        }
        out
    }

    /// Takes the head of `kid` or waits: a handle, [`CLOSED`], or `WAITING - rid`.
    pub fn take(&mut self, kid: u32) -> i32 {
        let Some(key) = name_of(&self.names, kid) else {
            return QUEUED;
        };
        let rid = alloc_rid(&mut self.rids, &mut self.free_rids);
        match self.engine.take_or_wait(key, rid) {
            Ok(TakeOrWait::Taken(t)) => {
                self.free_rids.push(rid);
                self.taken(t)
            }
            Ok(TakeOrWait::Waiting(id)) => self.wait(rid, id, true, None),
            Err(_) => {
                self.free_rids.push(rid);
                CLOSED
            }
        }
    }

    /// The head handle of `kid`, left in place: a handle, [`QUEUED`] or [`CLOSED`].
    #[wasm_bindgen(js_name = tryRead)]
    pub fn try_read(&self, kid: u32) -> i32 {
        let Some(key) = self.name(kid) else {
            return QUEUED;
        };
        match self.engine.try_peek(key) {
            Ok(&h) => h as i32,
            Err(TryTakeError::Empty) => QUEUED,
            Err(TryTakeError::Closed) => CLOSED,
        }
    }

    /// Reads the head of `kid` or waits: a handle, [`CLOSED`], or `WAITING - rid`.
    pub fn read(&mut self, kid: u32) -> i32 {
        let Some(key) = name_of(&self.names, kid) else {
            return QUEUED;
        };
        let rid = alloc_rid(&mut self.rids, &mut self.free_rids);
        match self.engine.peek_or_wait(key, rid) {
            Ok(PeekOrWait::Peeked(h)) => {
                self.free_rids.push(rid);
                h as i32
            }
            Ok(PeekOrWait::Waiting(id)) => self.wait(rid, id, false, None),
            Err(_) => {
                self.free_rids.push(rid);
                CLOSED
            }
        }
    }

    /// Takes the oldest entry of the keys matching `pattern` (a `Pattern` or a string): a handle
    /// (its key id is [`last_kid`](Self::last_kid)), [`QUEUED`] or [`CLOSED`]. Throws for a bad
    /// pattern.
    #[wasm_bindgen(js_name = tryTakeMatching)]
    pub fn try_take_matching(&mut self, pattern: &JsValue) -> Result<i32, JsValue> {
        let pattern = pattern_arg(pattern, "Space.tryTakeMatching: pattern")?;
        Ok(match self.engine.try_take_matching(&pattern) {
            Ok((name, t)) => {
                self.last_kid = self.kid_of(name.as_str());
                self.taken(t)
            }
            Err(TryTakeError::Empty) => QUEUED,
            Err(TryTakeError::Closed) => CLOSED,
        })
    }

    /// As [`try_take_matching`](Self::try_take_matching), or waits (`WAITING - rid`).
    #[wasm_bindgen(js_name = takeMatching)]
    pub fn take_matching(&mut self, pattern: &JsValue) -> Result<i32, JsValue> {
        let pattern = pattern_arg(pattern, "Space.takeMatching: pattern")?;
        let rid = self.next_rid();
        Ok(match self.engine.take_matching_or_wait(&pattern, rid) {
            Ok(MatchOrWait::Taken(name, t)) => {
                self.free_rids.push(rid);
                self.last_kid = self.kid_of(name.as_str());
                self.taken(t)
            }
            Ok(MatchOrWait::Waiting(id)) => self.wait(rid, id, false, None),
            Err(_) => {
                self.free_rids.push(rid);
                CLOSED
            }
        })
    }

    /// Gives up waiter `rid` (an abort or a timeout in JS). Cancel-safe: a taker the engine had
    /// already handed an entry to (not reported yet) gives it back to the head of its key, which
    /// hands it on. Returns [`EVENTS`] if that woke someone, else 0.
    pub fn cancel(&mut self, rid: u32) -> i32 {
        let Some(w) = self.rids.get_mut(rid as usize).and_then(Option::take) else {
            return 0;
        };
        self.free_rids.push(rid);
        let _ = self.engine.cancel(w.id);
        self.drain_ready();
        if self.events.is_empty() {
            0
        } else {
            EVENTS
        }
    }

    // ------------------------------------------------------------------ leases

    /// Takes the head of `kid` under a lease of `lease_ms` (0: the default) from `now`: a handle
    /// (lease in [`last_lease`](Self::last_lease)), [`QUEUED`], [`CLOSED`] or [`INVALID`].
    #[wasm_bindgen(js_name = tryTakeLeased)]
    pub fn try_take_leased(&mut self, kid: u32, lease_ms: f64, now: f64) -> i32 {
        let ms = match lease_arg(lease_ms) {
            Ok(ms) => ms,
            Err(code) => return code,
        };
        let Some(key) = name_of(&self.names, kid) else {
            return QUEUED;
        };
        match self.engine.try_take_leased(key, ms, now as u64) {
            Ok(l) => {
                let h = *l.value;
                self.last_lease = [l.id.as_u64() as f64, l.deadline as f64, l.deliveries as f64];
                h as i32
            }
            Err(lindy::queue::TakeLeasedError::Closed) => CLOSED,
            Err(lindy::queue::TakeLeasedError::Invalid) => INVALID,
            Err(_) => QUEUED,
        }
    }

    /// As [`try_take_leased`](Self::try_take_leased), or waits (`WAITING - rid`; the lease
    /// starts when the entry is handed over and comes as a [`event::LEASED`] event).
    #[wasm_bindgen(js_name = takeLeased)]
    pub fn take_leased(&mut self, kid: u32, lease_ms: f64, now: f64) -> i32 {
        let ms = match lease_arg(lease_ms) {
            Ok(ms) => ms,
            Err(code) => return code,
        };
        let r = self.try_take_leased(kid, lease_ms, now);
        if r != QUEUED {
            return r;
        }
        let Some(key) = self.names.get(kid as usize).and_then(|k| k.clone()) else {
            return QUEUED;
        };
        let rid = self.next_rid();
        match self.engine.take_or_wait(&key, rid) {
            // Not reached (the key was just empty and nothing ran since), but total anyway.
            Ok(TakeOrWait::Taken(t)) => {
                self.free_rids.push(rid);
                self.lease_taken(&key, t, ms, now as u64)
            }
            Ok(TakeOrWait::Waiting(id)) => self.wait(rid, id, true, Some((key, ms))),
            Err(_) => {
                self.free_rids.push(rid);
                CLOSED
            }
        }
    }

    /// Acknowledges lease `id`: its entry is done. The handle to free, or [`LOST`].
    pub fn ack(&mut self, id: f64) -> i32 {
        let r = match self.engine.ack(LeaseId::from_u64(id as u64)) {
            Ok(taken) => taken.value as i32,
            Err(_) => LOST,
        };
        // Room was made: waiting producers (none in JS) or nothing; keep the queue drained.
        self.drain_ready();
        r
    }

    /// Returns lease `id`: its entry goes back to the head of its key with its age (or to the
    /// dead-letter key). 0 requeued, 1 dead-lettered, [`EVENTS`] bit-or'd as `| 2` when that
    /// handed it to a waiter; [`LOST`] for no such lease.
    pub fn nack(&mut self, id: f64) -> i32 {
        let r = match self.engine.nack(LeaseId::from_u64(id as u64)) {
            Ok(Returned::Requeued(_)) => 0,
            Ok(Returned::DeadLettered(_)) => 1,
            Err(_) => return LOST,
        };
        self.drain_ready();
        if self.events.is_empty() {
            r
        } else {
            r | 2
        }
    }

    /// Extends lease `id` to `lease_ms` (0: the default) from `now`: the new deadline, or
    /// [`LOST`]/[`INVALID`].
    pub fn extend(&mut self, id: f64, lease_ms: f64, now: f64) -> f64 {
        let ms = match lease_arg(lease_ms) {
            Ok(ms) => ms,
            Err(code) => return f64::from(code),
        };
        match self
            .engine
            .extend(LeaseId::from_u64(id as u64), ms, now as u64)
        {
            Ok(deadline) => deadline as f64,
            Err(lindy::queue::LeaseError::Invalid) => f64::from(INVALID),
            Err(_) => f64::from(LOST),
        }
    }

    /// The next lease deadline (epoch ms), or -1: JS sets one timer for it.
    #[wasm_bindgen(js_name = pollTimeout)]
    pub fn poll_timeout(&self) -> f64 {
        self.engine.poll_timeout().map_or(-1.0, |d| d as f64)
    }

    /// Returns every lease expired at `now` to its key: how many. Check
    /// [`has_events`](Self::has_events) after.
    #[wasm_bindgen(js_name = handleTimeout)]
    pub fn handle_timeout(&mut self, now: f64) -> u32 {
        let n = self.engine.handle_timeout(now as u64);
        self.drain_ready();
        n as u32
    }

    /// Entries out on lease.
    #[wasm_bindgen(getter, js_name = leasedLen)]
    pub fn leased_len(&self) -> u32 {
        self.engine.leased_len() as u32
    }

    // ------------------------------------------------------------------ the rest

    /// Entries queued under `kid`.
    pub fn len(&self, kid: u32) -> u32 {
        self.name(kid).map_or(0, |k| self.engine.len(k) as u32)
    }

    /// Entries queued across all keys.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.engine.total_len() as u32
    }

    /// The keys holding entries (unsorted: JS sorts).
    pub fn keys(&self) -> Array {
        self.engine.keys().map(JsValue::from_str).collect()
    }

    /// Closes the space: `out` is refused from now on, takes drain what is queued, every waiter
    /// ends (drain `events`). Idempotent.
    pub fn close(&mut self) {
        self.engine.close();
        self.drain_ready();
    }

    /// Whether `close` was called.
    #[wasm_bindgen(getter, js_name = isClosed)]
    pub fn is_closed(&self) -> bool {
        self.engine.is_closed()
    }

    /// Whether events are waiting in [`events`](Self::events).
    #[wasm_bindgen(getter, js_name = hasEvents)]
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The ready waiters since the last call, six numbers each (`[rid, kind, handle, a, b, c]`,
    /// kinds in [`event`]); clears them.
    pub fn events(&mut self) -> Vec<f64> {
        core::mem::take(&mut self.events)
    }
}

impl SpaceCore {
    fn name(&self, kid: u32) -> Option<&str> {
        name_of(&self.names, kid)
    }

    /// The key id of `name`, interning it if JS never used it (a pattern take's key). A full
    /// key table still reports the entry: id `u32::MAX`, and JS asks `keyName` in vain — so the
    /// JS side falls back to the name it gets from `lastKeyName`.
    fn kid_of(&mut self, name: &str) -> u32 {
        if let Some(kid) = self.names.iter().position(|k| k.as_deref() == Some(name)) {
            return kid as u32;
        }
        match self.intern(name) {
            kid if kid >= 0 => kid as u32,
            _ => u32::MAX,
        }
    }

    fn next_rid(&mut self) -> u32 {
        alloc_rid(&mut self.rids, &mut self.free_rids)
    }

    fn wait(
        &mut self,
        rid: u32,
        id: WaiterId,
        kind_is_take: bool,
        leased: Option<(CompactString, Option<u64>)>,
    ) -> i32 {
        let plain = leased.is_none() && kind_is_take;
        self.rids[rid as usize] = Some(Waiting { id, plain, leased });
        WAITING - rid as i32
    }

    fn taken(&mut self, t: Taken<u32>) -> i32 {
        if self.engine.has_ready() {
            self.drain_ready();
        }
        t.value as i32
    }

    fn lease_taken(&mut self, key: &str, t: Taken<u32>, ms: Option<u64>, now: u64) -> i32 {
        match self.engine.lease(key, t, ms, now) {
            Ok(l) => {
                let h = *l.value;
                self.last_lease = [l.id.as_u64() as f64, l.deadline as f64, l.deliveries as f64];
                h as i32
            }
            // The length was checked before the take: not reached, but nothing is lost.
            Err((_, t)) => {
                let _ = self.engine.put_back(key, t);
                INVALID
            }
        }
    }

    /// After an `out`: the fast answer when exactly one key taker got the entry, else events.
    fn after_out(&mut self, r: Result<Outcome, PushError<u32>>) -> i32 {
        match encode_out(r) {
            Err(code) => code,
            Ok(Outcome::Queued) if !self.engine.has_ready() => QUEUED,
            Ok(Outcome::Delivered(id)) => {
                // The common wake-up: one plain key taker, nothing else ready — answer with its
                // rid alone, no events.
                if let Some((ready, rid)) = self.engine.take_ready() {
                    let plain = self
                        .rids
                        .get(rid as usize)
                        .and_then(Option::as_ref)
                        .is_some_and(|w| w.plain);
                    let claim = self.engine.claim(ready);
                    if ready == id && plain && !self.engine.has_ready() {
                        if let Claim::Taken(_) = claim {
                            self.rids[rid as usize] = None;
                            self.free_rids.push(rid);
                            return rid as i32;
                        }
                    }
                    self.report_claim(rid, claim);
                }
                self.drain_ready();
                EVENTS
            }
            Ok(Outcome::Queued) => {
                self.drain_ready();
                if self.events.is_empty() {
                    QUEUED
                } else {
                    EVENTS
                }
            }
        }
    }

    /// Claims every ready waiter into `events`.
    fn drain_ready(&mut self) {
        while let Some((id, rid)) = self.engine.take_ready() {
            self.report(id, rid);
        }
    }

    fn report(&mut self, id: WaiterId, rid: u32) {
        let claim = self.engine.claim(id);
        self.report_claim(rid, claim);
    }

    fn report_claim(&mut self, rid: u32, claim: Claim<u32>) {
        let waiting = self.rids.get_mut(rid as usize).and_then(Option::take);
        if waiting.is_some() {
            self.free_rids.push(rid);
        }
        let rid_f = f64::from(rid);
        match claim {
            Claim::Taken(t) => match waiting.and_then(|w| w.leased) {
                Some((key, ms)) => {
                    let h = self.lease_taken(&key, t, ms, now_ms());
                    if h >= 0 {
                        let [id, deadline, deliveries] = self.last_lease;
                        self.push_event(rid_f, event::LEASED, h, id, deadline, deliveries);
                    } else {
                        self.push_event(rid_f, event::CLOSED, 0, 0.0, 0.0, 0.0);
                    }
                }
                None => self.push_event(rid_f, event::TAKEN, t.value as i32, 0.0, 0.0, 0.0),
            },
            Claim::Matched(name, t) => {
                let kid = self.kid_of(name.as_str());
                self.push_event(
                    rid_f,
                    event::MATCHED,
                    t.value as i32,
                    f64::from(kid),
                    0.0,
                    0.0,
                );
            }
            Claim::Read(h) => self.push_event(rid_f, event::READ, h as i32, 0.0, 0.0, 0.0),
            Claim::Closed | Claim::Refused(_) => {
                self.push_event(rid_f, event::CLOSED, 0, 0.0, 0.0, 0.0)
            }
            Claim::Stored | Claim::Pending | Claim::Unknown => {}
        }
    }

    fn push_event(&mut self, rid: f64, kind: f64, h: i32, a: f64, b: f64, c: f64) {
        self.events
            .extend_from_slice(&[rid, kind, f64::from(h), a, b, c]);
    }
}
