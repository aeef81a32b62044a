//! The JS plumbing of the npm package, in Node and in headless Chromium (`make wasm-test`):
//! errors carry `.code`, bad arguments become `TypeError`/`RangeError`/lindy errors (never a
//! trap), and `{ signal, timeoutMs }` cancel waits cleanly.
#![cfg(target_arch = "wasm32")]

mod wasm_support;

use core::future::{pending, ready};

use js_sys::JsString;
use lindy_wasm::cancel::{Cancellable, WaitOptions};
use lindy_wasm::{js, IdbStore};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;
use wasm_support::*;
use web_sys::AbortController;

#[wasm_bindgen_test]
fn lindy_errors_carry_name_code_and_message() {
    let e = js::lindy_error("KEY_INVALID", "key is empty");
    assert_lindy(&e, "KEY_INVALID");
    assert_eq!(prop(&e, "message"), "key is empty");
    let cause = JsValue::from_str("root cause");
    let e = js::lindy_error_caused("IO", "disk", &cause);
    assert_lindy(&e, "IO");
    assert_eq!(prop(&e, "cause"), "root cause");
    assert_type_error(&js::type_error("x"));
    assert_range_error(&js::range_error("x"));
}

#[wasm_bindgen_test]
fn errors_from_rust_codes_keep_the_code() {
    let e = js::from_code(&lindy::Closed(()));
    assert_lindy(&e, "CLOSED");
    assert_eq!(prop(&e, "message"), "closed");
}

#[wasm_bindgen_test]
fn keys_are_checked_for_type_length_and_well_formedness() {
    assert_eq!(js::key(&"jobs".into(), "key", 8).unwrap(), "jobs");
    assert_type_error(&js::key(&JsValue::from(3), "key", 8).unwrap_err());
    assert_type_error(&js::key(&JsValue::UNDEFINED, "key", 8).unwrap_err());
    assert_type_error(&js::key(&JsValue::NULL, "key", 8).unwrap_err());
    assert_lindy(&js::key(&"".into(), "key", 8).unwrap_err(), "KEY_INVALID");
    assert_lindy(
        &js::key(&"123456789".into(), "key", 8).unwrap_err(),
        "KEY_INVALID",
    );
    // The limit is in UTF-8 bytes: "é" is two.
    assert_lindy(
        &js::key(&"éééé1".into(), "key", 8).unwrap_err(),
        "KEY_INVALID",
    );
    // A lone surrogate would alias "\u{FFFD}" on the way in: refused.
    let lone: JsValue = JsString::from_char_code1(0xD800).into();
    assert_lindy(&js::key(&lone, "key", 8).unwrap_err(), "KEY_INVALID");
    // A real U+FFFD is a fine key.
    assert_eq!(js::key(&"\u{FFFD}".into(), "key", 8).unwrap(), "\u{FFFD}");
}

#[wasm_bindgen_test]
fn values_and_numbers_are_checked() {
    assert!(js::bytes(&bytes("x"), "v").is_ok());
    assert_type_error(&js::bytes(&"x".into(), "v").unwrap_err());
    assert_type_error(&js::bytes(&js_sys::Array::new().into(), "v").unwrap_err());
    assert_eq!(js::integer(&JsValue::from(5), "n", 1.0, 9.0).unwrap(), 5.0);
    assert_range_error(&js::integer(&JsValue::from(1.5), "n", 1.0, 9.0).unwrap_err());
    assert_range_error(&js::integer(&JsValue::from(10), "n", 1.0, 9.0).unwrap_err());
    assert_range_error(&js::integer(&JsValue::from(f64::NAN), "n", 1.0, 9.0).unwrap_err());
    assert_type_error(&js::integer(&"5".into(), "n", 1.0, 9.0).unwrap_err());
    assert_eq!(
        js::opt_integer(&JsValue::UNDEFINED, "n", 1.0, 9.0).unwrap(),
        None
    );
    let e = js::integer(&JsValue::from(0.25), "n", 1.0, 9.0).unwrap_err();
    assert!(prop(&e, "message").contains("got 0.25"), "{e:?}");
}

