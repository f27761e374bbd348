//! Waiting without sleeping blindly: poll a condition until it holds or a deadline passes.
//!
//! Every deadline goes through [`patience`], so a slow machine can stretch all of them at once
//! with `GANYMEDE_TEST_PATIENCE=3` (a multiplier) instead of editing tests.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How often a condition is re-checked; short, since checks are cheap.
const POLL_INTERVAL: Duration = Duration::from_millis(10);

/// `base` times `GANYMEDE_TEST_PATIENCE` (a positive number, 1 when unset or unreadable).
pub fn patience(base: Duration) -> Duration {
    let factor = std::env::var("GANYMEDE_TEST_PATIENCE")
        .ok()
        .and_then(|text| text.trim().parse::<f64>().ok())
        .filter(|factor| factor.is_finite() && *factor > 0.0)
        .unwrap_or(1.0);
    base.mul_f64(factor)
}

/// Re-checks `check` until it returns true (then true) or `deadline` has passed (then false).
///
/// The condition is always checked once more at the deadline, so a deadline of zero means "check
/// now".
pub async fn wait_until(deadline: Duration, mut check: impl FnMut() -> bool) -> bool {
    wait_until_async(deadline, || std::future::ready(check())).await
}

/// [`wait_until`] for a condition that has to await something, such as an API call.
pub async fn wait_until_async<F, Fut>(deadline: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let end = Instant::now() + patience(deadline);
    loop {
        if check().await {
            return true;
        }
        let now = Instant::now();
        if now >= end {
            return false;
        }
        tokio::time::sleep_until((now + POLL_INTERVAL).min(end)).await;
    }
}
