//! `Name`, `Pattern` and `PatternIndex` for JS: the channel grammar of [`lindy::grammar`].
//!
//! Parse errors are lindy errors with `.code` `CHANNEL_INVALID` / `PATTERN_INVALID` and, when the
//! grammar can point at the place, `.segment` (0 = the app) and `.offset` (bytes into the input).
//! Methods that take a name or a pattern accept the class or its string form.

use alloc::format;
use alloc::string::String;
#[cfg(feature = "manager")]
use alloc::vec::Vec;
#[cfg(feature = "manager")]
use core::cell::RefCell;

use js_sys::Array;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::codes;
use super::js;
use lindy::error::ErrorCode;
#[cfg(feature = "manager")]
use lindy::grammar::SubscriptionId;
use lindy::grammar::{self as g, GrammarError};

/// A `GrammarError` as a JS lindy error, with `.segment` and `.offset` when known; the message
/// starts with `what` (the call and the argument).
pub fn grammar_error(what: &str, err: &GrammarError) -> JsValue {
    let e = js::lindy_error(ErrorCode::code(err), &format!("{what}: {err}"));
    if let Some(s) = err.segment() {
        js::set(&e, "segment", &JsValue::from(s as u32));
    }
    if let Some(o) = err.offset() {
        js::set(&e, "offset", &JsValue::from(o as u32));
    }
    e
}

/// The text of a name/pattern argument: a string, or an object with a `toString()` (this
/// module's objects: the canonical form); a throwing `toString` passes its exception on. Anything
/// else is a `TypeError` naming `class` (`"Name"` or `"Pattern"`: passed, not guessed from
/// `what`, because a substring search links 1.5 KB of `str` searching into the wasm).
/// A string longer than any name or pattern ([`g::MAX_NAME_LEN`] bytes) is `None`, without
/// being copied into wasm memory.
fn text_arg(value: &JsValue, what: &str, class: &str) -> Result<Option<String>, JsValue> {
    if js::too_long(value, g::MAX_NAME_LEN).is_some() {
        return Ok(None);
    }
    if let Some(s) = value.as_string() {
        return Ok(Some(s));
    }
    if value.is_object()
        && !value.is_function()
        && js::field(wasm_bindgen::JsCast::unchecked_ref(value), "toString")?.is_function()
    {
        // What `toString()` returns is measured before it is copied in, like a string argument.
        let text = js::to_js_string(value)?;
        if js::too_long(&text, g::MAX_NAME_LEN).is_some() {
            return Ok(None);
        }
        return Ok(text.as_string());
    }
    Err(js::type_error(&format!(
        "{what} must be a string or a {class}, got {}",
        js::describe(value)
    )))
}

/// The error for a name or pattern string longer than any can be, measured in UTF-16 units
/// before it was copied in (`code`: `CHANNEL_INVALID` or `PATTERN_INVALID`).
fn too_long_error(value: &JsValue, what: &str, code: &'static str) -> JsValue {
    let units = js::too_long(value, 0).unwrap_or(0);
    js::lindy_error(
        code,
        &format!(
            "{what} is at least {units} bytes long, the maximum is {}",
            g::MAX_NAME_LEN
        ),
    )
}

/// Parses a name argument (`Name` or string).
pub fn name_arg(value: &JsValue, what: &str) -> Result<g::Name, JsValue> {
    match text_arg(value, what, "Name")? {
        Some(s) => g::Name::parse(&s).map_err(|e| grammar_error(what, &e)),
        None => Err(too_long_error(value, what, codes::CHANNEL_INVALID)),
    }
}

/// Parses a pattern argument (`Pattern` or string).
pub fn pattern_arg(value: &JsValue, what: &str) -> Result<g::Pattern, JsValue> {
    match text_arg(value, what, "Pattern")? {
        Some(s) => g::Pattern::parse(&s).map_err(|e| grammar_error(what, &e)),
        None => Err(too_long_error(value, what, codes::PATTERN_INVALID)),
    }
}

