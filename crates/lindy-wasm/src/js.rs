//! The JS side of every entry point: errors carrying `.code`, and argument validation.
//!
//! Every value that crosses from JS is taken as a [`JsValue`] and checked here, so a wrong type, a
//! missing argument or an out-of-range number becomes a `TypeError`/`RangeError` (with a Node-style
//! `.code`: `ERR_INVALID_ARG_TYPE`, `ERR_OUT_OF_RANGE`) or a lindy error (`name` `"LindyError"`,
//! `.code` from [`crate::codes`]) — never a wasm trap.

use alloc::format;
use alloc::string::String;
use core::cell::RefCell;
use core::fmt::Display;

use js_sys::{Function, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use lindy::error::ErrorCode;

/// The `.code` of a `TypeError` raised for an argument of the wrong type.
pub const ERR_INVALID_ARG_TYPE: &str = "ERR_INVALID_ARG_TYPE";
/// The `.code` of a `RangeError` raised for a number outside its range.
pub const ERR_OUT_OF_RANGE: &str = "ERR_OUT_OF_RANGE";

/// Sets a property (on a fresh object: cannot fail).
pub fn set(target: &JsValue, name: &str, value: &JsValue) {
    // Setting an own property on a fresh error object cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(name), value);
}

/// The package's `LindyError` class, once the npm entries have registered it.
static ERROR_CLASS: OneThread<RefCell<Option<Function>>> = OneThread(RefCell::new(None));

/// A value only the one thread of a wasm instance built without `atomics` touches (this crate
/// builds for nothing else: see the global allocator in `lib.rs`); `thread_local!` needs std.
struct OneThread<T>(T);

// SAFETY: without the `atomics` target feature a wasm instance has exactly one thread, so a
// `static` is never shared between threads.
#[cfg(not(target_feature = "atomics"))]
unsafe impl<T> Sync for OneThread<T> {}

/// Registers the npm package's `LindyError` class (`pkg-js/src/errors.js`, constructed as
/// `new LindyError(code, message)`): from then on every lindy error raised here is a real
/// instance of it, so `err instanceof LindyError` holds in JS. The package's entries call this
/// once, right after instantiating the module; it is not part of the public API.
#[wasm_bindgen(js_name = __setErrorClass)]
pub fn set_error_class(class: Function) {
    *ERROR_CLASS.0.borrow_mut() = Some(class);
}

/// A lindy error: an instance of the registered `LindyError` class (else an `Error` whose `name`
/// is `"LindyError"`) whose `.code` is a stable code.
pub fn lindy_error(code: &'static str, message: &str) -> JsValue {
    let class = ERROR_CLASS.0.borrow().clone();
    if let Some(class) = class {
        let args = js_sys::Array::of2(&JsValue::from_str(code), &JsValue::from_str(message));
        if let Ok(err) = Reflect::construct(&class, &args) {
            return err;
        }
    }
    let err = js_sys::Error::new(message);
    err.set_name("LindyError");
    set(&err, "code", &JsValue::from_str(code));
    err.into()
}

/// A lindy error with a `.cause` (the underlying DOM or JS error).
pub fn lindy_error_caused(code: &'static str, message: &str, cause: &JsValue) -> JsValue {
    let err = lindy_error(code, message);
    set(&err, "cause", cause);
    err
}

/// Converts any lindy error (anything with a stable code) into a JS error.
pub fn from_code<E: ErrorCode + Display>(err: &E) -> JsValue {
    lindy_error(err.code(), &format!("{err}"))
}

/// [`from_code`] with the message led by `what` (the call: `"Manager.get"`), so a user reading
/// it knows which call failed.
pub fn from_code_in<E: ErrorCode + Display>(what: &str, err: &E) -> JsValue {
    lindy_error(err.code(), &format!("{what}: {err}"))
}

/// A `TypeError` with `.code = "ERR_INVALID_ARG_TYPE"`.
pub fn type_error(message: &str) -> JsValue {
    let err = js_sys::TypeError::new(message);
    set(&err, "code", &JsValue::from_str(ERR_INVALID_ARG_TYPE));
    err.into()
}

/// A `RangeError` with `.code = "ERR_OUT_OF_RANGE"`.
pub fn range_error(message: &str) -> JsValue {
    let err = js_sys::RangeError::new(message);
    set(&err, "code", &JsValue::from_str(ERR_OUT_OF_RANGE));
    err.into()
}

/// Whether `n` is a whole number within ±2⁶³ (every range this crate checks lies well inside):
/// `f64::trunc` needs std (`libm`); the saturating casts give the same answer in that range, and
/// `false` for NaN and the infinities.
pub fn is_whole(n: f64) -> bool {
    n as i64 as f64 == n
}

/// A short description of a JS value's type for error messages (`typeof`, with `null` and arrays
/// told apart).
pub fn describe(value: &JsValue) -> String {
    if value.is_null() {
        return String::from("null");
    }
    if value.is_array() {
        return String::from("an array");
    }
    match value.js_typeof().as_string() {
        Some(t) => t,
        None => String::from("an unknown type"),
    }
}

/// The UTF-16 length of `value` if it is a string of more than `max_bytes` units. Such a string
/// has more than `max_bytes` UTF-8 bytes (every unit is at least one byte), so a bounded argument
/// (a key, a path, a channel name) is refused from this length alone, before wasm-bindgen's
/// conversion copies the whole string into wasm memory: a 100 MB key never grows the memory.
pub fn too_long(value: &JsValue, max_bytes: usize) -> Option<usize> {
    value
        .dyn_ref::<js_sys::JsString>()
        .map(|s| s.length() as usize)
        .filter(|&units| units > max_bytes)
}

/// `value` as a string, or a `TypeError` naming the argument.
pub fn string(value: &JsValue, what: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| type_error(&format!("{what} must be a string, got {}", describe(value))))
}