#[wasm_bindgen_test]
fn wait_options_are_validated() {
    assert!(WaitOptions::parse(&JsValue::UNDEFINED, "take")
        .unwrap()
        .is_empty());
    assert!(WaitOptions::parse(&JsValue::NULL, "take")
        .unwrap()
        .is_empty());
    assert_type_error(&WaitOptions::parse(&JsValue::from(5), "take").err().unwrap());
    assert_type_error(&WaitOptions::parse(&"x".into(), "take").err().unwrap());
    let bad_signal = obj(&[("signal", JsValue::from(1))]);
    assert_type_error(&WaitOptions::parse(&bad_signal, "take").err().unwrap());
    for bad in [-1.0, f64::NAN, f64::NEG_INFINITY, 3e9] {
        let o = obj(&[("timeoutMs", JsValue::from(bad))]);
        assert_range_error(&WaitOptions::parse(&o, "take").err().unwrap());
    }
    // Infinity means no timeout.
    let o = obj(&[("timeoutMs", JsValue::from(f64::INFINITY))]);
    assert!(WaitOptions::parse(&o, "take").unwrap().is_empty());
    // A misspelt option is an error, not silently ignored.
    let o = obj(&[("timeout", JsValue::from(10))]);
    assert_lindy(
        &WaitOptions::parse(&o, "take").err().unwrap(),
        "INVALID_CONFIG",
    );
    let o = obj(&[("timeoutMs", "10".into())]);
    assert_type_error(&WaitOptions::parse(&o, "take").err().unwrap());
    let ctl = AbortController::new().unwrap();
    let o = obj(&[
        ("signal", ctl.signal().into()),
        ("timeoutMs", JsValue::from(5)),
    ]);
    let opts = WaitOptions::parse(&o, "take").unwrap();
    assert!(opts.signal.is_some());
    assert_eq!(opts.timeout_ms, Some(5.0));
    assert!(opts.check_aborted().is_ok());
    ctl.abort();
    assert_lindy(&opts.check_aborted().unwrap_err(), "ABORTED");
}

#[wasm_bindgen_test]
fn a_getter_that_throws_is_passed_on_not_trapped() {
    let o = js_sys::Object::new();
    let getter = js_sys::Function::new_no_args("throw new Error('boom')");
    let desc = obj(&[("get", getter.into())]);
    js_sys::Object::define_property(&o, &"signal".into(), desc.unchecked_ref());
    let e = WaitOptions::parse(&o.into(), "take").err().unwrap();
    assert_eq!(prop(&e, "message"), "boom");
}

#[wasm_bindgen_test]
async fn a_timeout_cancels_a_wait_with_timeout() {
    let opts = WaitOptions {
        signal: None,
        timeout_ms: Some(5.0),
    };
    let e = Cancellable::new(pending::<()>(), &opts).await.unwrap_err();
    assert_lindy(&e, "TIMEOUT");
}

#[wasm_bindgen_test]
async fn an_abort_cancels_a_wait_with_aborted_and_the_reason_as_cause() {
    let ctl = AbortController::new().unwrap();
    let opts = WaitOptions {
        signal: Some(ctl.signal()),
        timeout_ms: None,
    };
    let wait = Cancellable::new(pending::<()>(), &opts);
    ctl.abort_with_reason(&"stop".into());
    let e = wait.await.unwrap_err();
    assert_lindy(&e, "ABORTED");
    assert_eq!(prop(&e, "cause"), "stop");
}

#[wasm_bindgen_test]
async fn a_ready_value_wins_over_a_cancellation() {
    let ctl = AbortController::new().unwrap();
    ctl.abort();
    let opts = WaitOptions {
        signal: Some(ctl.signal()),
        timeout_ms: Some(0.0),
    };
    assert_eq!(Cancellable::new(ready(7), &opts).await.unwrap(), 7);
}

#[wasm_bindgen_test]
async fn a_finished_wait_leaves_no_listener_or_timer_behind() {
    let ctl = AbortController::new().unwrap();
    let opts = WaitOptions {
        signal: Some(ctl.signal()),
        timeout_ms: Some(1.0),
    };
    assert_eq!(Cancellable::new(ready(1), &opts).await.unwrap(), 1);
    // The closures are gone: firing the signal or the timer now must not call into freed Rust
    // closures (which would throw in JS).
    ctl.abort();
    sleep(5).await;
}

