//! Helpers shared by the wasm-bindgen tests (`tests/wasm.rs`, `tests/wasm_idb.rs`).
#![allow(dead_code)]

use js_sys::{Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Awaits a JS promise.
pub async fn settle(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

/// Awaits a promise that must reject, returning the rejection.
pub async fn rejection(p: Promise) -> JsValue {
    match settle(p).await {
        Ok(v) => panic!("expected a rejection, got {v:?}"),
        Err(e) => e,
    }
}

/// A property of a JS object as a string ("" when missing).
pub fn prop(v: &JsValue, name: &str) -> String {
    Reflect::get(v, &JsValue::from_str(name))
        .ok()
        .and_then(|p| p.as_string())
        .unwrap_or_default()
}

/// An error's `.code`.
pub fn code(e: &JsValue) -> String {
    prop(e, "code")
}

/// An error's constructor name (`TypeError`, `RangeError`, ...) and `.name`.
pub fn kind(e: &JsValue) -> String {
    prop(e, "name")
}

/// Asserts `e` is a lindy error with `code`.
#[track_caller]
pub fn assert_lindy(e: &JsValue, expected: &str) {
    assert!(e.is_instance_of::<js_sys::Error>(), "not an Error: {e:?}");
    assert_eq!(kind(e), "LindyError", "{e:?}");
    assert_eq!(code(e), expected, "{e:?}");
}

/// Asserts `e` is a `TypeError` with `.code = ERR_INVALID_ARG_TYPE`.
#[track_caller]
pub fn assert_type_error(e: &JsValue) {
    assert!(
        e.is_instance_of::<js_sys::TypeError>(),
        "not a TypeError: {e:?}"
    );
    assert_eq!(code(e), "ERR_INVALID_ARG_TYPE");
}

/// Asserts `e` is a `RangeError` with `.code = ERR_OUT_OF_RANGE`.
#[track_caller]
pub fn assert_range_error(e: &JsValue) {
    assert!(
        e.is_instance_of::<js_sys::RangeError>(),
        "not a RangeError: {e:?}"
    );
    assert_eq!(code(e), "ERR_OUT_OF_RANGE");
}

/// A `Uint8Array` holding `s`'s bytes.
pub fn bytes(s: &str) -> JsValue {
    Uint8Array::from(s.as_bytes()).into()
}

/// The bytes of a `Uint8Array` as a string.
pub fn text(v: &JsValue) -> String {
    let arr: &Uint8Array = v.dyn_ref().expect("a Uint8Array");
    String::from_utf8(arr.to_vec()).expect("utf-8")
}

/// `{ name: value, ... }`.
pub fn obj(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

/// Resolves after `ms` milliseconds (a macrotask: lets IndexedDB events and timers run).
pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        let set_timeout: js_sys::Function = Reflect::get(&global, &"setTimeout".into())
            .unwrap()
            .unchecked_into();
        set_timeout
            .call2(&JsValue::UNDEFINED, &resolve, &JsValue::from(ms))
            .unwrap();
    });
    settle(p).await.unwrap();
}

/// Whether this JS environment has IndexedDB (browsers and workers do, Node does not).
pub fn has_indexeddb() -> bool {
    Reflect::get(&js_sys::global(), &"indexedDB".into())
        .map(|v| !v.is_undefined())
        .unwrap_or(false)
}
