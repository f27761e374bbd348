//! The hub's background chores: each runs every so often until the hub shuts down.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Runs `chore` every `interval`, the first time one interval from now, until `stop` turns
/// true. A chore that overruns delays the next one rather than piling runs up.
pub(crate) async fn every<F, Fut>(interval: Duration, mut stop: watch::Receiver<bool>, mut chore: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        chore().await;
    }
}