/// Checks a key: a well-formed string of 1..=`max_bytes` UTF-8 bytes. A wrong type is a
/// `TypeError`; an empty, over-long or ill-formed (lone surrogate) key is `KEY_INVALID`.
pub fn key(value: &JsValue, what: &str, max_bytes: usize) -> Result<String, JsValue> {
    let key = string(value, what)?;
    check_key(key, value, what, max_bytes, false)
}

/// [`key`] for stores whose keys may be empty (the space: any string is a key).
pub fn key_or_empty(value: &JsValue, what: &str, max_bytes: usize) -> Result<String, JsValue> {
    let key = string(value, what)?;
    check_key(key, value, what, max_bytes, true)
}

fn check_key(
    key: String,
    value: &JsValue,
    what: &str,
    max_bytes: usize,
    empty_ok: bool,
) -> Result<String, JsValue> {
    if key.is_empty() && !empty_ok {
        return Err(lindy_error(
            crate::codes::KEY_INVALID,
            &format!("{what} is empty"),
        ));
    }
    if key.len() > max_bytes {
        return Err(lindy_error(
            crate::codes::KEY_INVALID,
            &format!(
                "{what} is {} bytes long, above the maximum of {max_bytes}",
                key.len()
            ),
        ));
    }
    well_formed(&key, value, what)?;
    Ok(key)
}

/// `KEY_INVALID` if the JS string `value` (converted to `key`) held a lone surrogate: it turns
/// into U+FFFD on the way in, which would alias two different JS keys. Only pays for the exact
/// check when a replacement character is present at all.
pub fn well_formed(key: &str, value: &JsValue, what: &str) -> Result<(), JsValue> {
    if key.contains('\u{FFFD}') && !is_well_formed(value) {
        return Err(lindy_error(
            crate::codes::KEY_INVALID,
            &format!("{what} contains a lone surrogate (not well-formed UTF-16)"),
        ));
    }
    Ok(())
}

fn is_well_formed(value: &JsValue) -> bool {
    value
        .dyn_ref::<js_sys::JsString>()
        .is_some_and(|s| s.is_valid_utf16())
}

/// A copy of `bytes` in wasm memory, allocated fallibly: when wasm memory cannot grow by that
/// much, an `OUT_OF_MEMORY` lindy error (nothing was stored) instead of the trap an infallible
/// allocation would be, which would kill the whole instance.
pub fn copy_in(bytes: &Uint8Array, what: &str) -> Result<alloc::vec::Vec<u8>, JsValue> {
    let len = bytes.length() as usize;
    let mut v = alloc::vec::Vec::new();
    if v.try_reserve_exact(len).is_err() {
        return Err(out_of_memory(what, len));
    }
    v.resize(len, 0);
    bytes.copy_to(&mut v);
    Ok(v)
}

/// The `OUT_OF_MEMORY` error: wasm memory could not grow by `bytes` for `what`.
pub fn out_of_memory(what: &str, bytes: usize) -> JsValue {
    lindy_error(
        crate::codes::OUT_OF_MEMORY,
        &format!("{what}: wasm memory cannot grow by {bytes} bytes; nothing was stored"),
    )
}

/// `value` as a `Uint8Array`, or a `TypeError`.
pub fn bytes(value: &JsValue, what: &str) -> Result<Uint8Array, JsValue> {
    value.dyn_ref::<Uint8Array>().cloned().ok_or_else(|| {
        type_error(&format!(
            "{what} must be a Uint8Array, got {}",
            describe(value)
        ))
    })
}

/// The options object of a call: `undefined` or `null` mean "no options"; anything else that is
/// not an object is a `TypeError`.
pub fn options(value: &JsValue, what: &str) -> Result<Option<Object>, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    if !value.is_object() || value.is_function() {
        return Err(type_error(&format!(
            "{what} must be an object, got {}",
            describe(value)
        )));
    }
    Ok(Some(value.clone().unchecked_into()))
}

/// `INVALID_CONFIG` when the options object `obj` has an own property that is not one of
/// `known`: a misspelt option (`timeout` for `timeoutMs`) must fail, not be silently ignored.
pub fn known_options(obj: &Object, what: &str, known: &[&str]) -> Result<(), JsValue> {
    for name in object_keys(obj)?.iter() {
        let name = name.as_string().unwrap_or_default();
        if !known.contains(&name.as_str()) {
            // Written out rather than `known.join(", ")`, which links 1.2 KB of generic joining.
            let mut message = format!("{what} has an unknown option \"{name}\" (known: ");
            for (i, option) in known.iter().enumerate() {
                if i > 0 {
                    message.push_str(", ");
                }
                message.push_str(option);
            }
            message.push(')');
            return Err(lindy_error(crate::codes::INVALID_CONFIG, &message));
        }
    }
    Ok(())
}

