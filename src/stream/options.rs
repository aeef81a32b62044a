//! Hub options, built in code or parsed from the seed's string map.

use super::{ConfigEntry, ConfigError};

/// Options of a [`Streams`](super::Streams) hub, applied to every path it creates.
///
/// ```
/// use lindy::stream::StreamOptions;
///
/// let opts = StreamOptions::from_pairs([("buffer_size", "100"), ("persistent", "true")]).unwrap();
/// assert_eq!(opts, StreamOptions::new().buffer_size(100).persistent(true));
///
/// let err = StreamOptions::from_pairs([("buffer_size", "0")]).unwrap_err();
/// assert_eq!(lindy::ErrorCode::code(&err), "INVALID_CONFIG");
/// assert!(err.to_string().contains("buffer_size"));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StreamOptions {
    buffer_size: usize,
    persistent: bool,
    replay_bytes: usize,
}

impl Default for StreamOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamOptions {
    /// Default messages buffered per path.
    ///
    /// ```
    /// use lindy::stream::StreamOptions;
    /// assert_eq!(StreamOptions::new().buffer_len(), StreamOptions::DEFAULT_BUFFER_SIZE);
    /// ```
    pub const DEFAULT_BUFFER_SIZE: usize = 100;
    /// Default replay history per path in persistent mode (1 MiB).
    ///
    /// ```
    /// use lindy::stream::StreamOptions;
    /// assert_eq!(StreamOptions::new().replay_cap(), StreamOptions::DEFAULT_REPLAY_BYTES);
    /// ```
    pub const DEFAULT_REPLAY_BYTES: usize = 1 << 20;

    /// The defaults: 100 messages, not persistent, 1 MiB of replay history.
    ///
    /// ```
    /// const OPTS: lindy::stream::StreamOptions = lindy::stream::StreamOptions::new().persistent(true);
    /// assert!(OPTS.is_persistent());
    /// ```
    pub const fn new() -> Self {
        StreamOptions {
            buffer_size: Self::DEFAULT_BUFFER_SIZE,
            persistent: false,
            replay_bytes: Self::DEFAULT_REPLAY_BYTES,
        }
    }

    /// Messages a path buffers before writers wait (at least 1; 0 is raised to 1 here and
    /// rejected by [`from_pairs`](StreamOptions::from_pairs)). In persistent mode: how far
    /// the slowest reader may fall behind the live stream.
    ///
    /// ```
    /// use lindy::stream::StreamOptions;
    /// assert_eq!(StreamOptions::new().buffer_size(10).buffer_len(), 10);
    /// assert_eq!(StreamOptions::new().buffer_size(0).buffer_len(), 1);
    /// ```
    pub const fn buffer_size(mut self, messages: usize) -> Self {
        self.buffer_size = if messages == 0 { 1 } else { messages };
        self
    }

    /// Persistent mode: every reader sees every message, and a reader that joins late first
    /// replays the retained history (see the [module docs](super)).
    ///
    /// ```
    /// assert!(lindy::stream::StreamOptions::new().persistent(true).is_persistent());
    /// ```
    pub const fn persistent(mut self, on: bool) -> Self {
        self.persistent = on;
        self
    }

    /// Bytes of history a persistent path keeps for late readers; older messages are dropped
    /// first (0 keeps no history).
    ///
    /// ```
    /// assert_eq!(lindy::stream::StreamOptions::new().replay_bytes(4096).replay_cap(), 4096);
    /// ```
    pub const fn replay_bytes(mut self, bytes: usize) -> Self {
        self.replay_bytes = bytes;
        self
    }

    /// Messages buffered per path.
    ///
    /// ```
    /// assert_eq!(lindy::stream::StreamOptions::new().buffer_len(), 100);
    /// ```
    pub const fn buffer_len(&self) -> usize {
        self.buffer_size
    }

    /// Whether paths are persistent.
    ///
    /// ```
    /// assert!(!lindy::stream::StreamOptions::new().is_persistent());
    /// ```
    pub const fn is_persistent(&self) -> bool {
        self.persistent
    }

