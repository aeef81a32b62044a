//! Leased pulls: `pullLeased` hands an entry out without deleting it; `ack` writes its tombstone,
//! `nack` or the lease running out put it back at the head of its key with its age. A lease held
//! when the page dies was never written down, so the entry is back in the queue after the next
//! open (at-least-once).

use alloc::format;
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::flush::{schedule, spawn_flush};
use super::futures::{Reserve, Ticket};
use super::state::{now_ms, wake_all, Op, Record, Shared, State, UserLease};
use super::{closed_error, IdbStore};
use crate::cancel::{Cancellable, WaitOptions};
use crate::idb_sys::Completion;
use crate::{codes, js};
use lindy::queue::{lease_ms_from_f64, LeaseId, Leased, Taken, MAX_LEASE_MS};

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = globalThis, js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_namespace = globalThis, js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// The `{ value, lease, deadline, deliveries }` object `pullLeased` resolves with.
fn leased_object(l: &Leased<'_, Record>) -> JsValue {
    let o = Object::new();
    js::set(&o, "value", &l.value.value.slice(0, l.value.value.length()));
    js::set(&o, "lease", &JsValue::from_f64(l.id.as_u64() as f64));
    js::set(&o, "deadline", &JsValue::from_f64(l.deadline as f64));
    js::set(
        &o,
        "deliveries",
        &JsValue::from_f64(f64::from(l.deliveries)),
    );
    o.into()
}

fn lease_lost(what: &str, id: f64) -> JsValue {
    js::lindy_error(
        codes::LEASE_LOST,
        &format!(
            "IdbStore.{what}({}): no such lease (acknowledged, returned, or it expired and its entry went back to the head of its key)",
            js::number_string(&JsValue::from_f64(id))
        ),
    )
}

/// A lease length argument: `undefined` → the default (30 s), else a whole number of ms in
/// `1..=MAX_LEASE_MS` (`LEASE_INVALID` otherwise).
fn lease_ms(value: &JsValue, what: &str) -> Result<Option<u64>, JsValue> {
    if value.is_undefined() {
        return Ok(None);
    }
    let ms = value.as_f64().ok_or_else(|| {
        js::type_error(&format!(
            "{what} must be a number, got {}",
            js::describe(value)
        ))
    })?;
    lease_ms_from_f64(ms)
        .map(Some)
        .map_err(|e| js::from_code(&e))
}

fn lease_id(value: &JsValue, what: &str) -> Result<(LeaseId, f64), JsValue> {
    let id = value.as_f64().ok_or_else(|| {
        js::type_error(&format!(
            "IdbStore.{what}: lease must be a number (a lease id), got {}",
            js::describe(value)
        ))
    })?;
    if !((0.0..=9_007_199_254_740_991.0).contains(&id) && crate::js::is_whole(id)) {
        return Err(lease_lost(what, id));
    }
    Ok((LeaseId::from_u64(id as u64), id))
}

impl State {
    /// Leases `taken` from `key` for a user (`pullLeased`) and arms the expiry timer.
    fn lease_for_user(&mut self, key: &str, taken: Taken<Record>, ms: Option<u64>) -> JsValue {
        match self.queue.lease(key, taken, ms, now_ms()) {
            Ok(l) => {
                let obj = leased_object(&l);
                let (id, seq, deadline) = (l.id.as_u64(), l.value.seq, l.deadline);
                self.user_leases.insert(id, UserLease { seq, deadline });
                obj
            }
            // The length was checked before the take: not reached, and nothing is lost.
            Err((e, taken)) => {
                let _ = self.queue.put_back(key, taken);
                js::from_code(&e)
            }
        }
    }
}

