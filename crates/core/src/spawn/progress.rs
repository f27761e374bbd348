//! Spawn progress: each server's events since its last start request, in JupyterHub's event
//! shape (`progress`, `message`, `html_message`, and `ready`/`failed` at the end).
//!
//! A watcher that arrives late still sees every event: the list is kept until the next start
//! or a stop, and the terminal event tells the page what happened.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ganymede_db::ServerId;
use serde_json::{Value, json};
use tokio::sync::watch;

/// The events of one spawn.
pub type ProgressEvents = watch::Receiver<Vec<Value>>;

/// Every server's current progress list.
#[derive(Debug, Default)]
pub(crate) struct ProgressBoard {
    servers: Mutex<HashMap<ServerId, Arc<watch::Sender<Vec<Value>>>>>,
}

/// Whether an event ends its stream.
pub fn is_terminal(event: &Value) -> bool {
    event.get("ready").and_then(Value::as_bool) == Some(true)
        || event.get("failed").and_then(Value::as_bool) == Some(true)
}

impl ProgressBoard {
    fn servers(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<ServerId, Arc<watch::Sender<Vec<Value>>>>> {
        self.servers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts a new list for `server` with JupyterHub's first event.
    pub(crate) fn begin(&self, server: ServerId) {
        let (tx, _) = watch::channel(vec![json!({"progress": 0, "message": "Server requested"})]);
        self.servers().insert(server, Arc::new(tx));
    }

    /// Adds an event.
    pub(crate) fn push(&self, server: ServerId, event: Value) {
        let sender = self.servers().get(&server).cloned();
        if let Some(sender) = sender {
            sender.send_modify(|events| events.push(event));
        }
    }

    /// Adds `{"progress", "message"}`.
    pub(crate) fn say(&self, server: ServerId, progress: u8, message: impl Into<String>) {
        self.push(
            server,
            json!({"progress": progress, "message": message.into()}),
        );
    }

    /// Follows `server`'s events, if a start was requested since this hub started.
    pub(crate) fn watch(&self, server: ServerId) -> Option<ProgressEvents> {
        self.servers().get(&server).map(|tx| tx.subscribe())
    }

    /// The last event, if any.
    pub(crate) fn last(&self, server: ServerId) -> Option<Value> {
        self.servers()
            .get(&server)
            .and_then(|tx| tx.borrow().last().cloned())
    }

    /// Forgets `server`'s events (it stopped).
    pub(crate) fn forget(&self, server: ServerId) {
        self.servers().remove(&server);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn late_watchers_see_every_event() {
        let board = ProgressBoard::default();
        let id = ServerId(7);
        assert!(board.watch(id).is_none());
        board.begin(id);
        board.say(id, 50, "Spawning server...");
        let mut rx = board.watch(id).unwrap();
        assert_eq!(rx.borrow_and_update().len(), 2);
        board.push(id, json!({"progress": 100, "ready": true}));
        rx.changed().await.unwrap();
        let events = rx.borrow().clone();
        assert!(is_terminal(events.last().unwrap()));
        assert_eq!(board.last(id).unwrap()["ready"], true);
        board.forget(id);
        assert!(board.last(id).is_none());
    }
}
