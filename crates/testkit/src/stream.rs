//! Large bodies without large buffers: a sink that counts what is uploaded to it, and a source
//! that streams N bytes made of one shared chunk.

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::stream;
use http::{Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;

use crate::serve::{self, Backend, BoxError};

/// The size of one chunk of a streamed body.
pub const CHUNK: usize = 64 * 1024;

/// Counts the request body bytes it receives and answers `{"received": N}`.
#[derive(Debug)]
pub struct ByteSink {
    backend: Backend,
    received: Arc<AtomicU64>,
}

/// Answers every request with a body of exactly `total` bytes, streamed in [`CHUNK`]s.
#[derive(Debug)]
pub struct ByteSource {
    backend: Backend,
    total: u64,
}

/// A stream of `total` bytes in [`CHUNK`]s, all slices of one buffer: memory stays at one chunk
/// however long the stream.
pub fn byte_stream(
    total: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let chunk = Bytes::from(vec![b'x'; CHUNK]);
    stream::unfold(total, move |left| {
        let chunk = chunk.clone();
        async move {
            if left == 0 {
                return None;
            }
            let len = usize::try_from(left).map_or(CHUNK, |left| left.min(CHUNK));
            Some((Ok(chunk.slice(..len)), left - len as u64))
        }
    })
}

// === impl ByteSink ===

impl ByteSink {
    /// Starts the sink.
    pub async fn start() -> anyhow::Result<Self> {
        let received = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&received);
        let backend = Backend::http(None, move |req| {
            let counter = Arc::clone(&counter);
            async move {
                let mut body = req.into_body();
                let mut count = 0u64;
                while let Some(Ok(frame)) = body.frame().await {
                    if let Some(data) = frame.data_ref() {
                        count += data.len() as u64;
                        counter.fetch_add(data.len() as u64, Ordering::Relaxed);
                    }
                }
                Response::new(serve::full(format!("{{\"received\": {count}}}")))
            }
        })
        .await?;
        Ok(Self { backend, received })
    }

    /// Body bytes received so far, over all requests.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }
}

impl Deref for ByteSink {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        &self.backend
    }
}

// === impl ByteSource ===

impl ByteSource {
    /// Starts a source whose every answer is `total` bytes long.
    pub async fn start(total: u64) -> anyhow::Result<Self> {
        let backend = Backend::http(None, move |_req| async move {
            use futures_util::StreamExt;
            let frames = byte_stream(total).map(|chunk| {
                chunk
                    .map(Frame::data)
                    .map_err(|e| -> BoxError { Box::new(e) })
            });
            let mut response = Response::new(BodyExt::boxed(StreamBody::new(frames)));
            response
                .headers_mut()
                .insert(header::CONTENT_LENGTH, header::HeaderValue::from(total));
            response
        })
        .await?;
        Ok(Self { backend, total })
    }

    /// The length of each answer.
    pub fn total(&self) -> u64 {
        self.total
    }
}

impl Deref for ByteSource {
    type Target = Backend;

    fn deref(&self) -> &Backend {
        &self.backend
    }
}