#[cfg(feature = "space")]
fn opt_str(s: Option<&str>) -> JsValue {
    s.map_or(JsValue::UNDEFINED, JsValue::from_str)
}

#[cfg(feature = "space")]
/// A validated channel name: `<public|private>:<app>.<domain>[.<id>][.<topic>]`.
#[wasm_bindgen]
pub struct Name(g::Name);

#[cfg(feature = "space")]
#[wasm_bindgen]
impl Name {
    /// Parses a channel name; throws a `CHANNEL_INVALID` lindy error saying what is wrong and
    /// where (`.segment`, `.offset`), or a `TypeError` for a non-string.
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "string")] s: JsValue,
    ) -> Result<Name, JsValue> {
        if js::too_long(&s, g::MAX_NAME_LEN).is_some() {
            return Err(too_long_error(
                &s,
                "Name.parse: name",
                codes::CHANNEL_INVALID,
            ));
        }
        let s = js::string(&s, "Name.parse: name")?;
        g::Name::parse(&s)
            .map(Name)
            .map_err(|e| grammar_error("Name.parse: name", &e))
    }

    /// Whether `s` is a valid channel name (never throws).
    #[wasm_bindgen(js_name = isValid)]
    pub fn is_valid(#[wasm_bindgen(unchecked_param_type = "unknown")] s: JsValue) -> bool {
        js::too_long(&s, g::MAX_NAME_LEN).is_none()
            && s.as_string().is_some_and(|s| g::NameRef::parse(&s).is_ok())
    }

    /// `"public"` or `"private"`.
    #[wasm_bindgen(getter, unchecked_return_type = "\"public\" | \"private\"")]
    pub fn visibility(&self) -> String {
        String::from(self.0.visibility().as_str())
    }

    /// Whether the name is in the private namespace.
    #[wasm_bindgen(getter, js_name = isPrivate)]
    pub fn is_private(&self) -> bool {
        self.0.is_private()
    }

    /// The first segment.
    #[wasm_bindgen(getter)]
    pub fn app(&self) -> String {
        String::from(self.0.app())
    }

    /// The second segment.
    #[wasm_bindgen(getter)]
    pub fn domain(&self) -> String {
        String::from(self.0.domain())
    }

    /// The third segment, if any.
    #[wasm_bindgen(getter, unchecked_return_type = "string | undefined")]
    pub fn id(&self) -> JsValue {
        opt_str(self.0.id())
    }

    /// The fourth segment, if any.
    #[wasm_bindgen(getter, unchecked_return_type = "string | undefined")]
    pub fn topic(&self) -> JsValue {
        opt_str(self.0.topic())
    }

    /// The segments after the visibility.
    #[wasm_bindgen(getter, unchecked_return_type = "string[]")]
    pub fn segments(&self) -> Array {
        self.0.segments().map(JsValue::from_str).collect()
    }

    /// The canonical string, e.g. `"public:chat.rooms.lobby"`.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        String::from(self.0.as_str())
    }

    /// The canonical string (so `JSON.stringify` writes the name).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.to_js_string()
    }
}

#[cfg(feature = "space")]
impl Name {
    /// The Rust name.
    pub fn inner(&self) -> &g::Name {
        &self.0
    }
}

#[cfg(feature = "space")]
/// A channel pattern: `*` matches one segment, a final `**` one or more.
#[wasm_bindgen]
pub struct Pattern(g::Pattern);

#[cfg(feature = "space")]
#[wasm_bindgen]
impl Pattern {
    /// Parses a pattern; throws a `PATTERN_INVALID` lindy error (with `.segment`, `.offset`) or a
    /// `TypeError` for a non-string.
    pub fn parse(
        #[wasm_bindgen(unchecked_param_type = "string")] s: JsValue,
    ) -> Result<Pattern, JsValue> {
        if js::too_long(&s, g::MAX_NAME_LEN).is_some() {
            return Err(too_long_error(
                &s,
                "Pattern.parse: pattern",
                codes::PATTERN_INVALID,
            ));
        }
        let s = js::string(&s, "Pattern.parse: pattern")?;
        g::Pattern::parse(&s)
            .map(Pattern)
            .map_err(|e| grammar_error("Pattern.parse: pattern", &e))
    }

