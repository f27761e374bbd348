//! WebSocket pass-through: after both sides agreed to a 101, copy bytes both ways.
//!
//! No frames are parsed, so extensions and subprotocols negotiated end to end keep working and a
//! message costs one read and one write. Each read records route activity.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http1::{ClientUpgrade, UpgradeError};
use crate::metrics::Metrics;
use crate::route_table::Activity;

/// Waits for both upgrades, then splices them until either side closes.
pub(crate) fn spawn(
    client: ClientUpgrade,
    upstream: OnUpgrade,
    activity: Arc<Activity>,
    metrics: Arc<Metrics>,
    path: Arc<str>,
) {
    tokio::spawn(async move {
        let upstream = async { upstream.await.map_err(UpgradeError::from) };
        let (client, upstream) = match tokio::try_join!(client.wait(), upstream) {
            Ok(pair) => pair,
            Err(error) => {
                tracing::info!(%path, %error, "WebSocket upgrade did not complete");
                return;
            }
        };
        metrics.websockets_total.inc();
        metrics.open_websockets.inc();
        let mut client = Counted {
            io: client,
            activity: Arc::clone(&activity),
        };
        let mut upstream = Counted {
            io: TokioIo::new(upstream),
            activity,
        };
        match tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            Ok((sent, received)) => {
                tracing::debug!(%path, sent, received, "WebSocket closed");
            }
            Err(error) => tracing::debug!(%path, %error, "WebSocket ended with an error"),
        }
        metrics.open_websockets.dec();
    });
}

/// An upgraded connection whose reads count as route activity.
struct Counted<T> {
    io: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Counted<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch_now();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Counted<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
