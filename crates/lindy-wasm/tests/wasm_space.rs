//! `Space` for JS, in Node and in headless Chromium (`make wasm-test`): FIFO per key, waiting
//! take/read, cancellation that loses nothing, close semantics, pattern take, takeEach, batches
//! and bad input.
#![cfg(target_arch = "wasm32")]

mod wasm_support;

use js_sys::Promise;
use lindy_wasm::Space;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;
use wasm_support::*;
use web_sys::AbortController;

fn k(s: &str) -> JsValue {
    JsValue::from_str(s)
}

fn n(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

async fn next(it: &lindy_wasm::LindyIterator) -> (JsValue, bool) {
    let r = settle(it.next()).await.unwrap();
    let done = js_sys::Reflect::get(&r, &"done".into())
        .unwrap()
        .as_bool()
        .unwrap();
    (js_sys::Reflect::get(&r, &"value".into()).unwrap(), done)
}

/// Whether a promise has settled, without waiting for it.
async fn settled(p: &Promise) -> bool {
    let marker = JsValue::from_str("pending");
    let race = Promise::race(&js_sys::Array::of2(p, &Promise::resolve(&marker)));
    !matches!(settle(race).await, Ok(v) if v == marker)
}

#[wasm_bindgen_test]
async fn keys_are_fifo_queues_of_any_js_value() {
    let space = Space::new();
    let obj_value = obj(&[("job", k("resize"))]);
    space.out(k("jobs"), obj_value.clone()).unwrap();
    space.out(k("jobs"), n(2.0)).unwrap();
    space.out(k("other"), JsValue::NULL).unwrap();
    space.out(k(""), k("empty key is a key")).unwrap();
    assert_eq!(space.len(k("jobs")).unwrap(), 2);
    assert_eq!(space.size(), 4);
    let keys: Vec<String> = space.keys().iter().filter_map(|v| v.as_string()).collect();
    assert_eq!(keys, ["", "jobs", "other"]);
    // read does not remove; the same object comes back (no copy).
    assert_eq!(
        settle(space.read(k("jobs"), JsValue::UNDEFINED))
            .await
            .unwrap(),
        obj_value
    );
    assert_eq!(space.try_read(k("jobs")).unwrap(), obj_value);
    assert_eq!(
        settle(space.take(k("jobs"), JsValue::UNDEFINED))
            .await
            .unwrap(),
        obj_value
    );
    assert_eq!(space.try_take(k("jobs")).unwrap().as_f64(), Some(2.0));
    assert!(space.try_take(k("jobs")).unwrap().is_undefined());
    assert!(space.try_take(k("other")).unwrap().is_null());
}

#[wasm_bindgen_test]
async fn a_take_waits_for_an_out_on_its_key_only() {
    let space = Space::new();
    let take = space.take(k("a"), JsValue::UNDEFINED);
    let read = space.read(k("a"), JsValue::UNDEFINED);
    sleep(1).await;
    space.out(k("b"), n(1.0)).unwrap();
    assert!(!settled(&take).await && !settled(&read).await);
    space.out(k("a"), n(7.0)).unwrap();
    assert_eq!(settle(read).await.unwrap().as_f64(), Some(7.0));
    assert_eq!(settle(take).await.unwrap().as_f64(), Some(7.0));
    assert_eq!(space.len(k("a")).unwrap(), 0);
    assert_eq!(space.len(k("b")).unwrap(), 1);
}

#[wasm_bindgen_test]
async fn waiting_takers_are_served_in_arrival_order() {
    let space = Space::new();
    let takes: Vec<Promise> = (0..3)
        .map(|_| space.take(k("q"), JsValue::UNDEFINED))
        .collect();
    sleep(1).await;
    for i in 0..3 {
        space.out(k("q"), n(i as f64)).unwrap();
    }
    for (i, t) in takes.into_iter().enumerate() {
        assert_eq!(settle(t).await.unwrap().as_f64(), Some(i as f64));
    }
}

#[wasm_bindgen_test]
async fn cancelled_takes_lose_nothing() {
    let space = Space::new();
    let ctl = AbortController::new().unwrap();
    let aborted = space.take(k("q"), obj(&[("signal", ctl.signal().into())]));
    let timed = space.take(k("q"), obj(&[("timeoutMs", n(5.0))]));
    let plain = space.take(k("q"), JsValue::UNDEFINED);
    sleep(1).await;
    ctl.abort_with_reason(&k("user left"));
    let e = rejection(aborted).await;
    assert_lindy(&e, "ABORTED");
    assert_eq!(prop(&e, "cause"), "user left");
    assert_lindy(&rejection(timed).await, "TIMEOUT");
    space.out(k("q"), n(1.0)).unwrap();
    assert_eq!(
        settle(plain).await.unwrap().as_f64(),
        Some(1.0),
        "the live taker got it"
    );
    space.out(k("q"), n(2.0)).unwrap();
    assert_eq!(
        space.len(k("q")).unwrap(),
        1,
        "the cancelled takers took nothing"
    );
    // A fired signal refuses at once, even with an entry there.
    let e = rejection(space.take(k("q"), obj(&[("signal", ctl.signal().into())]))).await;
    assert_lindy(&e, "ABORTED");
    assert_eq!(space.len(k("q")).unwrap(), 1);
}

#[wasm_bindgen_test]
async fn many_interleaved_takers_and_cancellations_consume_each_value_once() {
    // A little model check: 200 values, takers of which a third are cancelled; every value ends
    // up taken exactly once or still in the space.
    let space = Space::new();
    // Futures are made at once, so every rejection has a handler when it happens.
    let mut live = Vec::new();
    let mut cancels = Vec::new();
    for i in 0..300 {
        if i % 3 == 0 {
            let ctl = AbortController::new().unwrap();
            let p = space.take(k("q"), obj(&[("signal", ctl.signal().into())]));
            cancels.push((ctl, JsFuture::from(p)));
        } else {
            let p = space.take(k("q"), JsValue::UNDEFINED);
            live.push((p.clone(), JsFuture::from(p)));
        }
    }
    sleep(1).await;
    for (i, (ctl, _)) in cancels.iter().enumerate() {
        if i % 2 == 0 {
            ctl.abort();
        }
    }
    for v in 0..200 {
        space.out(k("q"), n(v as f64)).unwrap();
        if v % 50 == 0 {
            sleep(0).await;
        }
    }
    for (ctl, _) in &cancels {
        ctl.abort();
    }
    let mut seen = Vec::new();
    for (p, f) in live {
        if settled(&p).await {
            seen.push(f.await.unwrap().as_f64().unwrap() as u32);
        }
    }
    for (_, f) in cancels {
        if let Ok(v) = f.await {
            seen.push(v.as_f64().unwrap() as u32);
        }
    }
    while let Some(v) = space.try_take(k("q")).unwrap().as_f64() {
        seen.push(v as u32);
    }
    seen.sort_unstable();
    assert_eq!(seen, (0..200).collect::<Vec<u32>>());
}

#[wasm_bindgen_test]
async fn close_wakes_waiters_and_refuses_outs_while_probes_drain() {
    let space = Space::new();
    space.out(k("q"), n(1.0)).unwrap();
    let waiting = space.take(k("empty"), JsValue::UNDEFINED);
    let reading = space.read(k("empty"), JsValue::UNDEFINED);
    space.close();
    space.close(); // idempotent
    assert!(space.is_closed());
    assert_lindy(&rejection(waiting).await, "CLOSED");
    assert_lindy(&rejection(reading).await, "CLOSED");
    assert_lindy(&space.out(k("q"), n(2.0)).unwrap_err(), "CLOSED");
    assert_lindy(
        &rejection(space.take(k("q"), JsValue::UNDEFINED)).await,
        "CLOSED",
    );
    assert_eq!(space.len(k("q")).unwrap(), 1);
    assert_eq!(
        space.try_take(k("q")).unwrap().as_f64(),
        Some(1.0),
        "drainable after close"
    );
}

#[wasm_bindgen_test]
async fn take_matching_takes_the_oldest_entry_of_any_matching_key() {
    let space = Space::new();
    space.out(k("public:jobs.resize.a"), n(1.0)).unwrap();
    space.out(k("not a channel"), n(0.0)).unwrap();
    space.out(k("public:jobs.resize.b"), n(2.0)).unwrap();
    let got = settle(space.take_matching(k("public:jobs.resize.*"), JsValue::UNDEFINED))
        .await
        .unwrap();
    assert_eq!(prop(&got, "key"), "public:jobs.resize.a");
    let got = space.try_take_matching(k("public:jobs.**")).unwrap();
    assert_eq!(prop(&got, "key"), "public:jobs.resize.b");
    assert!(space
        .try_take_matching(k("public:jobs.**"))
        .unwrap()
        .is_undefined());
    // A waiting pattern taker is woken by an out on a matching key.
    let waiting = space.take_matching(k("public:jobs.*.c"), JsValue::UNDEFINED);
    sleep(1).await;
    space.out(k("public:jobs.other.d"), n(3.0)).unwrap();
    assert!(!settled(&waiting).await);
    space.out(k("public:jobs.crop.c"), n(4.0)).unwrap();
    assert_eq!(
        prop(&settle(waiting).await.unwrap(), "key"),
        "public:jobs.crop.c"
    );
    assert_lindy(
        &rejection(space.take_matching(k("public:**.x"), JsValue::UNDEFINED)).await,
        "PATTERN_INVALID",
    );
}

#[wasm_bindgen_test]
async fn take_each_iterates_until_close_and_break_leaves_the_rest() {
    let space = Space::new();
    for i in 0..3 {
        space.out(k("q"), n(i as f64)).unwrap();
    }
    let it = space.take_each(k("q"), JsValue::UNDEFINED).unwrap();
    assert_eq!(next(&it).await.0.as_f64(), Some(0.0));
    assert_eq!(next(&it).await.0.as_f64(), Some(1.0));
    settle(it.return_(JsValue::UNDEFINED)).await.unwrap(); // `break`
    assert_eq!(
        space.len(k("q")).unwrap(),
        1,
        "only what was asked for was taken"
    );

    let it = space.take_each(k("q"), JsValue::UNDEFINED).unwrap();
    assert_eq!(next(&it).await.0.as_f64(), Some(2.0));
    let pending = it.next();
    sleep(1).await;
    space.out(k("q"), n(9.0)).unwrap();
    let r = settle(pending).await.unwrap();
    assert_eq!(
        js_sys::Reflect::get(&r, &"value".into()).unwrap().as_f64(),
        Some(9.0)
    );
    let pending = it.next();
    space.close();
    let r = settle(pending).await.unwrap();
    assert_eq!(
        js_sys::Reflect::get(&r, &"done".into()).unwrap().as_bool(),
        Some(true)
    );

    // A signal ends the iteration too, taking nothing.
    let space = Space::new();
    let ctl = AbortController::new().unwrap();
    let it = space
        .take_each(k("q"), obj(&[("signal", ctl.signal().into())]))
        .unwrap();
    let pending = it.next();
    ctl.abort();
    let r = settle(pending).await.unwrap();
    assert_eq!(
        js_sys::Reflect::get(&r, &"done".into()).unwrap().as_bool(),
        Some(true)
    );
    space.out(k("q"), n(1.0)).unwrap();
    assert_eq!(space.len(k("q")).unwrap(), 1);
}

#[wasm_bindgen_test]
fn batches_go_in_and_out_in_one_call() {
    let space = Space::new();
    let values = js_sys::Array::of3(&n(1.0), &n(2.0), &n(3.0));
    space.out_many(k("q"), values.into()).unwrap();
    let got = space.take_many(k("q"), n(2.0)).unwrap();
    assert_eq!(got.length(), 2);
    assert_eq!(got.get(0).as_f64(), Some(1.0));
    assert_eq!(space.take_many(k("q"), n(10.0)).unwrap().length(), 1);
    assert_eq!(space.take_many(k("q"), n(10.0)).unwrap().length(), 0);
    // All or nothing: a bad element stores nothing.
    let bad = js_sys::Array::of2(&n(1.0), &JsValue::UNDEFINED);
    assert_type_error(&space.out_many(k("q"), bad.into()).unwrap_err());
    assert_eq!(space.len(k("q")).unwrap(), 0);
}

#[wasm_bindgen_test]
async fn bad_input_is_an_error_never_a_trap() {
    let space = Space::new();
    assert_type_error(&space.out(n(1.0), n(1.0)).unwrap_err());
    assert_type_error(&space.out(JsValue::UNDEFINED, n(1.0)).unwrap_err());
    assert_type_error(&space.out(k("q"), JsValue::UNDEFINED).unwrap_err());
    let huge = "k".repeat(100_000);
    assert_lindy(
        &space.out(huge.as_str().into(), n(1.0)).unwrap_err(),
        "KEY_INVALID",
    );
    let lone: JsValue = js_sys::JsString::from_char_code1(0xDC00).into();
    assert_lindy(&space.out(lone, n(1.0)).unwrap_err(), "KEY_INVALID");
    assert_type_error(&rejection(space.take(JsValue::NULL, JsValue::UNDEFINED)).await);
    assert_type_error(&rejection(space.take(k("q"), n(5.0))).await);
    assert_range_error(&rejection(space.take(k("q"), obj(&[("timeoutMs", n(-5.0))]))).await);
    assert_type_error(&rejection(space.read(k("q"), obj(&[("signal", k("x"))]))).await);
    assert_type_error(&space.try_take(n(1.0)).unwrap_err());
    assert_type_error(&space.try_read(JsValue::TRUE).unwrap_err());
    assert_type_error(&space.len(JsValue::NULL).unwrap_err());
    assert_type_error(&space.out_many(k("q"), n(1.0)).unwrap_err());
    assert_range_error(&space.take_many(k("q"), n(-1.0)).unwrap_err());
    assert_type_error(&space.take_many(k("q"), k("3")).unwrap_err());
    assert_type_error(&rejection(space.take_matching(n(3.0), JsValue::UNDEFINED)).await);
    assert_type_error(&space.take_each(k("q"), n(1.0)).err().unwrap());
    // Still healthy.
    space.out(k("q"), n(1.0)).unwrap();
    assert_eq!(space.try_take(k("q")).unwrap().as_f64(), Some(1.0));
}

#[wasm_bindgen_test]
async fn a_key_handle_works_one_key_without_passing_it() {
    let space = Space::new();
    let jobs = space.key(k("jobs")).unwrap();
    assert_eq!(jobs.key_name(), "jobs");
    jobs.out(n(1.0)).unwrap();
    space.out(k("jobs"), n(2.0)).unwrap();
    assert_eq!(jobs.length(), 2);
    assert_eq!(jobs.try_read().as_f64(), Some(1.0));
    assert_eq!(
        settle(jobs.read(JsValue::UNDEFINED))
            .await
            .unwrap()
            .as_f64(),
        Some(1.0)
    );
    assert_eq!(jobs.try_take().as_f64(), Some(1.0));
    assert_eq!(
        settle(jobs.take(JsValue::UNDEFINED))
            .await
            .unwrap()
            .as_f64(),
        Some(2.0)
    );
    assert!(jobs.try_take().is_undefined());
    let waiting = jobs.take(obj(&[("timeoutMs", n(1000.0))]));
    space.out(k("jobs"), n(3.0)).unwrap();
    assert_eq!(settle(waiting).await.unwrap().as_f64(), Some(3.0));
    assert_lindy(
        &rejection(jobs.take(obj(&[("timeoutMs", n(1.0))]))).await,
        "TIMEOUT",
    );
    assert_type_error(&jobs.out(JsValue::UNDEFINED).unwrap_err());
    assert_type_error(&space.key(n(1.0)).err().unwrap());
    space.close();
    assert_lindy(&jobs.out(n(4.0)).unwrap_err(), "CLOSED");
    assert_lindy(&rejection(jobs.take(JsValue::UNDEFINED)).await, "CLOSED");
}