#[wasm_bindgen_test]
async fn idb_store_open_fails_clearly_where_there_is_no_indexeddb() {
    let p = IdbStore::open("lindy-open-probe".into(), JsValue::UNDEFINED);
    if has_indexeddb() {
        let store = settle(p).await.expect("opens in a browser");
        let close: js_sys::Function = js_sys::Reflect::get(&store, &"close".into())
            .unwrap()
            .into();
        settle(close.call0(&store).unwrap().into()).await.unwrap();
        settle(IdbStore::delete_database("lindy-open-probe".into()))
            .await
            .unwrap();
    } else {
        let e = rejection(p).await;
        assert_lindy(&e, "IO");
        assert!(prop(&e, "message").contains("IndexedDB is not available"));
    }
}

#[wasm_bindgen_test]
async fn idb_store_open_rejects_bad_arguments_before_touching_storage() {
    let reject = |name: JsValue, opts: JsValue| rejection(IdbStore::open(name, opts));
    assert_type_error(&reject(JsValue::from(1), JsValue::UNDEFINED).await);
    assert_type_error(&reject(JsValue::UNDEFINED, JsValue::UNDEFINED).await);
    assert_type_error(&reject("db".into(), JsValue::from(1)).await);
    assert_range_error(&reject("db".into(), obj(&[("durability", "fast".into())])).await);
    assert_type_error(&reject("db".into(), obj(&[("durability", JsValue::from(1))])).await);
    assert_range_error(&reject("db".into(), obj(&[("maxValueBytes", JsValue::from(-1))])).await);
    assert_range_error(&reject("db".into(), obj(&[("maxKeyBytes", JsValue::from(0))])).await);
    assert_type_error(&reject("db".into(), obj(&[("maxKeyBytes", "9".into())])).await);
    assert_type_error(&rejection(IdbStore::delete_database(JsValue::NULL)).await);
}

mod grammar {
    use super::*;
    use lindy_wasm::{Name, Pattern, PatternIndex};

    #[wasm_bindgen_test]
    fn names_parse_and_expose_their_parts() {
        let n = Name::parse("private:chat.dm.u42.typing".into()).unwrap();
        assert_eq!(n.visibility(), "private");
        assert!(n.is_private());
        assert_eq!((n.app(), n.domain()), ("chat".into(), "dm".into()));
        assert_eq!(n.id().as_string().as_deref(), Some("u42"));
        assert_eq!(n.topic().as_string().as_deref(), Some("typing"));
        assert_eq!(n.segments().length(), 4);
        assert_eq!(n.to_js_string(), "private:chat.dm.u42.typing");
        let short = Name::parse("public:chat.rooms".into()).unwrap();
        assert!(short.id().is_undefined() && short.topic().is_undefined());
        assert!(Name::is_valid("public:a.b".into()));
        assert!(!Name::is_valid("public:a".into()));
        assert!(!Name::is_valid(JsValue::from(3)));
    }

    #[wasm_bindgen_test]
    fn bad_names_throw_channel_invalid_with_the_place() {
        let e = Name::parse("public:chat..rooms".into()).err().unwrap();
        assert_lindy(&e, "CHANNEL_INVALID");
        assert_eq!(
            js_sys::Reflect::get(&e, &"segment".into())
                .unwrap()
                .as_f64(),
            Some(1.0)
        );
        assert!(js_sys::Reflect::get(&e, &"offset".into())
            .unwrap()
            .as_f64()
            .is_some());
        assert_lindy(
            &Name::parse("private:a.b".into()).err().unwrap(),
            "CHANNEL_INVALID",
        );
        assert_lindy(&Name::parse("".into()).err().unwrap(), "CHANNEL_INVALID");
        let huge = "a".repeat(100_000);
        assert_lindy(
            &Name::parse(huge.as_str().into()).err().unwrap(),
            "CHANNEL_INVALID",
        );
        assert_type_error(&Name::parse(JsValue::UNDEFINED).err().unwrap());
        assert_type_error(&Name::parse(JsValue::from(1)).err().unwrap());
    }