    /// The replay history cap in bytes.
    ///
    /// ```
    /// assert_eq!(lindy::stream::StreamOptions::new().replay_cap(), 1 << 20);
    /// ```
    pub const fn replay_cap(&self) -> usize {
        self.replay_bytes
    }

    /// Parses options from string pairs, starting from the defaults — the seed's registry map
    /// (`{"buffer_size": "100", "persistent": "true"}`), plus `replay_bytes`.
    ///
    /// `persistent` takes what Go's `strconv.ParseBool` takes (`true`/`false`, `1`/`0`,
    /// `t`/`f`, any case); numbers are unsigned decimal integers.
    ///
    /// # Errors
    /// [`ConfigError`] (`INVALID_CONFIG`) for an unknown key, a key given twice, an unparsable
    /// value, or `buffer_size = 0`. The seed ignored all of these; lindy does not.
    ///
    /// ```
    /// use lindy::stream::StreamOptions;
    /// let opts = StreamOptions::from_pairs([("persistent", "T"), ("replay_bytes", "512")])?;
    /// assert_eq!(opts, StreamOptions::new().persistent(true).replay_bytes(512));
    /// assert!(StreamOptions::from_pairs([("colour", "blue")]).is_err()); // unknown keys are errors
    /// # Ok::<(), lindy::config::ConfigError>(())
    /// ```
    pub fn from_pairs<I>(pairs: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator,
        I::Item: ConfigEntry,
    {
        let err = |k: &str, v: &str, why| ConfigError::new("stream", k, v, why);
        let mut opts = Self::new();
        let mut seen = [false; 3];
        for entry in pairs {
            let (key, value) = (entry.key(), entry.value());
            let idx = match key {
                "buffer_size" => 0,
                "persistent" => 1,
                "replay_bytes" => 2,
                _ => return Err(err(key, value, "unknown key")),
            };
            if core::mem::replace(&mut seen[idx], true) {
                return Err(err(key, value, "key given twice"));
            }
            let v = value.trim();
            match idx {
                0 => {
                    let n: usize = v
                        .parse()
                        .map_err(|_| err(key, value, "expected a positive integer"))?;
                    if n == 0 {
                        return Err(err(key, value, "must be at least 1"));
                    }
                    opts.buffer_size = n;
                }
                1 => {
                    opts.persistent = crate::config::parse_bool(v)
                        .ok_or_else(|| err(key, value, "expected true or false"))?;
                }
                _ => {
                    opts.replay_bytes = v
                        .parse()
                        .map_err(|_| err(key, value, "expected an unsigned integer"))?;
                }
            }
        }
        Ok(opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn defaults_match_the_seed() {
        let o = StreamOptions::default();
        assert_eq!((o.buffer_len(), o.is_persistent()), (100, false));
    }

    #[test]
    fn every_bad_value_is_an_error() {
        for (k, v, why) in [
            ("buffer_size", "0", "at least 1"),
            ("buffer_size", "-3", "positive"),
            ("buffer_size", "ten", "positive"),
            ("persistent", "yes", "true or false"),
            ("replay_bytes", "1MiB", "unsigned"),
            ("bufer_size", "10", "unknown key"),
        ] {
            let e = StreamOptions::from_pairs([(k, v)]).unwrap_err();
            assert_eq!(e.code(), "INVALID_CONFIG");
            let msg = e.to_string();
            assert!(
                msg.contains(why) && msg.contains(k) && msg.contains("stream"),
                "{msg}"
            );
        }
        let twice = StreamOptions::from_pairs([("persistent", "1"), ("persistent", "0")]);
        assert!(twice.unwrap_err().to_string().contains("twice"));
    }

    #[test]
    fn go_style_booleans_are_accepted() {
        for t in ["1", "t", "T", "true", "TRUE", "True", " true "] {
            assert!(StreamOptions::from_pairs([("persistent", t)])
                .unwrap()
                .is_persistent());
        }
        for f in ["0", "f", "F", "false", "FALSE", "False"] {
            assert!(!StreamOptions::from_pairs([("persistent", f)])
                .unwrap()
                .is_persistent());
        }
    }

    #[test]
    fn builder_never_makes_a_zero_buffer() {
        assert_eq!(StreamOptions::new().buffer_size(0).buffer_len(), 1);
    }
}
