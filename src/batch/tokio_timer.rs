//! A [`Timer`] on tokio's clock (feature `tokio`).

use core::future::Future;
use core::time::Duration;

use tokio::time::Instant;

use super::Timer;

/// A [`Timer`] on tokio's clock: [`now`](Timer::now) is milliseconds since the timer was made,
/// and [`sleep_until`](Timer::sleep_until) is [`tokio::time::sleep_until`] (feature `tokio`).
///
/// It follows tokio's clock, so `tokio::time::pause()` and `#[tokio::test(start_paused = true)]`
/// make batch timeouts deterministic in tests. Copies share the origin.
///
/// # Panics
/// Sleeping panics outside a tokio runtime with the time driver enabled (as tokio's own
/// `sleep` does).
///
/// ```
/// use lindy::batch::{BatchOptions, BatchWriter, Client, Message, TokioTimer};
///
/// struct Print;
/// impl Client<u32> for Print {
///     type Error = core::convert::Infallible;
///     async fn write_table(&mut self, table: &str, rows: Vec<u32>) -> Result<(), Self::Error> {
///         println!("{table}: {rows:?}");
///         Ok(())
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
/// let mut writer = BatchWriter::new(Print, TokioTimer::new(), BatchOptions::new().timeout_ms(50));
/// let report = writer.run(futures::stream::iter([Message::insert("t", vec![1, 2], 16)])).await;
/// assert_eq!(report.rows_written, 2);
/// # });
/// ```
#[derive(Clone, Copy, Debug)]
pub struct TokioTimer {
    origin: Instant,
}

impl Default for TokioTimer {
    fn default() -> Self {
        Self::new()
    }
}

impl TokioTimer {
    /// A timer whose clock reads 0 now (tokio's now: paused time included).
    ///
    /// ```
    /// use lindy::batch::{TokioTimer, Timer};
    /// assert!(TokioTimer::new().now() < 1_000);
    /// ```
    pub fn new() -> Self {
        TokioTimer {
            origin: Instant::now(),
        }
    }
}

impl Timer for TokioTimer {
    fn now(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// # Cancel safety
    /// Cancel-safe: dropping the future cancels the sleep and nothing else.
    fn sleep_until(&self, deadline_ms: u64) -> impl Future<Output = ()> {
        // A deadline past what `Instant` can hold never comes: sleep forever.
        let at = self.origin.checked_add(Duration::from_millis(deadline_ms));
        async move {
            match at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => core::future::pending().await,
            }
        }
    }
}
