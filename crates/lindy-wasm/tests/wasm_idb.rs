//! `IdbStore` against real IndexedDB in headless Chromium (`make wasm-test`): the native
//! `FileStore`'s semantics — FIFO per key, data survives reopen, a pull's delete commits before the
//! entry leaves memory, `CLOSED` after close while peek/len answer — plus group commit, clean
//! cancellation and atomic failure.
#![cfg(target_arch = "wasm32")]

mod wasm_support;

use js_sys::{Promise, Uint8Array};
use lindy_wasm::{Durability, IdbStore, IdbStoreOptions};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};
use wasm_support::*;
use web_sys::AbortController;

wasm_bindgen_test_configure!(run_in_browser);

fn k(s: &str) -> JsValue {
    JsValue::from_str(s)
}

/// A fresh store on database `name` (deleted first).
async fn fresh(name: &str) -> IdbStore {
    settle(IdbStore::delete_database(k(name))).await.unwrap();
    IdbStore::open_with(name, IdbStoreOptions::default())
        .await
        .unwrap()
}

async fn reopen(store: IdbStore, name: &str) -> IdbStore {
    settle(store.close()).await.unwrap();
    IdbStore::open_with(name, IdbStoreOptions::default())
        .await
        .unwrap()
}

async fn pull_text(store: &IdbStore, key: &str) -> String {
    text(
        &settle(store.pull(k(key), JsValue::UNDEFINED))
            .await
            .unwrap(),
    )
}

fn len(store: &IdbStore, key: &str) -> u32 {
    store.len(k(key)).unwrap()
}

/// Whether a promise has settled, without waiting for it (one macrotask of slack).
async fn settled(p: &Promise) -> bool {
    let marker = JsValue::from_str("pending");
    let race = Promise::race(&js_sys::Array::of2(p, &Promise::resolve(&marker)));
    let first = settle(race).await;
    !matches!(first, Ok(v) if v == marker)
}