    #[wasm_bindgen_test]
    fn patterns_match_names_and_strings() {
        let p = Pattern::parse("public:chat.*.lobby".into()).unwrap();
        assert!(!p.is_exact());
        assert_eq!(p.visibility(), "public");
        assert_eq!(p.to_js_string(), "public:chat.*.lobby");
        let n = Name::parse("public:chat.rooms.lobby".into()).unwrap();
        assert!(p.matches(n.into()).unwrap());
        assert!(p.matches("public:chat.x.lobby".into()).unwrap());
        assert!(!p.matches("public:chat.x.hall".into()).unwrap());
        assert!(!p.matches("not a name".into()).unwrap());
        assert_type_error(&p.matches(JsValue::from(1)).unwrap_err());
        assert_type_error(&p.matches(JsValue::UNDEFINED).unwrap_err());
        let e = Pattern::parse("public:chat.**.x".into()).err().unwrap();
        assert_lindy(&e, "PATTERN_INVALID");
        assert_type_error(&Pattern::parse(JsValue::NULL).err().unwrap());
    }

    #[wasm_bindgen_test]
    fn the_index_files_values_under_patterns() {
        let index = PatternIndex::new();
        let all = index
            .insert("public:chat.**".into(), "audit".into())
            .unwrap();
        let lobby_pattern = Pattern::parse("public:chat.*.lobby".into()).unwrap();
        let lobby = index
            .insert(lobby_pattern.into(), "lobby-bot".into())
            .unwrap();
        assert_ne!(all, lobby);
        assert_eq!(index.size(), 2);
        let mut hits: Vec<String> = index
            .matches("public:chat.rooms.lobby".into())
            .unwrap()
            .iter()
            .filter_map(|v| v.as_string())
            .collect();
        hits.sort();
        assert_eq!(hits, ["audit", "lobby-bot"]);
        assert!(index.has_match("public:chat.a".into()).unwrap());
        assert!(!index.has_match("public:news.a".into()).unwrap());
        assert_eq!(index.matches("garbage".into()).unwrap().length(), 0);
        assert_eq!(
            index
                .get(JsValue::from(lobby))
                .unwrap()
                .as_string()
                .as_deref(),
            Some("lobby-bot")
        );
        assert_eq!(
            index
                .remove(JsValue::from(all))
                .unwrap()
                .as_string()
                .as_deref(),
            Some("audit")
        );
        assert!(
            index.remove(JsValue::from(all)).unwrap().is_undefined(),
            "removed once"
        );
        for stale in [999.0, -1.0, 0.5, f64::NAN] {
            assert!(index.remove(JsValue::from(stale)).unwrap().is_undefined());
        }
        assert_type_error(&index.remove("1".into()).unwrap_err());
        assert_type_error(&index.get(JsValue::UNDEFINED).unwrap_err());
        assert_lindy(
            &index
                .insert("public:a.**.b".into(), JsValue::NULL)
                .unwrap_err(),
            "PATTERN_INVALID",
        );
        assert_type_error(&index.insert(JsValue::from(2), JsValue::NULL).unwrap_err());
        assert_type_error(&index.matches(JsValue::NULL).unwrap_err());
        assert_eq!(index.size(), 1);
        index.clear();
        assert_eq!(index.size(), 0);
        assert!(index.get(JsValue::from(lobby)).unwrap().is_undefined());
    }

    #[wasm_bindgen_test]
    fn user_code_calling_back_into_the_index_does_not_trap() {
        // An argument whose toString() uses the same index while the call is in progress.
        let index = PatternIndex::new();
        let index_js: JsValue = PatternIndex::new().into();
        let f = js_sys::Function::new_with_args(
            "index",
            "return { toString() { index.insert('public:inner.*', 1); return 'public:outer.*'; } };",
        );
        let tricky = f.call1(&JsValue::UNDEFINED, &index_js).unwrap();
        index.insert(tricky, JsValue::from(2)).unwrap();
        assert_eq!(index.size(), 1);
        let size = js_sys::Reflect::get(&index_js, &"size".into()).unwrap();
        assert_eq!(size.as_f64(), Some(1.0));
        // And with the very object whose method is running.
        let me = js_sys::Function::new_with_args(
            "index",
            "index.insert({ toString() { index.insert('public:a.*', 1); return 'public:b.*'; } }, 2); return index.size;",
        );
        let n = me
            .call1(&JsValue::UNDEFINED, &PatternIndex::new().into())
            .unwrap();
        assert_eq!(n.as_f64(), Some(2.0));
    }