/// A property of an options object (`undefined` when missing; a throwing getter's error is passed
/// on as is).
pub fn field(options: &Object, name: &str) -> Result<JsValue, JsValue> {
    Reflect::get(options, &JsValue::from_str(name))
}

/// An optional integer option in `min..=max`: `undefined` gives `None`; a non-number is a
/// `TypeError`; a non-integer or out-of-range number a `RangeError`.
pub fn opt_integer(
    value: &JsValue,
    what: &str,
    min: f64,
    max: f64,
) -> Result<Option<f64>, JsValue> {
    if value.is_undefined() {
        return Ok(None);
    }
    integer(value, what, min, max).map(Some)
}

/// An integer in `min..=max` (see [`opt_integer`]).
pub fn integer(value: &JsValue, what: &str, min: f64, max: f64) -> Result<f64, JsValue> {
    let n = value
        .as_f64()
        .ok_or_else(|| type_error(&format!("{what} must be a number, got {}", describe(value))))?;
    if !(n >= min && n <= max && is_whole(n)) {
        return Err(range_error(&format!(
            "{what} must be an integer in {}..={}, got {}",
            min as i64,
            max as i64,
            number_string(value)
        )));
    }
    Ok(n)
}

/// An optional non-negative duration in milliseconds (`0..=2^31-1`, the range `setTimeout`
/// honours; fractions are allowed). `Infinity` means no limit, like `undefined`.
pub fn opt_millis(value: &JsValue, what: &str) -> Result<Option<f64>, JsValue> {
    if value.is_undefined() {
        return Ok(None);
    }
    let n = value
        .as_f64()
        .ok_or_else(|| type_error(&format!("{what} must be a number, got {}", describe(value))))?;
    if n == f64::INFINITY {
        return Ok(None);
    }
    if !(0.0..=2_147_483_647.0).contains(&n) {
        return Err(range_error(&format!(
            "{what} must be between 0 and 2147483647 ms (or Infinity), got {}",
            number_string(value)
        )));
    }
    Ok(Some(n))
}

/// A number as JS prints it (`String(n)`): keeps float formatting out of the wasm binary.
pub fn number_string(value: &JsValue) -> String {
    js_string(value).unwrap_or_default()
}

/// `String(value)`: calls an object's `toString()`. A throwing `toString` is caught (a JS
/// exception must never unwind through Rust frames that hold state) and its exception returned,
/// for the caller to reject with: the user sees their own error, not a confusing "it is empty".
pub fn to_string(value: &JsValue) -> Result<String, JsValue> {
    js_string(value)
}

/// `String(value)` as a JS string, not yet copied into wasm memory (so its length can be checked
/// first, [`too_long`]); a throwing `toString` passes its exception on.
pub fn to_js_string(value: &JsValue) -> Result<JsValue, JsValue> {
    js_string_value(value)
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Object.keys(o)`; a throwing proxy's error is passed on, never unwound through Rust.
    #[wasm_bindgen(catch, js_namespace = Object, js_name = keys)]
    fn object_keys(o: &Object) -> Result<js_sys::Array, JsValue>;
    /// The global `String(value)` conversion.
    #[wasm_bindgen(catch, js_name = String)]
    fn js_string(value: &JsValue) -> Result<String, JsValue>;
    /// The same conversion, its result left in JS.
    #[wasm_bindgen(catch, js_name = String)]
    fn js_string_value(value: &JsValue) -> Result<JsValue, JsValue>;
}

/// Runs a future as a JS `Promise`. Boxing first means one instantiation of the promise glue
/// for every future type in the package, which keeps the wasm small.
pub fn spawn_promise(
    future: impl core::future::Future<Output = Result<JsValue, JsValue>> + 'static,
) -> js_sys::Promise {
    let boxed: core::pin::Pin<
        alloc::boxed::Box<dyn core::future::Future<Output = Result<JsValue, JsValue>>>,
    > = alloc::boxed::Box::pin(future);
    wasm_bindgen_futures::future_to_promise(boxed)
}

/// Calls a promise's `resolve`/`reject` function. Settling a promise never runs user code
/// synchronously (reactions are queued as microtasks), so this is safe under any borrow.
pub fn settle(f: &Function, value: &JsValue) {
    let _ = f.call1(&JsValue::UNDEFINED, value);
}

/// The size of the package's wasm memory in bytes (it only ever grows): lets the JS tests check
/// that dropped objects are really freed. Not API.
#[wasm_bindgen::prelude::wasm_bindgen(js_name = __memoryBytes, skip_typescript)]
pub fn memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .dyn_into::<js_sys::ArrayBuffer>()
                .map_or(0.0, |b| f64::from(b.byte_length()))
        })
        .unwrap_or(0.0)
}
