//! Batch limits, built in code or parsed from a string map.

use crate::config::{ConfigEntry, ConfigError};

/// Limits of a [`Batcher`](super::Batcher). For each limit, `0` means unlimited (for the
/// timeout: no timer).
///
/// ```
/// use lindy::batch::BatchOptions;
///
/// let opts = BatchOptions::new().max_rows(500).timeout_ms(0);
/// assert_eq!(opts.rows_limit(), 500);
/// assert_eq!(opts.bytes_limit(), 5 * 1024 * 1024); // the default
///
/// let parsed = BatchOptions::from_pairs([("max_rows", "500"), ("timeout_ms", "0")]).unwrap();
/// assert_eq!(parsed, opts);
///
/// let err = BatchOptions::from_pairs([("max_rows", "lots")]).unwrap_err();
/// assert_eq!(lindy::ErrorCode::code(&err), "INVALID_CONFIG");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchOptions {
    max_rows: usize,
    max_bytes: u64,
    timeout_ms: u64,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl BatchOptions {
    /// Default row limit per batch.
    ///
    /// ```
    /// use lindy::batch::BatchOptions;
    /// assert_eq!(BatchOptions::new().rows_limit(), BatchOptions::DEFAULT_MAX_ROWS);
    /// ```
    pub const DEFAULT_MAX_ROWS: usize = 10_000;
    /// Default byte limit per batch (5 MiB).
    ///
    /// ```
    /// use lindy::batch::BatchOptions;
    /// assert_eq!(BatchOptions::new().bytes_limit(), BatchOptions::DEFAULT_MAX_BYTES);
    /// ```
    pub const DEFAULT_MAX_BYTES: u64 = 5 * 1024 * 1024;
    /// Default batch timeout (20 s).
    ///
    /// ```
    /// use lindy::batch::BatchOptions;
    /// assert_eq!(BatchOptions::new().timeout(), BatchOptions::DEFAULT_TIMEOUT_MS);
    /// ```
    pub const DEFAULT_TIMEOUT_MS: u64 = 20_000;

    /// The defaults: 10 000 rows, 5 MiB, 20 s.
    ///
    /// ```
    /// const OPTS: lindy::batch::BatchOptions = lindy::batch::BatchOptions::new().max_rows(100);
    /// assert_eq!(OPTS.rows_limit(), 100);
    /// ```
    pub const fn new() -> Self {
        BatchOptions {
            max_rows: Self::DEFAULT_MAX_ROWS,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            timeout_ms: Self::DEFAULT_TIMEOUT_MS,
        }
    }

    /// At most `rows` rows per insert batch (messages per batch for the other kinds); 0 = unlimited.
    ///
    /// ```
    /// assert_eq!(lindy::batch::BatchOptions::new().max_rows(0).rows_limit(), 0); // unlimited
    /// ```
    pub const fn max_rows(mut self, rows: usize) -> Self {
        self.max_rows = rows;
        self
    }

    /// At most `bytes` bytes per insert batch (a single row above it travels alone); 0 = unlimited.
    ///
    /// ```
    /// assert_eq!(lindy::batch::BatchOptions::new().max_bytes(4096).bytes_limit(), 4096);
    /// ```
    pub const fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = bytes;
        self
    }

    /// A batch with rows pending completes `ms` milliseconds after its first row; 0 = no timer.
    ///
    /// ```
    /// assert_eq!(lindy::batch::BatchOptions::new().timeout_ms(0).timeout(), 0); // no timer
    /// ```
    pub const fn timeout_ms(mut self, ms: u64) -> Self {
        self.timeout_ms = ms;
        self
    }

    /// The row limit (0 = unlimited).
    ///
    /// ```
    /// assert_eq!(lindy::batch::BatchOptions::new().max_rows(7).rows_limit(), 7);
    /// ```
    pub const fn rows_limit(&self) -> usize {
        self.max_rows
    }

    /// The byte limit (0 = unlimited).
    ///
    /// ```
    /// assert_eq!(lindy::batch::BatchOptions::new().max_bytes(7).bytes_limit(), 7);
    /// ```
    pub const fn bytes_limit(&self) -> u64 {
        self.max_bytes
    }

    /// The timeout in milliseconds (0 = no timer).
    ///
    /// ```
    /// assert_eq!(lindy::batch::BatchOptions::new().timeout_ms(7).timeout(), 7);
    /// ```
    pub const fn timeout(&self) -> u64 {
        self.timeout_ms
    }

    /// Parses options from string pairs, starting from the defaults. Keys: `max_rows`,
    /// `max_bytes`, `timeout_ms`; values are unsigned decimal integers.
    ///
    /// Takes any iterable of [`ConfigEntry`]: an array or slice of `(&str, &str)`, a
    /// `&HashMap<String, String>`, a `BTreeMap<&str, &str>`, ...
    ///
    /// # Errors
    /// [`ConfigError`] (`INVALID_CONFIG`) for an unknown key, a key given twice, or a value that
    /// is not an unsigned integer in range. Nothing is silently ignored.
    ///
    /// ```
    /// use lindy::batch::BatchOptions;
    /// let opts = BatchOptions::from_pairs([("max_rows", "500"), ("timeout_ms", "0")])?;
    /// assert_eq!(opts, BatchOptions::new().max_rows(500).timeout_ms(0));
    /// let err = BatchOptions::from_pairs([("max_rows", "1"), ("max_rows", "2")]).unwrap_err();
    /// assert_eq!((err.key.as_str(), err.reason), ("max_rows", "key given twice"));
    /// # Ok::<(), lindy::config::ConfigError>(())
    /// ```
    pub fn from_pairs<I>(pairs: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator,
        I::Item: ConfigEntry,
    {
        let mut opts = Self::new();
        let mut seen = [false; 3];
        for entry in pairs {
            let (key, value) = (entry.key(), entry.value());
            let idx = match key {
                "max_rows" => 0,
                "max_bytes" => 1,
                "timeout_ms" => 2,
                _ => return Err(ConfigError::new("batch", key, value, "unknown key")),
            };
            if core::mem::replace(&mut seen[idx], true) {
                return Err(ConfigError::new("batch", key, value, "key given twice"));
            }
            let n: u64 = value.trim().parse().map_err(|_| {
                ConfigError::new(
                    "batch",
                    key,
                    value,
                    "expected an unsigned integer (0 = unlimited)",
                )
            })?;
            match idx {
                0 => {
                    opts.max_rows = usize::try_from(n).map_err(|_| {
                        ConfigError::new("batch", key, value, "too large for this target")
                    })?
                }
                1 => opts.max_bytes = n,
                _ => opts.timeout_ms = n,
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
        let o = BatchOptions::default();
        assert_eq!(
            (o.rows_limit(), o.bytes_limit(), o.timeout()),
            (10_000, 5 << 20, 20_000)
        );
    }

    #[test]
    fn bad_config_is_an_error_naming_the_key() {
        for (pairs, reason) in [
            (&[("max_rows", "-1")][..], "unsigned"),
            (&[("max_bytes", "5MiB")][..], "unsigned"),
            (&[("timeout_ms", "")][..], "unsigned"),
            (&[("timeout", "5")][..], "unknown key"),
            (&[("max_rows", "1"), ("max_rows", "2")][..], "twice"),
            (&[("max_rows", "99999999999999999999999")][..], "unsigned"),
        ] {
            let err = BatchOptions::from_pairs(pairs).unwrap_err();
            assert_eq!(err.code(), "INVALID_CONFIG");
            assert!(err.to_string().contains(reason), "{err}");
            assert!(err.to_string().contains(pairs[0].0), "{err}");
        }
    }

    #[test]
    fn zero_means_unlimited_and_is_accepted() {
        let o =
            BatchOptions::from_pairs([("max_rows", "0"), ("max_bytes", "0"), ("timeout_ms", "0")])
                .unwrap();
        assert_eq!(
            o,
            BatchOptions::new().max_rows(0).max_bytes(0).timeout_ms(0)
        );
    }
}