    /// Whether `name` (a `Name` or a string) matches. A string that is not a valid name matches
    /// nothing; a value that is neither is a `TypeError`.
    pub fn matches(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<bool, JsValue> {
        // Longer than any name: matches nothing.
        let Some(s) = text_arg(&name, "Pattern.matches: name", "Name")? else {
            return Ok(false);
        };
        Ok(self.0.matches_str(&s))
    }

    /// `"public"` or `"private"`: a pattern only matches names of its own visibility.
    #[wasm_bindgen(getter, unchecked_return_type = "\"public\" | \"private\"")]
    pub fn visibility(&self) -> String {
        String::from(self.0.visibility().as_str())
    }

    /// Whether the pattern has no wildcard (it matches exactly one name).
    #[wasm_bindgen(getter, js_name = isExact)]
    pub fn is_exact(&self) -> bool {
        self.0.is_exact()
    }

    /// The pattern as parsed.
    #[wasm_bindgen(js_name = toString)]
    pub fn to_js_string(&self) -> String {
        String::from(self.0.as_str())
    }

    /// The pattern string (so `JSON.stringify` writes it).
    #[wasm_bindgen(js_name = toJSON)]
    pub fn to_json(&self) -> String {
        self.to_js_string()
    }
}

#[cfg(feature = "space")]
impl Pattern {
    /// The Rust pattern.
    pub fn inner(&self) -> &g::Pattern {
        &self.0
    }
}

#[cfg(feature = "manager")]
/// Values filed under patterns, looked up by name: "who is subscribed to this channel?".
///
/// Every method takes `&self` and borrows the index only after its arguments are converted: an
/// argument's `toString()` (user code) that calls back into the same index then works instead of
/// tripping wasm-bindgen's aliasing check, which would trap.
#[wasm_bindgen]
pub struct PatternIndex {
    inner: RefCell<IndexState>,
}

#[cfg(feature = "manager")]
struct IndexState {
    /// Slots into `values`: `PatternIndex<u32>` is the instantiation the Manager's filtered
    /// subscriptions already link, so this class adds little code of its own to the wasm.
    index: g::PatternIndex<u32>,
    /// The JS values by slot; `None` marks a free slot (listed in `free` for reuse).
    values: Vec<Option<JsValue>>,
    free: Vec<u32>,
    /// JS holds ids as numbers; this maps them back to the index's ids. Ids only grow, so
    /// appending keeps it sorted for a binary search (and a Vec costs less wasm than a map).
    ids: Vec<SubscriptionId>,
}

#[cfg(feature = "manager")]
impl Default for PatternIndex {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "manager")]
#[wasm_bindgen]
impl PatternIndex {
    /// An empty index.
    #[wasm_bindgen(constructor)]
    pub fn new() -> PatternIndex {
        PatternIndex {
            inner: RefCell::new(IndexState {
                index: g::PatternIndex::new(),
                values: Vec::new(),
                free: Vec::new(),
                ids: Vec::new(),
            }),
        }
    }

    /// Files `value` under `pattern` (a `Pattern` or a string) and returns the subscription id.
    pub fn insert(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Pattern | string")] pattern: JsValue,
        #[wasm_bindgen(unchecked_param_type = "unknown")] value: JsValue,
    ) -> Result<f64, JsValue> {
        let pattern = pattern_arg(&pattern, "PatternIndex.insert: pattern")?;
        let mut st = self.inner.borrow_mut();
        let slot = match st.free.pop() {
            Some(slot) => {
                st.values[slot as usize] = Some(value);
                slot
            }
            None => {
                st.values.push(Some(value));
                (st.values.len() - 1) as u32
            }
        };
        let id = st.index.insert(&pattern, slot);
        st.ids.push(id);
        Ok(id.as_u64() as f64)
    }

