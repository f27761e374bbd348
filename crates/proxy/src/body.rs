//! Body types: everything the proxy sends is a [`ProxyBody`], streamed, never collected.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};

use crate::route_table::Activity;
use crate::upstream::Lease;

/// Any error a body can end with.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The one body type of the data plane, the API and the error pages.
pub(crate) type ProxyBody = BoxBody<Bytes, BoxError>;

/// A body with these bytes.
pub(crate) fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    Full::new(bytes.into())
        .map_err(|never| match never {})
        .boxed()
}

/// An empty body.
pub(crate) fn empty() -> ProxyBody {
    Empty::new().map_err(|never| match never {}).boxed()
}

/// Which way a streamed body flows, for the log line when it breaks.
#[derive(Debug, Clone, Copy)]
enum Direction {
    /// From the client to the target (an upload).
    Request,
    /// From the target to the client (a download).
    Response,
}

/// The pooled connection a response came on, given back once the response has been read to its
/// end, and dropped (so hyper closes it) if the body is dropped before.
struct Returning(Option<Lease>);

impl Returning {
    fn new(lease: Option<Lease>, ended: bool) -> Self {
        let mut returning = Self(lease);
        returning.check(ended);
        returning
    }

    fn check(&mut self, ended: bool) {
        if ended && let Some(lease) = self.0.take() {
            lease.release();
        }
    }
}

/// Whose traffic a body is, for route activity and the log line when it breaks.
struct Watch {
    activity: Arc<Activity>,
    direction: Direction,
    path: Arc<str>,
}

/// Streams a body through, giving its target connection back at the end; a watched body also
/// records route activity per frame and logs one line if it breaks.
pub(crate) struct Observed<B> {
    inner: B,
    watch: Option<Watch>,
    connection: Returning,
}

impl<B> Observed<B>
where
    B: Body<Data = Bytes> + Unpin + Send + Sync + 'static,
    B::Error: Into<BoxError>,
{
    /// A request body on its way to the target.
    pub(crate) fn request(inner: B, activity: Arc<Activity>, path: Arc<str>) -> ProxyBody {
        Self {
            inner,
            watch: Some(Watch {
                activity,
                direction: Direction::Request,
                path,
            }),
            connection: Returning(None),
        }
        .boxed()
    }

    /// A response body on its way to the client, from the connection `lease`.
    pub(crate) fn response(
        inner: B,
        activity: Arc<Activity>,
        path: Arc<str>,
        lease: Lease,
    ) -> ProxyBody {
        let watch = Watch {
            activity,
            direction: Direction::Response,
            path,
        };
        Self::returning(inner, Some(watch), lease)
    }

    /// A body from a target passed through as it is (an error page, say), giving its connection
    /// back at the end.
    pub(crate) fn releasing(inner: B, lease: Lease) -> ProxyBody {
        Self::returning(inner, None, lease)
    }

    fn returning(inner: B, watch: Option<Watch>, lease: Lease) -> ProxyBody {
        let ended = inner.is_end_stream();
        Self {
            inner,
            watch,
            connection: Returning::new(Some(lease), ended),
        }
        .boxed()
    }
}

impl<B> Body for Observed<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if frame.is_data()
                    && let Some(watch) = &self.watch
                {
                    watch.activity.touch_now();
                }
                // hyper stops polling a body that says it has ended, so look now.
                let ended = self.inner.is_end_stream();
                self.connection.check(ended);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(error))) => {
                let error: BoxError = error.into();
                match &self.watch {
                    Some(Watch {
                        direction: Direction::Response,
                        path,
                        ..
                    }) => tracing::warn!(
                        %path,
                        %error,
                        "target broke off the response mid-stream; closing the client connection"
                    ),
                    Some(Watch {
                        direction: Direction::Request,
                        path,
                        ..
                    }) => tracing::info!(
                        %path,
                        %error,
                        "client broke off the request body mid-stream"
                    ),
                    None => {}
                }
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                self.connection.check(true);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
