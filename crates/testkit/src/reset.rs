//! A backend that breaks off a response: it sends the headers and part of the body, waits for the
//! test to say so, then resets the TCP connection (`SO_LINGER` 0, so the close is an RST, not a
//! FIN).
//!
//! Waiting for [`ResettingBackend::reset`] makes the test deterministic: the client has already
//! seen the status and the first bytes through the proxy when the connection breaks, so what is
//! tested is a failure *mid-response*, never a failure to answer at all.

use std::ops::Deref;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::serve::Backend;

/// The request head is read up to this size; test requests are far smaller.
const MAX_HEAD: usize = 64 * 1024;

/// Answers `200` with a `Content-Length` of `10 × partial`, sends `partial` bytes, and resets
/// the connection once [`ResettingBackend::reset`] is called (immediately for later requests).
#[derive(Debug)]
pub struct ResettingBackend {
    backend: Backend,
    reset: watch::Sender<bool>,
}

impl ResettingBackend {
    /// Starts the backend; each response carries `partial` bytes before the reset.
    pub async fn start(partial: usize) -> anyhow::Result<Self> {
        let (reset, armed) = watch::channel(false);
        let backend = Backend::spawn("http", move |mut stream| {
            let mut armed = armed.clone();
            async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_HEAD {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let announced = partial * 10;
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: {announced}\r\n\r\n"
                );
                if stream.write_all(response.as_bytes()).await.is_err()
                    || stream.write_all(&vec![b'r'; partial]).await.is_err()
                    || stream.flush().await.is_err()
                {
                    return;
                }
                if armed.wait_for(|reset| *reset).await.is_err() {
                    return;
                }
                // Zero linger turns the close into an RST; dropping the stream sends it.
                let _ = stream.set_zero_linger();
                drop(stream);
            }
        })
        .await?;
        Ok(Self { backend, reset })
    }

    /// Resets every connection that has sent its partial response, and every later one as soon
    /// as it has.
    pub fn reset(&self) {
        self.reset.send_replace(true);
    }

    /// The number of bytes announced in `Content-Length` for a `partial`-byte response.
    pub fn announced(partial: usize) -> usize {
        partial * 10
    }
}

impl Deref for ResettingBackend {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        &self.backend
    }
}