#[wasm_bindgen_test]
async fn fifo_per_key_survives_reopen() {
    let name = "lindy-test-fifo";
    let store = fresh(name).await;
    for (key, v) in [("a", "a1"), ("a", "a2"), ("b", "b1"), ("a", "a3")] {
        settle(store.push(k(key), bytes(v))).await.unwrap();
    }
    assert_eq!(len(&store, "a"), 3);
    let keys: Vec<String> = store.keys().iter().filter_map(|v| v.as_string()).collect();
    assert_eq!(keys, ["a", "b"]);

    let store = reopen(store, name).await;
    assert_eq!(len(&store, "a"), 3);
    assert_eq!(pull_text(&store, "a").await, "a1");
    assert_eq!(pull_text(&store, "a").await, "a2");

    // Partial pulls survive a reopen too: the pulled entries stay gone.
    let store = reopen(store, name).await;
    assert_eq!(len(&store, "a"), 1);
    assert_eq!(text(&store.peek(k("a")).unwrap()), "a3");
    assert_eq!(pull_text(&store, "a").await, "a3");
    assert_eq!(pull_text(&store, "b").await, "b1");
    assert_eq!(store.keys().length(), 0);

    // Sequence numbers continue after a reopen: order holds across sessions.
    settle(store.push(k("a"), bytes("n1"))).await.unwrap();
    let store = reopen(store, name).await;
    settle(store.push(k("a"), bytes("n2"))).await.unwrap();
    let store = reopen(store, name).await;
    assert_eq!(pull_text(&store, "a").await, "n1");
    assert_eq!(pull_text(&store, "a").await, "n2");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn pushes_issued_in_one_task_share_one_transaction() {
    let store = fresh("lindy-test-group").await;
    let before = store.commits();
    let pushes: Vec<Promise> = (0..50)
        .map(|i| store.push(k("q"), bytes(&i.to_string())))
        .collect();
    for p in pushes {
        settle(p).await.unwrap();
    }
    assert_eq!(store.commits() - before, 1, "50 pushes, one transaction");
    assert_eq!(len(&store, "q"), 50);

    // Pulls issued together share one transaction too, and each gets its own entry, in order.
    let before = store.commits();
    let pulls: Vec<Promise> = (0..50)
        .map(|_| store.pull(k("q"), JsValue::UNDEFINED))
        .collect();
    for (i, p) in pulls.into_iter().enumerate() {
        assert_eq!(text(&settle(p).await.unwrap()), i.to_string());
    }
    assert_eq!(store.commits() - before, 1, "50 pulls, one transaction");
    assert_eq!(len(&store, "q"), 0);

    // Awaited one by one, each push is its own transaction (and resolves only after it).
    let before = store.commits();
    for i in 0..3 {
        settle(store.push(k("q"), bytes(&i.to_string())))
            .await
            .unwrap();
        assert_eq!(store.commits() - before, i + 1);
    }
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn batched_pulls_of_interleaved_keys_delete_exactly_their_entries() {
    // Sequence numbers of one key are not contiguous here, so the batch's tombstones mix single
    // deletes and key ranges: exactly the pulled entries must go.
    let name = "lindy-test-ranges";
    let store = fresh(name).await;
    let pushes: Vec<Promise> = (0..12)
        .map(|i| {
            let key = if i % 3 == 0 { "a" } else { "b" };
            store.push(k(key), bytes(&i.to_string()))
        })
        .collect();
    for p in pushes {
        settle(p).await.unwrap();
    }
    // a: 0 3 6 9 (isolated seqs); b: 1 2 4 5 7 8 10 11 (runs of two). Pull all of a, half of b.
    let pulls: Vec<Promise> = (0..4)
        .map(|_| store.pull(k("a"), JsValue::UNDEFINED))
        .chain((0..4).map(|_| store.pull(k("b"), JsValue::UNDEFINED)))
        .collect();
    let got: Vec<String> = {
        let mut v = Vec::new();
        for p in pulls {
            v.push(text(&settle(p).await.unwrap()));
        }
        v
    };
    assert_eq!(got, ["0", "3", "6", "9", "1", "2", "4", "5"]);
    let store = reopen(store, name).await;
    assert_eq!(len(&store, "a"), 0);
    assert_eq!(len(&store, "b"), 4);
    assert_eq!(pull_text(&store, "b").await, "7");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_pull_waits_for_a_push() {
    let store = fresh("lindy-test-wait").await;
    let pull = store.pull(k("jobs"), JsValue::UNDEFINED);
    sleep(20).await;
    assert!(!settled(&pull).await, "nothing to pull yet");
    settle(store.push(k("other"), bytes("x"))).await.unwrap();
    assert!(
        !settled(&pull).await,
        "a push to another key does not serve it"
    );
    settle(store.push(k("jobs"), bytes("j1"))).await.unwrap();
    assert_eq!(text(&settle(pull).await.unwrap()), "j1");
    assert_eq!(len(&store, "jobs"), 0);
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn waiting_pulls_are_served_in_arrival_order() {
    let store = fresh("lindy-test-waiters").await;
    let first = store.pull(k("q"), JsValue::UNDEFINED);
    let second = store.pull(k("q"), JsValue::UNDEFINED);
    sleep(5).await;
    settle(store.push(k("q"), bytes("1"))).await.unwrap();
    assert_eq!(text(&settle(first).await.unwrap()), "1");
    assert!(!settled(&second).await);
    settle(store.push(k("q"), bytes("2"))).await.unwrap();
    assert_eq!(text(&settle(second).await.unwrap()), "2");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_aborted_or_timed_out_pull_takes_nothing() {
    let store = fresh("lindy-test-abort").await;
    let ctl = AbortController::new().unwrap();
    let aborted = store.pull(k("q"), obj(&[("signal", ctl.signal().into())]));
    let timed = store.pull(k("q"), obj(&[("timeoutMs", JsValue::from(10))]));
    let plain = store.pull(k("q"), JsValue::UNDEFINED);
    sleep(1).await;
    ctl.abort();
    assert_lindy(&rejection(aborted).await, "ABORTED");
    assert_lindy(&rejection(timed).await, "TIMEOUT");
    // The cancelled pulls left the queue: the next push goes to the pull still waiting.
    settle(store.push(k("q"), bytes("v"))).await.unwrap();
    assert_eq!(text(&settle(plain).await.unwrap()), "v");
    // And nothing else was consumed.
    settle(store.push(k("q"), bytes("w"))).await.unwrap();
    assert_eq!(len(&store, "q"), 1);
    // A signal that already fired rejects at once, even with an entry there: nothing is taken.
    let e = rejection(store.pull(k("q"), obj(&[("signal", ctl.signal().into())]))).await;
    assert_lindy(&e, "ABORTED");
    assert_eq!(len(&store, "q"), 1);
    // An entry that is there wins over a zero timeout.
    let v = settle(store.pull(k("q"), obj(&[("timeoutMs", JsValue::from(0))]))).await;
    assert_eq!(text(&v.unwrap()), "w");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn try_pull_returns_undefined_when_empty() {
    let store = fresh("lindy-test-trypull").await;
    assert!(settle(store.try_pull(k("q"))).await.unwrap().is_undefined());
    settle(store.push(k("q"), bytes("x"))).await.unwrap();
    assert_eq!(text(&settle(store.try_pull(k("q"))).await.unwrap()), "x");
    assert!(settle(store.try_pull(k("q"))).await.unwrap().is_undefined());
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn close_rejects_writes_and_waits_while_peek_and_len_answer() {
    let name = "lindy-test-close";
    let store = fresh(name).await;
    settle(store.push(k("q"), bytes("kept"))).await.unwrap();
    let waiting = store.pull(k("empty"), JsValue::UNDEFINED);
    // A push accepted before close still commits.
    let accepted = store.push(k("q"), bytes("late"));
    let closing = store.close();
    assert!(store.is_closed());
    settle(accepted).await.unwrap();
    assert_lindy(&rejection(waiting).await, "CLOSED");
    settle(closing).await.unwrap();
    settle(store.close()).await.unwrap(); // idempotent

    assert_lindy(&rejection(store.push(k("q"), bytes("x"))).await, "CLOSED");
    assert_lindy(
        &rejection(store.pull(k("q"), JsValue::UNDEFINED)).await,
        "CLOSED",
    );
    assert_lindy(&rejection(store.try_pull(k("q"))).await, "CLOSED");
    assert_eq!(len(&store, "q"), 2);
    assert_eq!(text(&store.peek(k("q")).unwrap()), "kept");
    assert_eq!(store.keys().length(), 1);

    let store = IdbStore::open_with(name, IdbStoreOptions::default())
        .await
        .unwrap();
    assert_eq!(len(&store, "q"), 2);
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_failed_transaction_writes_nothing_and_says_why() {
    let name = "lindy-test-fail";
    let store = fresh(name).await;
    settle(store.push(k("q"), bytes("ok"))).await.unwrap();
    store.fail_next_transaction();
    let a = store.push(k("q"), bytes("lost-1"));
    let b = store.push(k("r"), bytes("lost-2"));
    for p in [a, b] {
        let e = rejection(p).await;
        assert_lindy(&e, "IO");
        assert!(
            prop(&e, "message").contains("nothing from this batch was written"),
            "{e:?}"
        );
    }
    assert_eq!(len(&store, "q"), 1);
    assert_eq!(len(&store, "r"), 0);
    // The store carries on.
    settle(store.push(k("q"), bytes("after"))).await.unwrap();
    let store = reopen(store, name).await;
    assert_eq!(pull_text(&store, "q").await, "ok");
    assert_eq!(pull_text(&store, "q").await, "after");
    assert_eq!(len(&store, "r"), 0);
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_pull_caught_in_a_failed_batch_of_pushes_is_retried() {
    let name = "lindy-test-retry";
    let store = fresh(name).await;
    settle(store.push(k("q"), bytes("x"))).await.unwrap();
    store.fail_next_transaction();
    let push = store.push(k("q"), bytes("y"));
    let pull = store.pull(k("q"), JsValue::UNDEFINED);
    assert_lindy(&rejection(push).await, "IO");
    assert_eq!(text(&settle(pull).await.unwrap()), "x");
    let store = reopen(store, name).await;
    assert_eq!(
        len(&store, "q"),
        0,
        "x was pulled for good, y never written"
    );
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_failed_pull_hands_its_entry_back() {
    let store = fresh("lindy-test-failpull").await;
    settle(store.push(k("q"), bytes("x"))).await.unwrap();
    store.fail_next_transaction();
    assert_lindy(
        &rejection(store.pull(k("q"), JsValue::UNDEFINED)).await,
        "IO",
    );
    assert_eq!(len(&store, "q"), 1);
    assert_eq!(pull_text(&store, "q").await, "x");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn payloads_are_copied_in_and_out() {
    let store = fresh("lindy-test-copies").await;
    let src = Uint8Array::from(&b"abc"[..]);
    let pushed = store.push(k("q"), src.clone().into());
    src.set_index(0, b'X');
    settle(pushed).await.unwrap();
    let peeked: Uint8Array = store.peek(k("q")).unwrap().unchecked_into();
    peeked.set_index(0, b'Y');
    assert_eq!(text(&store.peek(k("q")).unwrap()), "abc");
    // A view on a larger buffer stores only the view's bytes.
    let buf = Uint8Array::from(&b"0123456789"[..]);
    let view = Uint8Array::new_with_byte_offset_and_length(&buf.buffer(), 2, 3);
    settle(store.push(k("v"), view.into())).await.unwrap();
    let out: Uint8Array = settle(store.pull(k("v"), JsValue::UNDEFINED))
        .await
        .unwrap()
        .unchecked_into();
    assert_eq!(out.to_vec(), b"234");
    assert_eq!(out.buffer().byte_length(), 3);
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn bad_input_is_an_error_never_a_trap() {
    let name = "lindy-test-bad";
    settle(IdbStore::delete_database(k(name))).await.unwrap();
    let opts = IdbStoreOptions {
        max_key_len: 8,
        max_value_len: 4,
        ..IdbStoreOptions::default()
    };
    let store = IdbStore::open_with(name, opts).await.unwrap();
    assert_type_error(&rejection(store.push(JsValue::from(1), bytes("x"))).await);
    assert_type_error(&rejection(store.push(k("q"), k("text"))).await);
    assert_type_error(&rejection(store.push(k("q"), JsValue::UNDEFINED)).await);
    assert_type_error(&rejection(store.push(k("q"), js_sys::ArrayBuffer::new(2).into())).await);
    assert_lindy(
        &rejection(store.push(k(""), bytes("x"))).await,
        "KEY_INVALID",
    );
    assert_lindy(
        &rejection(store.push(k("123456789"), bytes("x"))).await,
        "KEY_INVALID",
    );
    let e = rejection(store.push(k("q"), bytes("12345"))).await;
    assert_lindy(&e, "VALUE_TOO_LARGE");
    assert_eq!(len(&store, "q"), 0, "nothing written");
    assert_type_error(&rejection(store.pull(JsValue::NULL, JsValue::UNDEFINED)).await);
    assert_type_error(&rejection(store.pull(k("q"), JsValue::from(5))).await);
    assert_range_error(
        &rejection(store.pull(k("q"), obj(&[("timeoutMs", JsValue::from(-1))]))).await,
    );
    assert_type_error(&rejection(store.try_pull(JsValue::from(true))).await);
    assert_type_error(&store.peek(JsValue::from(3)).unwrap_err());
    assert_type_error(&store.len(JsValue::UNDEFINED).unwrap_err());
    assert_lindy(&store.len(k("")).unwrap_err(), "KEY_INVALID");
    settle(store.push(k("q"), bytes("1234"))).await.unwrap();
    assert_eq!(len(&store, "q"), 1);
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn delete_database_closes_open_stores_and_empties_them() {
    let name = "lindy-test-delete";
    let store = fresh(name).await;
    settle(store.push(k("q"), bytes("x"))).await.unwrap();
    let waiting = store.pull(k("w"), JsValue::UNDEFINED);
    // The open store steps aside when asked (versionchange), so the delete is not blocked.
    settle(IdbStore::delete_database(k(name))).await.unwrap();
    assert!(store.is_closed());
    assert_lindy(&rejection(waiting).await, "CLOSED");
    let store = IdbStore::open_with(name, IdbStoreOptions::default())
        .await
        .unwrap();
    assert_eq!(len(&store, "q"), 0);
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn relaxed_durability_also_persists() {
    let name = "lindy-test-relaxed";
    settle(IdbStore::delete_database(k(name))).await.unwrap();
    let opts = IdbStoreOptions {
        durability: Durability::Relaxed,
        ..IdbStoreOptions::default()
    };
    let store = IdbStore::open_with(name, opts.clone()).await.unwrap();
    settle(store.push(k("q"), bytes("r"))).await.unwrap();
    settle(store.close()).await.unwrap();
    let store = IdbStore::open_with(name, opts).await.unwrap();
    assert_eq!(pull_text(&store, "q").await, "r");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn a_record_that_is_not_ours_is_reported_as_corrupt() {
    // Write a foreign record straight into the object store, then open it with IdbStore.
    let name = "lindy-test-corrupt";
    let store = fresh(name).await;
    settle(store.push(k("q"), bytes("x"))).await.unwrap();
    settle(store.close()).await.unwrap();
    let script = format!(
        "return new Promise((ok, fail) => {{ const r = indexedDB.open('{name}', 1); \
         r.onerror = () => fail(r.error); r.onsuccess = () => {{ const db = r.result; \
         const tx = db.transaction('log', 'readwrite'); tx.objectStore('log').put('garbage', 99); \
         tx.oncomplete = () => {{ db.close(); ok(); }}; tx.onabort = () => fail(tx.error); }}; }});"
    );
    let f = js_sys::Function::new_no_args(&script);
    settle(f.call0(&JsValue::UNDEFINED).unwrap().unchecked_into())
        .await
        .unwrap();
    let e = IdbStore::open_with(name, IdbStoreOptions::default())
        .await
        .err()
        .expect("refuses to open");
    assert_lindy(&e, "STORE_CORRUPT");
    assert!(prop(&e, "message").contains("record 99"), "{e:?}");
    settle(IdbStore::delete_database(k(name))).await.unwrap();
}

#[wasm_bindgen_test]
async fn two_handles_on_one_database_take_turns_and_lose_nothing() {
    // The reported loss: A and B open one database, A pushes [1], B pushes [9], both "commit",
    // and after a reopen only [9] is left. Now B's open waits for A's Web Lock.
    let name = "lindy-test-two-handles";
    let a = fresh(name).await;
    let at_once = IdbStoreOptions {
        lock_timeout_ms: 0.0,
        ..IdbStoreOptions::default()
    };
    let e = IdbStore::open_with(name, at_once)
        .await
        .err()
        .expect("locked");
    assert_lindy(&e, "STORE_LOCKED");
    assert!(prop(&e, "message").contains("openSharedQueue"), "{e:?}");
    let e = rejection(IdbStore::open(
        k(name),
        obj(&[("lockTimeoutMs", 30.into())]),
    ))
    .await;
    assert_lindy(&e, "STORE_LOCKED");

    // B waits (default lockTimeoutMs) while A works.
    let b_open = IdbStore::open(k(name), JsValue::UNDEFINED);
    settle(a.push(k("q"), bytes("1"))).await.unwrap();
    settle(a.push(k("q"), bytes("2"))).await.unwrap();
    assert_eq!(pull_text(&a, "q").await, "1");
    assert!(
        !settled(&b_open).await,
        "B opened while A holds the database"
    );
    settle(a.close()).await.unwrap();

    // B got the database the moment A let go: it sees A's work and adds its own.
    let b = settle(b_open).await.unwrap();
    let call = |name: &str, args: &[JsValue]| -> Promise {
        let f: js_sys::Function = js_sys::Reflect::get(&b, &k(name)).unwrap().unchecked_into();
        f.apply(&b, &args.iter().collect())
            .unwrap()
            .unchecked_into()
    };
    settle(call("push", &[k("q"), bytes("9")])).await.unwrap();
    assert_eq!(text(&settle(call("pull", &[k("q")])).await.unwrap()), "2");
    // A is closed: it can neither write nor hand out B's entries.
    assert_lindy(&rejection(a.push(k("q"), bytes("x"))).await, "CLOSED");
    assert_lindy(&rejection(a.try_pull(k("q"))).await, "CLOSED");
    settle(call("close", &[])).await.unwrap();

    // What both committed is there, once: [9] (1 and 2 were pulled, each exactly once).
    let c = IdbStore::open_with(name, IdbStoreOptions::default())
        .await
        .unwrap();
    assert_eq!(len(&c, "q"), 1);
    assert_eq!(pull_text(&c, "q").await, "9");
    settle(c.close()).await.unwrap();
}

/// `pullLeased`'s `{ value, lease, deadline, deliveries }`.
async fn pull_leased(store: &IdbStore, key: &str, lease_ms: f64) -> (String, f64, f64) {
    let got = settle(store.pull_leased(k(key), obj(&[("leaseMs", lease_ms.into())])))
        .await
        .unwrap();
    let field = |n: &str| js_sys::Reflect::get(&got, &k(n)).unwrap();
    (
        text(&field("value")),
        field("lease").as_f64().unwrap(),
        field("deliveries").as_f64().unwrap(),
    )
}

#[wasm_bindgen_test]
async fn a_leased_pull_is_deleted_at_ack_and_back_after_reopen_if_not_acked() {
    let name = "lindy-test-leases";
    let store = fresh(name).await;
    for v in ["a", "b", "c"] {
        settle(store.push(k("q"), bytes(v))).await.unwrap();
    }
    // ack: the tombstone commits before ack resolves.
    let (a, lease_a, first) = pull_leased(&store, "q", 60_000.0).await;
    assert_eq!((a.as_str(), first), ("a", 1.0));
    assert_eq!((len(&store, "q"), store.leased()), (2, 1));
    let commits = store.commits();
    settle(store.ack(JsValue::from_f64(lease_a))).await.unwrap();
    assert_eq!(store.commits(), commits + 1);
    assert_lindy(
        &rejection(store.ack(JsValue::from_f64(lease_a))).await,
        "LEASE_LOST",
    );
    // nack: back at the head, delivery count kept.
    let (b, lease_b, _) = pull_leased(&store, "q", 60_000.0).await;
    assert_eq!(b, "b");
    store.nack(JsValue::from_f64(lease_b)).unwrap();
    assert_lindy(
        &store.nack(JsValue::from_f64(lease_b)).unwrap_err(),
        "LEASE_LOST",
    );
    let (b, _, again) = pull_leased(&store, "q", 60_000.0).await;
    assert_eq!((b.as_str(), again), ("b", 2.0));
    // Held, not acked, when the store goes away (as if the tab died): nothing was written.
    let store = reopen(store, name).await;
    assert_eq!(len(&store, "q"), 2);
    assert_eq!(pull_text(&store, "q").await, "b");
    assert_eq!(pull_text(&store, "q").await, "c");
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_expired_lease_goes_back_to_the_head_and_wakes_a_waiting_pull() {
    let store = fresh("lindy-test-lease-expiry").await;
    settle(store.push(k("q"), bytes("x"))).await.unwrap();
    let (_, lease, _) = pull_leased(&store, "q", 30.0).await;
    let waiting = store.pull(k("q"), JsValue::UNDEFINED);
    assert!(!settled(&waiting).await);
    // The lease runs out: the entry goes to the waiting pull, whose delete commits.
    assert_eq!(text(&settle(waiting).await.unwrap()), "x");
    assert_lindy(
        &rejection(store.ack(JsValue::from_f64(lease))).await,
        "LEASE_LOST",
    );
    assert_eq!((len(&store, "q"), store.leased()), (0, 0));
    // Bad leases: coded errors, never a trap.
    for bad in [0.0, -1.0, 0.5, f64::NAN, f64::INFINITY, 1e300] {
        let e = rejection(store.pull_leased(k("q"), obj(&[("leaseMs", bad.into())]))).await;
        assert_lindy(&e, "LEASE_INVALID");
    }
    assert_type_error(&store.nack(k("nope")).unwrap_err());
    assert_lindy(
        &store
            .extend(JsValue::from_f64(-1.0), JsValue::UNDEFINED)
            .unwrap_err(),
        "LEASE_LOST",
    );
    settle(store.close()).await.unwrap();
}

#[wasm_bindgen_test]
async fn an_abandoned_open_does_not_keep_the_database_locked() {
    use lindy_wasm::cancel::{Cancellable, WaitOptions};
    let name = "lindy-test-abandoned-open";
    let a = fresh(name).await;
    // An open that waits for A's lock, dropped after 50 ms.
    let give_up = WaitOptions {
        signal: None,
        timeout_ms: Some(50.0),
    };
    let waited = Cancellable::new(
        IdbStore::open_with(name, IdbStoreOptions::default()),
        &give_up,
    )
    .await;
    assert_lindy(&waited.err().expect("timed out"), "TIMEOUT");
    settle(a.close()).await.unwrap();
    // Its lock request was withdrawn: the database is free at once.
    let at_once = IdbStoreOptions {
        lock_timeout_ms: 0.0,
        ..IdbStoreOptions::default()
    };
    let c = IdbStore::open_with(name, at_once).await.unwrap();
    settle(c.close()).await.unwrap();
}
