//! Spawn progress as JupyterHub's event stream: `text/event-stream`, a bare blank line at
//! once and every 8 s to keep proxies from closing it, then one `data: <json>` per event, and
//! the end after the `ready` or `failed` event.

use std::time::Duration;

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use ganymede_core::{Progress, ProgressEvents, is_terminal};
use http::{HeaderValue, StatusCode, header};
use serde_json::Value;

const KEEPALIVE: Duration = Duration::from_secs(8);

fn data(event: &Value) -> Bytes {
    Bytes::from(format!("data: {event}\n\n"))
}

struct Follow {
    events: ProgressEvents,
    sent: usize,
    done: bool,
    greeted: bool,
}

/// The streaming response for a [`Progress`].
pub(crate) fn progress_response(progress: Progress) -> Response {
    let body = match progress {
        Progress::Once(event) => Body::from([Bytes::from_static(b"\n\n"), data(&event)].concat()),
        Progress::Events(events) => {
            let follow = Follow {
                events,
                sent: 0,
                done: false,
                greeted: false,
            };
            Body::from_stream(futures_util::stream::unfold(follow, next_chunk))
        }
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

async fn next_chunk(
    mut follow: Follow,
) -> Option<(Result<Bytes, std::convert::Infallible>, Follow)> {
    if follow.done {
        return None;
    }
    if !follow.greeted {
        follow.greeted = true;
        return Some((Ok(Bytes::from_static(b"\n\n")), follow));
    }
    loop {
        let fresh: Vec<Value> = {
            let events = follow.events.borrow_and_update();
            events.iter().skip(follow.sent).cloned().collect()
        };
        if !fresh.is_empty() {
            follow.sent += fresh.len();
            follow.done = fresh.iter().any(is_terminal);
            let chunk: Vec<u8> = fresh.iter().flat_map(|e| data(e).to_vec()).collect();
            return Some((Ok(Bytes::from(chunk)), follow));
        }
        match tokio::time::timeout(KEEPALIVE, follow.events.changed()).await {
            Ok(Ok(())) => {}
            // The spawn's list was replaced or dropped (a new start, a stop): end the stream.
            Ok(Err(_)) => return None,
            Err(_) => return Some((Ok(Bytes::from_static(b"\n\n")), follow)),
        }
    }
}