    /// Removes subscription `id` and returns its value (`undefined` if there is none).
    #[wasm_bindgen(unchecked_return_type = "unknown")]
    pub fn remove(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let Some(sub) = self.id_arg(&id, "PatternIndex.remove: id")? else {
            return Ok(JsValue::UNDEFINED);
        };
        let mut st = self.inner.borrow_mut();
        if let Ok(at) = st.ids.binary_search(&sub) {
            st.ids.remove(at);
        }
        let Some(slot) = st.index.remove(sub) else {
            return Ok(JsValue::UNDEFINED);
        };
        st.free.push(slot);
        Ok(st.values[slot as usize]
            .take()
            .unwrap_or(JsValue::UNDEFINED))
    }

    /// The value of subscription `id`, or `undefined`.
    #[wasm_bindgen(unchecked_return_type = "unknown")]
    pub fn get(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] id: JsValue,
    ) -> Result<JsValue, JsValue> {
        let sub = self.id_arg(&id, "PatternIndex.get: id")?;
        let st = self.inner.borrow();
        Ok(sub
            .and_then(|sub| st.index.get(sub))
            .and_then(|&slot| st.values[slot as usize].clone())
            .unwrap_or(JsValue::UNDEFINED))
    }

    /// The values of every subscription whose pattern matches `name` (a `Name` or a string; a
    /// string that is not a valid name matches nothing). Order is unspecified.
    #[wasm_bindgen(unchecked_return_type = "unknown[]")]
    pub fn matches(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<Array, JsValue> {
        let out = Array::new();
        let Some(s) = text_arg(&name, "PatternIndex.matches: name", "Name")? else {
            return Ok(out); // longer than any name: matches nothing
        };
        if let Ok(name) = g::NameRef::parse(&s) {
            // `Array.push` on a fresh array runs no user code, so the borrow is safe.
            let st = self.inner.borrow();
            st.index.for_each_match(name, |_, &slot| {
                if let Some(v) = &st.values[slot as usize] {
                    out.push(v);
                }
            });
        }
        Ok(out)
    }

    /// Whether any subscription matches `name`.
    #[wasm_bindgen(js_name = hasMatch)]
    pub fn has_match(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Name | string")] name: JsValue,
    ) -> Result<bool, JsValue> {
        let Some(s) = text_arg(&name, "PatternIndex.hasMatch: name", "Name")? else {
            return Ok(false); // longer than any name: matches nothing
        };
        Ok(g::NameRef::parse(&s).is_ok_and(|n| self.inner.borrow().index.has_match(n)))
    }

    /// How many subscriptions the index holds.
    #[wasm_bindgen(getter)]
    pub fn size(&self) -> u32 {
        self.inner.borrow().index.len() as u32
    }

    /// Removes every subscription.
    pub fn clear(&self) {
        let mut st = self.inner.borrow_mut();
        st.index.clear();
        st.values.clear();
        st.free.clear();
        st.ids.clear();
    }
}

#[cfg(feature = "manager")]
impl PatternIndex {
    fn id_arg(&self, id: &JsValue, what: &str) -> Result<Option<SubscriptionId>, JsValue> {
        let n = id.as_f64().ok_or_else(|| {
            js::type_error(&format!(
                "{what} must be a number, got {}",
                js::describe(id)
            ))
        })?;
        if !(n >= 0.0 && js::is_whole(n) && n <= 9_007_199_254_740_991.0) {
            return Ok(None);
        }
        let n = n as u64;
        let st = self.inner.borrow();
        Ok(st
            .ids
            .binary_search_by_key(&n, |id| id.as_u64())
            .ok()
            .and_then(|at| st.ids.get(at).copied()))
    }
}
