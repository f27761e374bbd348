//! The started proxy's stdout and stderr: each line goes on to the hub's stderr, where the
//! proxy's own log would be had it inherited it, and the last lines are kept for the error
//! that says why it failed to start.

use std::collections::VecDeque;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Child;
use tokio::task::JoinHandle;

/// Lines kept for an error message.
const TAIL_LINES: usize = 20;

/// The relays of one process's output and its last lines.
pub(super) struct Output {
    tail: Arc<Mutex<VecDeque<String>>>,
    relays: Vec<JoinHandle<()>>,
}

impl Output {
    /// Takes `child`'s piped stdout and stderr and relays them until they close.
    pub(super) fn relay(child: &mut Child) -> Self {
        let tail = Arc::new(Mutex::new(VecDeque::with_capacity(TAIL_LINES)));
        let mut relays = Vec::new();
        if let Some(stdout) = child.stdout.take() {
            relays.push(tokio::spawn(relay_lines(stdout, Arc::clone(&tail))));
        }
        if let Some(stderr) = child.stderr.take() {
            relays.push(tokio::spawn(relay_lines(stderr, Arc::clone(&tail))));
        }
        Self { tail, relays }
    }

    /// Waits (briefly) for the last lines of a process that exited.
    pub(super) async fn drained(&mut self) {
        for relay in &mut self.relays {
            let _ = tokio::time::timeout(Duration::from_secs(2), relay).await;
        }
    }

    /// The last lines, indented, or a note that there were none.
    pub(super) fn tail(&self) -> String {
        let tail = self
            .tail
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if tail.is_empty() {
            return "    (no output)".to_owned();
        }
        tail.iter()
            .map(|line| format!("    {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

async fn relay_lines(stream: impl AsyncRead + Unpin, tail: Arc<Mutex<VecDeque<String>>>) {
    let mut lines = BufReader::new(stream).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        // A failed write to our own stderr has nowhere better to be reported.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        let mut tail = tail.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line);
    }
}