    #[wasm_bindgen_test]
    fn an_argument_whose_to_string_throws_reports_the_users_exception() {
        let thrower = js_sys::Function::new_no_args(
            "return { toString() { throw new RangeError('mine, from toString'); } };",
        )
        .call0(&JsValue::UNDEFINED)
        .unwrap();
        let pattern = Pattern::parse(JsValue::from_str("public:a.*")).unwrap();
        let mut space = lindy_wasm::SpaceCore::new(0.0, 0.0, 0.0, 0.0, "").unwrap();
        for e in [
            pattern.matches(thrower.clone()).unwrap_err(),
            PatternIndex::new()
                .insert(thrower.clone(), JsValue::NULL)
                .unwrap_err(),
            space.take_matching(&thrower).unwrap_err(),
        ] {
            assert_eq!(prop(&e, "message"), "mine, from toString");
            assert_eq!(kind(&e), "RangeError");
        }
    }
}

/// Calls `it.next()` and returns `(value, done)`.
async fn next(it: &lindy_wasm::LindyIterator) -> (JsValue, bool) {
    let r = settle(it.next()).await.unwrap();
    let done = js_sys::Reflect::get(&r, &"done".into())
        .unwrap()
        .as_bool()
        .unwrap();
    (js_sys::Reflect::get(&r, &"value".into()).unwrap(), done)
}

mod manager {
    use super::*;
    use lindy_wasm::Manager;

    #[wasm_bindgen_test]
    async fn channels_open_touch_delete_and_report_events() {
        let m = Manager::new();
        let events = m.events(JsValue::UNDEFINED).unwrap();
        let only_chat = m
            .events(obj(&[("pattern", "public:chat.**".into())]))
            .unwrap();
        let c = m
            .open_public("public:chat.rooms".into(), JsValue::from(60_000))
            .unwrap();
        assert_eq!(prop(&c, "state"), "open");
        assert_eq!(prop(&c, "visibility"), "public");
        let ttl = js_sys::Reflect::get(&c, &"ttlMs".into()).unwrap();
        assert_eq!(ttl.as_f64(), Some(60_000.0));
        m.open_public("public:news.today".into(), JsValue::UNDEFINED)
            .unwrap();
        m.create_private("private:chat.dm.u1".into(), JsValue::from(1_000))
            .unwrap();
        assert_eq!(m.size(), 3);
        assert!(m.is_open("public:chat.rooms".into()).unwrap());
        m.touch("public:chat.rooms".into()).unwrap();
        m.delete("public:news.today".into()).unwrap();
        assert_eq!(m.list().length(), 2);
        assert!(m.next_deadline().as_f64().is_some());

        let (e, done) = next(&events).await;
        assert!(!done);
        assert_eq!(
            (prop(&e, "kind"), prop(&e, "name")),
            ("opened".into(), "public:chat.rooms".into())
        );
        let at = js_sys::Reflect::get(&e, &"at".into())
            .unwrap()
            .as_f64()
            .unwrap();
        assert!(at > 1.6e12, "Date.now() clock: {at}");
        assert_eq!(prop(&next(&events).await.0, "name"), "public:news.today");
        assert_eq!(prop(&next(&events).await.0, "name"), "private:chat.dm.u1");
        assert_eq!(prop(&next(&events).await.0, "kind"), "deleted");
        // The filtered iterator only saw the chat channel.
        assert_eq!(prop(&next(&only_chat).await.0, "name"), "public:chat.rooms");
        // return() ends the iteration.
        settle(only_chat.return_(JsValue::UNDEFINED)).await.unwrap();
        assert!(next(&only_chat).await.1);
    }