/// Points the one expiry timer at the engine's next lease deadline.
pub(super) fn arm(state: &Shared) {
    let mut st = state.borrow_mut();
    let next = st.queue.poll_timeout();
    match (next, &st.lease_timer) {
        (None, None) => return,
        (Some(d), Some((at, _))) if *at <= d => return,
        _ => {}
    }
    if let Some((_, id)) = st.lease_timer.take() {
        clear_timeout(&id);
    }
    let Some(deadline) = next else { return };
    // Internal leases (a pull's delete in flight) last a year: no timer that far out.
    let wait = deadline.saturating_sub(now_ms()).min(2_147_483_647) as f64;
    let weak: Weak<RefCell<State>> = Rc::downgrade(state);
    let fire = Closure::once_into_js(move || {
        if let Some(state) = weak.upgrade() {
            expire(&state);
        }
    });
    let id = set_timeout(fire.unchecked_ref(), wait);
    st.lease_timer = Some((deadline, id));
}

/// Returns every expired lease to its key and re-arms the timer.
fn expire(state: &Shared) {
    let wakers = {
        let mut st = state.borrow_mut();
        st.lease_timer = None;
        let now = now_ms();
        st.queue.handle_timeout(now);
        // The engine returned exactly the leases with `deadline <= now`: forget those.
        st.user_leases.retain(|_, l| l.deadline > now);
        st.ready_wakers()
    };
    wake_all(wakers);
    arm(state);
}

