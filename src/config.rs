//! String-map configuration shared by the option parsers of [`batch`](crate::batch) and
//! [`stream`](crate::stream) (and anything else that takes the seeds' `map[string]string`
//! options): the entry trait, the error, and the value parsers. It sits below both modules so
//! neither reaches into the other.

use alloc::borrow::ToOwned;
use alloc::string::String;
use core::fmt;

use crate::error::{codes, ErrorCode};

/// One `key = value` entry for the option parsers
/// ([`BatchOptions::from_pairs`](crate::batch::BatchOptions::from_pairs),
/// [`StreamOptions::from_pairs`](crate::stream::StreamOptions::from_pairs)): a pair `(K, V)` or a
/// reference to one, with `K, V: AsRef<str>` — so slices of pairs and maps both work.
///
/// ```
/// use std::collections::HashMap;
/// use lindy::batch::BatchOptions;
///
/// let map = HashMap::from([("max_rows".to_string(), "10".to_string())]);
/// assert_eq!(BatchOptions::from_pairs(&map)?.rows_limit(), 10);
/// assert_eq!(BatchOptions::from_pairs([("max_rows", "10")])?.rows_limit(), 10);
/// # Ok::<(), lindy::config::ConfigError>(())
/// ```
pub trait ConfigEntry {
    /// The key.
    ///
    /// ```
    /// use lindy::config::ConfigEntry;
    /// assert_eq!(("buffer_size", "10").key(), "buffer_size");
    /// ```
    fn key(&self) -> &str;
    /// The value.
    ///
    /// ```
    /// use lindy::config::ConfigEntry;
    /// assert_eq!(("buffer_size", "10").value(), "10");
    /// ```
    fn value(&self) -> &str;
}

impl<K: AsRef<str>, V: AsRef<str>> ConfigEntry for (K, V) {
    fn key(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

impl<K: AsRef<str>, V: AsRef<str>> ConfigEntry for &(K, V) {
    fn key(&self) -> &str {
        self.0.as_ref()
    }
    fn value(&self) -> &str {
        self.1.as_ref()
    }
}

/// A configuration value that could not be used (`INVALID_CONFIG`).
///
/// ```
/// use lindy::stream::StreamOptions;
///
/// let err = StreamOptions::from_pairs([("buffer_size", "0")]).unwrap_err();
/// assert_eq!((err.scope, err.key.as_str(), err.value.as_str()), ("stream", "buffer_size", "0"));
/// assert_eq!(err.code(), "INVALID_CONFIG");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Whose option it is: `"batch"` or `"stream"`.
    pub scope: &'static str,
    /// The offending key.
    pub key: String,
    /// The value given for it.
    pub value: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl ConfigError {
    /// An error for `key = value` in `scope` (`"batch"`, `"stream"`, ...), saying `reason`.
    ///
    /// ```
    /// let err = lindy::config::ConfigError::new("app", "port", "x", "expected a number");
    /// assert_eq!(err.to_string(), "invalid app option `port` = \"x\": expected a number");
    /// ```
    pub fn new(scope: &'static str, key: &str, value: &str, reason: &'static str) -> Self {
        ConfigError {
            scope,
            key: key.to_owned(),
            value: value.to_owned(),
            reason,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} option `{}` = {:?}: {}",
            self.scope, self.key, self.value, self.reason
        )
    }
}

impl ConfigError {
    /// The stable code of this error (see [`crate::error`]); an inherent method, so it
    /// needs no trait import.
    ///
    /// ```
    /// let err = lindy::batch::BatchOptions::from_pairs([("max_rows", "many")]).unwrap_err();
    /// assert_eq!(err.code(), "INVALID_CONFIG");
    /// ```
    pub fn code(&self) -> &'static str {
        codes::INVALID_CONFIG
    }
}

impl ErrorCode for ConfigError {
    fn code(&self) -> &'static str {
        ConfigError::code(self)
    }
}

impl core::error::Error for ConfigError {}

/// Parses a boolean as Go's `strconv.ParseBool` does (`1`, `t`, `T`, `true`, `TRUE`, `True`,
/// and their false twins), after trimming whitespace; `None` for anything else.
///
/// ```
/// use lindy::config::parse_bool;
/// assert_eq!(parse_bool(" True "), Some(true));
/// assert_eq!(parse_bool("0"), Some(false));
/// assert_eq!(parse_bool("yes"), None);
/// ```
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim() {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}