    #[wasm_bindgen_test]
    async fn a_waiting_next_is_woken_by_a_transition() {
        let m = Manager::new();
        let events = m.events(JsValue::UNDEFINED).unwrap();
        let pending = events.next();
        sleep(1).await;
        m.open_public("public:a.b".into(), JsValue::UNDEFINED)
            .unwrap();
        let r = settle(pending).await.unwrap();
        let v = js_sys::Reflect::get(&r, &"value".into()).unwrap();
        assert_eq!(prop(&v, "name"), "public:a.b");
        // Only one next() at a time.
        let first = events.next();
        assert_type_error(&rejection(events.next()).await);
        m.delete("public:a.b".into()).unwrap();
        settle(first).await.unwrap();
    }

    #[wasm_bindgen_test]
    fn lifecycle_errors_carry_their_codes() {
        let m = Manager::new();
        m.create_private("private:a.b.c".into(), JsValue::UNDEFINED)
            .unwrap();
        assert_lindy(
            &m.create_private("private:a.b.c".into(), JsValue::UNDEFINED)
                .unwrap_err(),
            "CHANNEL_EXISTS",
        );
        assert_lindy(
            &m.create_private("private:a.b.d".into(), JsValue::from(7_200_000))
                .unwrap_err(),
            "CHANNEL_TTL_EXCEEDS_MAX",
        );
        assert_lindy(
            &m.open_public("private:a.b.e".into(), JsValue::UNDEFINED)
                .unwrap_err(),
            "CHANNEL_INVALID",
        );
        assert_lindy(
            &m.get("public:no.such".into()).unwrap_err(),
            "CHANNEL_NOT_FOUND",
        );
        assert_lindy(
            &m.touch("public:no.such".into()).unwrap_err(),
            "CHANNEL_NOT_FOUND",
        );
        assert_lindy(
            &m.open_public("public:..".into(), JsValue::UNDEFINED)
                .unwrap_err(),
            "CHANNEL_INVALID",
        );
        // A zero TTL expires at the next sweep; a closed public channel refuses touch.
        m.open_public("public:x.y".into(), JsValue::from(0))
            .unwrap();
        assert!(m.sweep() >= 1);
        assert_eq!(
            prop(&m.get("public:x.y".into()).unwrap(), "state"),
            "closed"
        );
        assert_lindy(&m.touch("public:x.y".into()).unwrap_err(), "CHANNEL_CLOSED");
    }

    #[wasm_bindgen_test]
    fn bad_arguments_are_type_and_range_errors() {
        let m = Manager::new();
        assert_type_error(
            &m.open_public(JsValue::from(1), JsValue::UNDEFINED)
                .unwrap_err(),
        );
        assert_type_error(&m.open_public("public:a.b".into(), "10".into()).unwrap_err());
        assert_range_error(
            &m.open_public("public:a.b".into(), JsValue::from(-1))
                .unwrap_err(),
        );
        assert_range_error(
            &m.open_public("public:a.b".into(), JsValue::from(0.5))
                .unwrap_err(),
        );
        assert_type_error(
            &m.set_delta("public:a.b".into(), JsValue::from(1))
                .unwrap_err(),
        );
        assert_type_error(&m.events(JsValue::from(3)).err().unwrap());
        assert_range_error(
            &m.events(obj(&[("capacity", JsValue::from(0))]))
                .err()
                .unwrap(),
        );
        assert_lindy(
            &m.events(obj(&[("pattern", "nope".into())])).err().unwrap(),
            "PATTERN_INVALID",
        );
        assert_type_error(&m.get(JsValue::NULL).unwrap_err());
    }
}

mod streams {
    use super::*;
    use lindy_wasm::Streams;

    #[wasm_bindgen_test]
    async fn messages_flow_from_writers_to_readers_with_boundaries() {
        let hub = Streams::new(JsValue::UNDEFINED).unwrap();
        let reader = hub.reader("stage1".into()).unwrap();
        let writer = hub.writer("stage1".into()).unwrap();
        assert_eq!(writer.path(), "stage1");
        settle(writer.write(bytes("a"), JsValue::UNDEFINED))
            .await
            .unwrap();
        settle(writer.write("bb".into(), JsValue::UNDEFINED))
            .await
            .unwrap();
        assert!(writer.try_write(bytes("ccc")).unwrap());
        writer.close();
        assert!(writer.is_closed());
        assert_eq!(
            text(&settle(reader.recv(JsValue::UNDEFINED)).await.unwrap()),
            "a"
        );
        let it = reader.async_iterator();
        let (v, done) = next(&it).await;
        assert_eq!((text(&v), done), ("bb".into(), false));
        assert_eq!(text(&next(&it).await.0), "ccc");
        assert!(next(&it).await.1, "ends when every writer closed");
        assert_lindy(
            &rejection(writer.write(bytes("late"), JsValue::UNDEFINED)).await,
            "CLOSED",
        );
    }

