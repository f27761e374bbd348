//! The WebSocket echo backend: every text or binary message comes back unchanged.

use std::ops::Deref;
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use crate::serve::Backend;

/// A WebSocket server on `127.0.0.1:0` that echoes messages and remembers each handshake's
/// path, so a test can check what the proxy forwarded.
#[derive(Debug)]
pub struct WsEchoBackend {
    backend: Backend,
    paths: Arc<Mutex<Vec<String>>>,
}

impl WsEchoBackend {
    /// Starts the backend.
    pub async fn start() -> anyhow::Result<Self> {
        let paths = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&paths);
        let backend = Backend::spawn("http", move |stream| {
            let recorded = Arc::clone(&recorded);
            async move {
                #[allow(
                    clippy::result_large_err,
                    reason = "the signature is tungstenite's handshake callback"
                )]
                let record = |req: &Request, response: Response| {
                    let path = req
                        .uri()
                        .path_and_query()
                        .map_or_else(String::new, ToString::to_string);
                    if let Ok(mut paths) = recorded.lock() {
                        paths.push(path);
                    }
                    Ok(response)
                };
                let Ok(mut socket) = tokio_tungstenite::accept_hdr_async(stream, record).await
                else {
                    return;
                };
                while let Some(Ok(message)) = socket.next().await {
                    let reply = match message {
                        Message::Text(_) | Message::Binary(_) => message,
                        Message::Close(_) => break,
                        // Pings are answered by tungstenite itself; pongs need nothing.
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
                    };
                    if socket.send(reply).await.is_err() {
                        break;
                    }
                }
                let _ = socket.close(None).await;
            }
        })
        .await?;
        Ok(Self { backend, paths })
    }

    /// The paths (with query) of the handshakes so far.
    pub fn paths(&self) -> Vec<String> {
        self.paths
            .lock()
            .map(|paths| paths.clone())
            .unwrap_or_default()
    }
}

impl Deref for WsEchoBackend {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        &self.backend
    }
}
