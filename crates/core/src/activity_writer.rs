//! Group commit for `last_activity`: reports that arrive while a write is in flight are
//! written together in the next transaction, after a short gathering window.
//!
//! Thousands of servers posting activity, and every authenticated request touching its
//! token, would otherwise cost one database commit each. A caller still waits for its own
//! report to be committed, so a read after the write sees it; a busy hub writes at most about
//! twenty transactions a second, however many reports come.

use ganymede_db::{ActivityBatch, Db};
use tokio::sync::{mpsc, oneshot};

use crate::error::CoreError;

/// Most rows in one transaction, so that one batch never holds SQLite's lock for long.
const MAX_ROWS: usize = 5_000;

/// How long the writer gathers reports after the first one before it writes. Servers post
/// activity in the background, so 50 ms more on their answer costs nothing, and a steady
/// stream of reports becomes 20 transactions a second instead of one per report.
const GATHER: std::time::Duration = std::time::Duration::from_millis(50);

struct Report {
    batch: ActivityBatch,
    committed: oneshot::Sender<Result<(), String>>,
}

/// The writer task's inbox.
#[derive(Debug)]
pub(crate) struct ActivityWriter {
    inbox: mpsc::UnboundedSender<Report>,
}

impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("rows", &self.batch.len())
            .finish()
    }
}

impl ActivityWriter {
    /// Starts the writer task on the current runtime; it ends when the writer is dropped.
    pub(crate) fn start(db: Db) -> Self {
        let (inbox, reports) = mpsc::unbounded_channel();
        tokio::spawn(write_batches(db, reports));
        Self { inbox }
    }

    /// Records `batch` and waits until it is committed.
    pub(crate) async fn write(&self, batch: ActivityBatch) -> Result<(), CoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let (committed, done) = oneshot::channel();
        self.inbox
            .send(Report { batch, committed })
            .map_err(|_| CoreError::Internal("the activity writer has stopped".to_owned()))?;
        done.await
            .map_err(|_| CoreError::Internal("the activity writer has stopped".to_owned()))?
            .map_err(CoreError::Internal)
    }
}

async fn write_batches(db: Db, mut reports: mpsc::UnboundedReceiver<Report>) {
    while let Some(first) = reports.recv().await {
        tokio::time::sleep(GATHER).await;
        let mut batch = first.batch;
        let mut waiting = vec![first.committed];
        while batch.len() < MAX_ROWS {
            let Ok(next) = reports.try_recv() else { break };
            batch.merge(next.batch);
            waiting.push(next.committed);
        }
        let result = db
            .record_activity(&batch)
            .await
            .map(drop)
            .map_err(|e| format!("cannot record activity: {e}"));
        if let Err(error) = &result {
            tracing::warn!(%error, rows = batch.len(), reports = waiting.len(), "activity not recorded");
        }
        for committed in waiting {
            // A caller that gave up no longer needs the answer.
            let _ = committed.send(result.clone());
        }
    }
}