    #[wasm_bindgen_test]
    async fn a_full_buffer_makes_writers_wait_and_try_write_say_no() {
        let hub = Streams::new(obj(&[("bufferSize", JsValue::from(1))])).unwrap();
        let writer = hub.writer("p".into()).unwrap();
        let reader = hub.reader("p".into()).unwrap();
        assert!(writer.try_write(bytes("1")).unwrap());
        assert!(!writer.try_write(bytes("2")).unwrap(), "full: not written");
        let e = rejection(writer.write(bytes("x"), obj(&[("timeoutMs", JsValue::from(5))]))).await;
        assert_lindy(&e, "TIMEOUT");
        let waiting = writer.write(bytes("3"), JsValue::UNDEFINED);
        assert_eq!(
            text(&settle(reader.recv(JsValue::UNDEFINED)).await.unwrap()),
            "1"
        );
        settle(waiting).await.unwrap();
        assert_eq!(
            text(&reader.try_recv()),
            "3",
            "the timed-out write left nothing behind"
        );
        assert!(reader.try_recv().is_null());
    }

    #[wasm_bindgen_test]
    async fn persistent_paths_replay_for_late_readers() {
        let hub = Streams::new(obj(&[("persistent", JsValue::TRUE)])).unwrap();
        let w = hub.writer("log".into()).unwrap();
        for m in ["1", "2"] {
            settle(w.write(bytes(m), JsValue::UNDEFINED)).await.unwrap();
        }
        let late = hub.reader("log".into()).unwrap();
        assert_eq!(text(&late.try_recv()), "1");
        assert_eq!(text(&late.try_recv()), "2");
        let report = hub.broadcast("lo".into(), bytes("b")).unwrap();
        assert_eq!(
            js_sys::Reflect::get(&report, &"matched".into())
                .unwrap()
                .as_f64(),
            Some(1.0)
        );
        assert_eq!(text(&late.try_recv()), "b");
        assert_eq!(hub.list(JsValue::UNDEFINED).unwrap().length(), 1);
        assert!(hub.exists("log".into()).unwrap());
        assert!(hub.delete("log".into()).unwrap().as_f64().is_some());
        assert!(!hub.exists("log".into()).unwrap());
        hub.close();
        assert!(hub.is_closed());
        assert_lindy(&hub.writer("x".into()).err().unwrap(), "CLOSED");
    }

    #[wasm_bindgen_test]
    async fn an_aborted_recv_consumes_nothing() {
        let hub = Streams::new(JsValue::UNDEFINED).unwrap();
        let reader = hub.reader("p".into()).unwrap();
        let writer = hub.writer("p".into()).unwrap();
        let ctl = AbortController::new().unwrap();
        let waiting = reader.recv(obj(&[("signal", ctl.signal().into())]));
        assert_lindy(&rejection(reader.recv(JsValue::UNDEFINED)).await, "CLOSED");
        ctl.abort();
        assert_lindy(&rejection(waiting).await, "ABORTED");
        assert!(writer.try_write(bytes("kept")).unwrap());
        assert_eq!(
            text(&settle(reader.recv(JsValue::UNDEFINED)).await.unwrap()),
            "kept"
        );
    }

    #[wasm_bindgen_test]
    fn bad_arguments_are_errors() {
        assert_type_error(&Streams::new(JsValue::from(1)).err().unwrap());
        assert_range_error(
            &Streams::new(obj(&[("bufferSize", JsValue::from(0))]))
                .err()
                .unwrap(),
        );
        assert_type_error(
            &Streams::new(obj(&[("persistent", JsValue::from(1))]))
                .err()
                .unwrap(),
        );
        let hub = Streams::new(JsValue::UNDEFINED).unwrap();
        assert_lindy(&hub.writer("".into()).err().unwrap(), "INVALID_PATH");
        assert_type_error(&hub.reader(JsValue::from(2)).err().unwrap());
        let w = hub.writer("p".into()).unwrap();
        assert_type_error(&w.try_write(JsValue::from(5)).unwrap_err());
        assert_type_error(&hub.broadcast("p".into(), JsValue::NULL).unwrap_err());
        assert_lindy(
            &hub.writer("x".repeat(2000).as_str().into()).err().unwrap(),
            "INVALID_PATH",
        );
    }
}