#[wasm_bindgen]
impl IdbStore {
    /// Takes the oldest payload of `key` under a lease, waiting for one: resolves
    /// `{ value, lease, deadline, deliveries }`. Nothing is written: `ack(lease)` deletes the
    /// entry (its tombstone commits before `ack` resolves); `nack(lease)` or the lease running
    /// out (`leaseMs`, default 30 000) put it back at the head of its key with its age. If the page
    /// dies first, the entry is still in IndexedDB and back in the queue after the next open.
    ///
    /// # Cancel safety
    /// As `pull`: `signal`/`timeoutMs` end the wait and take nothing.
    #[wasm_bindgen(js_name = pullLeased, unchecked_return_type = "Promise<{ value: Uint8Array; lease: number; deadline: number; deliveries: number }>")]
    pub fn pull_leased(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "WaitOptions & { leaseMs?: number }")]
        options: JsValue,
    ) -> Promise {
        let prepared = (|| {
            let key = self.check_key(&key, "IdbStore.takeLeased: key")?;
            let opts = WaitOptions::parse_with(&options, "IdbStore.takeLeased", &["leaseMs"])?;
            let ms = match js::options(&options, "IdbStore.takeLeased: options")? {
                Some(o) => lease_ms(
                    &js::field(&o, "leaseMs")?,
                    "IdbStore.takeLeased: options.leaseMs",
                )?,
                None => None,
            };
            {
                let st = self.state.borrow();
                if st.closed {
                    return Err(closed_error(&st));
                }
            }
            opts.check_aborted()?;
            Ok((key, opts, ms))
        })();
        let (key, opts, ms) = match prepared {
            Ok(x) => x,
            Err(e) => return Promise::reject(&e),
        };
        let now = {
            let mut st = self.state.borrow_mut();
            let taken = st.queue.try_take(&key).ok();
            taken.map(|t| st.lease_for_user(&key, t, ms))
        };
        if let Some(obj) = now {
            arm(&self.state);
            return Promise::resolve(&obj);
        }
        if self.state.borrow().sealed {
            return Promise::reject(&closed_error(&self.state.borrow()));
        }
        let state = self.state.clone();
        let reserve = Reserve::new(state.clone(), key.clone());
        js::spawn_promise(async move {
            let taken = Cancellable::new(reserve, &opts).await??;
            let obj = state.borrow_mut().lease_for_user(&key, taken, ms);
            arm(&state);
            Ok(obj)
        })
    }

    /// `pullLeased` without the wait: the oldest payload of `key` under a lease, or `undefined`
    /// when there is none (`CLOSED` once the store is sealed or closed and drained).
    #[wasm_bindgen(js_name = tryPullLeased, unchecked_return_type = "{ value: Uint8Array; lease: number; deadline: number; deliveries: number } | undefined")]
    pub fn try_pull_leased(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] key: JsValue,
        #[wasm_bindgen(js_name = leaseMs, unchecked_optional_param_type = "number")]
        lease_ms_arg: JsValue,
    ) -> Result<JsValue, JsValue> {
        let key = self.check_key(&key, "IdbStore.tryTakeLeased: key")?;
        let ms = lease_ms(&lease_ms_arg, "IdbStore.tryTakeLeased: leaseMs")?;
        let got = {
            let mut st = self.state.borrow_mut();
            if st.closed {
                return Err(closed_error(&st));
            }
            match st.queue.try_take(&key) {
                Ok(t) => st.lease_for_user(&key, t, ms),
                Err(_) if st.sealed => return Err(closed_error(&st)),
                Err(_) => return Ok(JsValue::UNDEFINED),
            }
        };
        arm(&self.state);
        Ok(got)
    }

    /// Acknowledges `lease`: the entry is done. Resolves once its tombstone has committed;
    /// rejects with `LEASE_LOST` for a lease not held any more, or `IO` if the write failed — the
    /// entry is then back at the head of its key (it will be delivered again: at-least-once).
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn ack(&self, lease: JsValue) -> Promise {
        let (id, raw) = match lease_id(&lease, "ack") {
            Ok(x) => x,
            Err(e) => return Promise::reject(&e),
        };
        let done = {
            let mut st = self.state.borrow_mut();
            if st.closed {
                return Promise::reject(&closed_error(&st));
            }
            let Some(held) = st.user_leases.remove(&id.as_u64()) else {
                return Promise::reject(&lease_lost("ack", raw));
            };
            // Hold it for as long as the delete may take, so it cannot expire meanwhile.
            if st.queue.extend(id, Some(MAX_LEASE_MS), now_ms()).is_err() {
                return Promise::reject(&lease_lost("ack", raw));
            }
            let done = Rc::new(Completion::default());
            st.pending.push(Op::Delete {
                seq: held.seq,
                lease: id,
                value: JsValue::UNDEFINED,
                done: done.clone(),
                retried: false,
            });
            let spawn = schedule(&mut st);
            (done, spawn)
        };
        let (done, spawn) = done;
        if spawn {
            spawn_flush(&self.state);
        }
        js::spawn_promise(Ticket(done))
    }

    /// Gives `lease` back: its entry returns to the head of its key now, age kept (handed to a
    /// waiting pull first). Throws `LEASE_LOST` for a lease not held any more.
    pub fn nack(&self, lease: JsValue) -> Result<(), JsValue> {
        let (id, raw) = lease_id(&lease, "nack")?;
        let wakers = {
            let mut st = self.state.borrow_mut();
            if st.user_leases.remove(&id.as_u64()).is_none() || st.queue.nack(id).is_err() {
                return Err(lease_lost("nack", raw));
            }
            st.ready_wakers()
        };
        wake_all(wakers);
        arm(&self.state);
        Ok(())
    }

    /// Extends `lease` to `leaseMs` from now (default 30 000); returns the new deadline. Throws
    /// `LEASE_LOST` or `LEASE_INVALID`.
    pub fn extend(
        &self,
        lease: JsValue,
        #[wasm_bindgen(js_name = leaseMs, unchecked_optional_param_type = "number")]
        lease_ms_arg: JsValue,
    ) -> Result<f64, JsValue> {
        let (id, raw) = lease_id(&lease, "extend")?;
        let ms = lease_ms(&lease_ms_arg, "IdbStore.extend: leaseMs")?;
        let deadline = {
            let mut st = self.state.borrow_mut();
            if !st.user_leases.contains_key(&id.as_u64()) {
                return Err(lease_lost("extend", raw));
            }
            let deadline = st
                .queue
                .extend(id, ms, now_ms())
                .map_err(|_| lease_lost("extend", raw))?;
            if let Some(l) = st.user_leases.get_mut(&id.as_u64()) {
                l.deadline = deadline;
            }
            deadline
        };
        arm(&self.state);
        Ok(deadline as f64)
    }

    /// Entries out on lease (`pullLeased` not yet acked or returned).
    #[wasm_bindgen(getter)]
    pub fn leased(&self) -> u32 {
        self.state.borrow().user_leases.len() as u32
    }
}