mod ring {
    use super::*;
    use lindy_wasm::Ring;

    fn n(v: f64) -> JsValue {
        JsValue::from_f64(v)
    }

    #[wasm_bindgen_test]
    async fn a_ring_is_a_bounded_fifo() {
        let ring = Ring::new(n(2.0)).unwrap();
        assert_eq!(ring.capacity(), 2);
        assert!(ring.try_push(n(1.0)).unwrap());
        assert!(ring.try_push(n(2.0)).unwrap());
        assert!(
            !ring.try_push(n(3.0)).unwrap(),
            "full: refused, nothing pushed"
        );
        assert_eq!(ring.length(), 2);
        assert_eq!(ring.try_pop().as_f64(), Some(1.0));
        assert_eq!(
            settle(ring.pop(JsValue::UNDEFINED)).await.unwrap().as_f64(),
            Some(2.0)
        );
        assert!(ring.try_pop().is_undefined());
    }

    #[wasm_bindgen_test]
    async fn push_waits_for_room_and_pop_for_a_value() {
        let ring = Ring::new(n(1.0)).unwrap();
        let pop = ring.pop(JsValue::UNDEFINED);
        sleep(1).await;
        settle(ring.push(n(1.0), JsValue::UNDEFINED)).await.unwrap();
        assert_eq!(settle(pop).await.unwrap().as_f64(), Some(1.0));
        settle(ring.push(n(2.0), JsValue::UNDEFINED)).await.unwrap();
        let waiting = ring.push(n(3.0), JsValue::UNDEFINED);
        let timed = ring.push(n(4.0), obj(&[("timeoutMs", n(5.0))]));
        assert_lindy(&rejection(timed).await, "TIMEOUT");
        assert_eq!(ring.try_pop().as_f64(), Some(2.0));
        settle(waiting).await.unwrap();
        assert_eq!(
            ring.try_pop().as_f64(),
            Some(3.0),
            "the timed-out push left nothing"
        );
        assert!(ring.try_pop().is_undefined());
    }

    #[wasm_bindgen_test]
    async fn close_drains_then_ends_and_refuses_pushes() {
        let ring = Ring::new(n(4.0)).unwrap();
        ring.try_push(n(1.0)).unwrap();
        let ctl = AbortController::new().unwrap();
        assert!(ring.close());
        assert!(!ring.close());
        assert!(ring.is_closed());
        assert_lindy(&ring.try_push(n(2.0)).unwrap_err(), "CLOSED");
        assert_lindy(
            &rejection(ring.push(n(2.0), JsValue::UNDEFINED)).await,
            "CLOSED",
        );
        let it = ring.async_iterator();
        assert_eq!(next(&it).await.0.as_f64(), Some(1.0));
        assert!(next(&it).await.1, "drained and closed: the iteration ends");
        assert!(settle(ring.pop(JsValue::UNDEFINED))
            .await
            .unwrap()
            .is_undefined());
        ctl.abort();
        let e = rejection(ring.pop(obj(&[("signal", ctl.signal().into())]))).await;
        assert_lindy(&e, "ABORTED");
    }

    #[wasm_bindgen_test]
    fn bad_input_is_an_error_never_a_trap() {
        for bad in [n(0.0), n(-1.0), n(1.5), n(f64::NAN), n(1e12)] {
            assert_range_error(&Ring::new(bad).err().unwrap());
        }
        assert_type_error(&Ring::new("8".into()).err().unwrap());
        assert_type_error(&Ring::new(JsValue::UNDEFINED).err().unwrap());
        let ring = Ring::new(n(1.0)).unwrap();
        assert_type_error(&ring.try_push(JsValue::UNDEFINED).unwrap_err());
    }
}
