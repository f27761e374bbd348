//! The fast lane's message heads: which requests it takes, and the heads it writes to the target
//! and back to the client, with the same rewrites as the hyper path (`crate::headers`).

use std::io::Write as _;

use http::StatusCode;

use crate::config::ForwardOptions;
use crate::headers::{ClientSide, HOP_BY_HOP, host_port, target_authority};
use crate::route_table::Route;

use super::framing::{ChunkedEnd, Framing};

/// Whether `name` is one of [`HOP_BY_HOP`], the headers that describe one connection.
fn is_hop_by_hop(name: &str) -> bool {
    HOP_BY_HOP
        .iter()
        .any(|hop| name.eq_ignore_ascii_case(hop.as_str()))
}

/// What the fast lane needs from a request it takes.
#[derive(Debug)]
pub(crate) struct Taken<'a> {
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) host: &'a [u8],
    pub(crate) has_cookie: bool,
}

/// A `GET` over HTTP/1.1 in origin form, with one `Host`, no body and nothing that changes the
/// connection (upgrade, `Connection: close`, `Expect`). Anything else is left to hyper.
pub(crate) fn take<'a>(request: &httparse::Request<'_, 'a>) -> Option<Taken<'a>> {
    if request.method != Some("GET") || request.version != Some(1) {
        return None;
    }
    let target = request.path?;
    if !target.starts_with('/') || target.starts_with("/_chp_healthz") {
        return None;
    }
    let mut host = None;
    let mut has_cookie = false;
    for header in request.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("host") {
            if host.replace(header.value).is_some() {
                return None;
            }
        } else if name.eq_ignore_ascii_case("connection") {
            let only_keep_alive = header
                .value
                .split(|&b| b == b',')
                .all(|token| token.trim_ascii().eq_ignore_ascii_case(b"keep-alive"));
            if !only_keep_alive {
                return None;
            }
        } else if name.eq_ignore_ascii_case("cookie") {
            has_cookie = true;
        } else if ["content-length", "transfer-encoding", "upgrade", "expect"]
            .iter()
            .any(|n| name.eq_ignore_ascii_case(n))
        {
            return None;
        }
    }
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (target, None),
    };
    Some(Taken {
        path,
        query,
        host: host?,
        has_cookie,
    })
}

/// Writes the request head sent to `route`'s target.
pub(crate) fn write_request(
    out: &mut Vec<u8>,
    path_and_query: &str,
    request: &httparse::Request<'_, '_>,
    host: &[u8],
    route: &Route,
    forward: &ForwardOptions,
    client: ClientSide,
) {
    out.extend_from_slice(b"GET ");
    out.extend_from_slice(path_and_query.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    let custom = |name: &str| {
        !forward.custom_headers.is_empty() && forward.custom_headers.contains_key(name)
    };
    // Without a client address (a Unix socket) the hyper path leaves X-Forwarded-For alone.
    let forwarded: &[&str] = match (forward.x_forward, client.ip.is_some()) {
        (false, _) => &[],
        (true, true) => &["x-forwarded-for", "x-forwarded-port", "x-forwarded-proto"],
        (true, false) => &["x-forwarded-port", "x-forwarded-proto"],
    };
    // The first earlier value of each, as with the hyper path's `HeaderMap::get`.
    let mut previous: [Option<&[u8]>; 3] = [None; 3];
    let mut has_forwarded_host = false;
    for header in request.headers.iter() {
        let name = header.name;
        let is = |other: &str| name.eq_ignore_ascii_case(other);
        if is_hop_by_hop(name) || custom(name) {
            continue;
        }
        if let Some(index) = forwarded.iter().position(|n| is(n)) {
            previous[index].get_or_insert(header.value);
            continue;
        }
        has_forwarded_host |= is("x-forwarded-host");
        if is("host") && forward.change_origin {
            continue;
        }
        write_header(out, name.as_bytes(), header.value);
    }
    if forward.change_origin {
        write_header(out, b"host", target_authority(route.target()).as_bytes());
    }
    if forward.x_forward {
        let port = std::str::from_utf8(host)
            .ok()
            .and_then(host_port)
            .map_or(&b"80"[..], str::as_bytes);
        let mut ip = Vec::new();
        if let Some(address) = client.ip {
            let _ = write!(ip, "{address}");
        }
        for (index, name) in forwarded.iter().enumerate() {
            let value: &[u8] = match *name {
                "x-forwarded-for" => &ip,
                "x-forwarded-port" => port,
                _ => b"http",
            };
            if custom(name) {
                continue;
            }
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            if let Some(previous) = previous[index].filter(|p| !p.is_empty()) {
                out.extend_from_slice(previous);
                out.push(b',');
            }
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        }
        if !has_forwarded_host && !custom("x-forwarded-host") {
            write_header(out, b"x-forwarded-host", host);
        }
    }
    for name in forward.custom_headers.keys() {
        if let Some(value) = forward.custom_headers.get_all(name).iter().next_back() {
            write_header(out, name.as_str().as_bytes(), value.as_bytes());
        }
    }
    out.extend_from_slice(b"\r\n");
}

/// A target's response head, as the fast lane passes it on.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) framing: Framing,
    /// Whether the target's connection can carry another request once the body has been read.
    pub(crate) reusable: bool,
}

/// A response head the fast lane cannot pass on.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BadAnswer {
    #[error("the target answered with status {0}")]
    Status(u16),
    #[error("the target sent an invalid Content-Length")]
    Length,
    #[error("the target sent both Content-Length and Transfer-Encoding")]
    LengthAndEncoding,
}

/// Writes the head sent to the client for the target's `response` (a final one: not 1xx) and
/// returns its framing. A body that ends only when the target closes makes the client's
/// connection close too.
pub(crate) fn write_response(
    out: &mut Vec<u8>,
    response: &httparse::Response<'_, '_>,
) -> Result<Answer, BadAnswer> {
    let code = response.code.unwrap_or(0);
    let status = StatusCode::from_u16(code).map_err(|_| BadAnswer::Status(code))?;
    if status.is_informational() {
        return Err(BadAnswer::Status(code));
    }
    let mut length: Option<u64> = None;
    let mut chunked = None;
    let mut close = response.version != Some(1);
    let mut has_date = false;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or(BadAnswer::Length)?;
            if length
                .replace(value)
                .is_some_and(|previous| previous != value)
            {
                return Err(BadAnswer::Length);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            let last = header.value.rsplit(|&b| b == b',').next().unwrap_or(b"");
            chunked = Some(last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            close |= header
                .value
                .split(|&b| b == b',')
                .any(|token| token.trim_ascii().eq_ignore_ascii_case(b"close"));
        } else if name.eq_ignore_ascii_case("date") {
            has_date = true;
        }
    }
    let framing = if matches!(code, 204 | 304) {
        Framing::empty()
    } else {
        match (length, chunked) {
            (Some(_), Some(_)) => return Err(BadAnswer::LengthAndEncoding),
            (Some(length), None) => Framing::Length(length),
            (None, Some(true)) => Framing::Chunked(ChunkedEnd::default()),
            (None, Some(false) | None) => Framing::UntilClose,
        }
    };
    let listed = connection_tokens(response.headers);
    out.extend_from_slice(b"HTTP/1.1 ");
    out.extend_from_slice(status.as_str().as_bytes());
    out.push(b' ');
    match response.reason.filter(|r| !r.is_empty()) {
        Some(reason) => out.extend_from_slice(reason.as_bytes()),
        None => out.extend_from_slice(status.canonical_reason().unwrap_or("").as_bytes()),
    }
    out.extend_from_slice(b"\r\n");
    for header in response.headers.iter() {
        let name = header.name;
        // `Transfer-Encoding` stays: the body's framing passes through as it is.
        let dropped = (is_hop_by_hop(name) && !name.eq_ignore_ascii_case("transfer-encoding"))
            || listed
                .iter()
                .any(|token| name.as_bytes().eq_ignore_ascii_case(token));
        if !dropped {
            write_header(out, name.as_bytes(), header.value);
        }
    }
    if !has_date {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        write_header(out, b"date", date.as_bytes());
    }
    let until_close = matches!(framing, Framing::UntilClose);
    if until_close {
        write_header(out, b"connection", b"close");
    }
    out.extend_from_slice(b"\r\n");
    Ok(Answer {
        status,
        framing,
        reusable: !close && !until_close,
    })
}

/// The header names a `Connection` header lists besides `close` and `keep-alive`.
fn connection_tokens<'a>(headers: &[httparse::Header<'a>]) -> Vec<&'a [u8]> {
    let mut tokens = Vec::new();
    for header in headers {
        if header.name.eq_ignore_ascii_case("connection") {
            tokens.extend(
                header
                    .value
                    .split(|&b| b == b',')
                    .map(<[u8]>::trim_ascii)
                    // The body's framing headers stay whatever the target lists.
                    .filter(|t| {
                        !t.is_empty()
                            && ![
                                &b"close"[..],
                                b"keep-alive",
                                b"transfer-encoding",
                                b"content-length",
                            ]
                            .iter()
                            .any(|kept| t.eq_ignore_ascii_case(kept))
                    }),
            );
        }
    }
    tokens
}

fn write_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed<'h, 'b>(
        raw: &'b [u8],
        headers: &'h mut [httparse::Header<'b>],
    ) -> httparse::Request<'h, 'b> {
        let mut request = httparse::Request::new(headers);
        assert!(request.parse(raw).unwrap().is_complete(), "{raw:?}");
        request
    }

    #[test]
    fn only_plain_gets_without_a_body_are_taken() {
        let cases: &[(&[u8], bool)] = &[
            (b"GET /a?b=1 HTTP/1.1\r\nHost: h\r\n\r\n", true),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive\r\n\r\n",
                true,
            ),
            (b"GET / HTTP/1.1\r\n\r\n", false),
            (b"GET / HTTP/1.1\r\nHost: h\r\nHost: i\r\n\r\n", false),
            (b"GET / HTTP/1.0\r\nHost: h\r\n\r\n", false),
            (
                b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\n\r\nx",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
                false,
            ),
            (
                b"GET / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n\r\n",
                false,
            ),
            (b"GET http://h/ HTTP/1.1\r\nHost: h\r\n\r\n", false),
            (b"GET /_chp_healthz HTTP/1.1\r\nHost: h\r\n\r\n", false),
        ];
        for (raw, taken) in cases {
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let request = parsed(raw, &mut headers);
            assert_eq!(
                take(&request).is_some(),
                *taken,
                "{}",
                String::from_utf8_lossy(raw)
            );
        }
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let request = parsed(
            b"GET /a/b?c=d HTTP/1.1\r\nhost: h:1\r\nCookie: x=1\r\n\r\n",
            &mut headers,
        );
        let taken = take(&request).unwrap();
        assert_eq!(
            (taken.path, taken.query, taken.host),
            ("/a/b", Some("c=d"), &b"h:1"[..])
        );
        assert!(taken.has_cookie);
    }

    fn written(raw: &[u8], forward: &ForwardOptions, ip: Option<std::net::IpAddr>) -> String {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let request = parsed(raw, &mut headers);
        let host = take(&request).unwrap().host;
        let mut data = serde_json::Map::new();
        data.insert("target".into(), "http://t.example:81/base".into());
        let route = Route::new("/", data).unwrap();
        let mut out = Vec::new();
        let client = ClientSide { ip, tls: false };
        write_request(&mut out, "/base/x", &request, host, &route, forward, client);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn request_heads_are_rewritten_like_the_hyper_path() {
        let ip = Some(std::net::IpAddr::from([10, 1, 2, 3]));
        let raw = b"GET /x HTTP/1.1\r\nHost: hub:8000\r\nConnection: keep-alive\r\nTE: trailers\r\n\
            X-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\nX-Custom: client\r\nAccept: */*\r\n\r\n";
        let mut forward = ForwardOptions::default();
        assert_eq!(
            written(raw, &forward, ip),
            "GET /base/x HTTP/1.1\r\nHost: hub:8000\r\nX-Custom: client\r\nAccept: */*\r\n\
             x-forwarded-for: 1.1.1.1,10.1.2.3\r\nx-forwarded-port: 8000\r\n\
             x-forwarded-proto: http\r\nx-forwarded-host: hub:8000\r\n\r\n"
        );
        forward.x_forward = false;
        forward.change_origin = true;
        forward
            .custom_headers
            .insert("x-custom", http::HeaderValue::from_static("proxy"));
        assert_eq!(
            written(raw, &forward, ip),
            "GET /base/x HTTP/1.1\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\
             Accept: */*\r\nhost: t.example:81\r\nx-custom: proxy\r\n\r\n"
        );
        // No client address (a Unix socket): X-Forwarded-For is left as the client sent it.
        let raw = b"GET /x HTTP/1.1\r\nHost: [::1]\r\nX-Forwarded-Host: outer\r\n\r\n";
        assert_eq!(
            written(raw, &ForwardOptions::default(), None),
            "GET /base/x HTTP/1.1\r\nHost: [::1]\r\nX-Forwarded-Host: outer\r\n\
             x-forwarded-port: 80\r\nx-forwarded-proto: http\r\n\r\n"
        );
    }

    fn answered(raw: &[u8]) -> Result<(String, Answer), BadAnswer> {
        let mut headers = [httparse::EMPTY_HEADER; 16];
        let mut response = httparse::Response::new(&mut headers);
        assert!(response.parse(raw).unwrap().is_complete());
        let mut out = Vec::new();
        let answer = write_response(&mut out, &response)?;
        Ok((String::from_utf8(out).unwrap(), answer))
    }

    #[test]
    fn response_heads_keep_their_framing_and_lose_connection_headers() {
        let (head, answer) = answered(
            b"HTTP/1.1 200 Fine\r\nDate: d\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\
              Transfer-Encoding: chunked\r\nKeep-Alive: timeout=5\r\n\r\n",
        )
        .unwrap();
        assert_eq!(
            head,
            "HTTP/1.1 200 Fine\r\nDate: d\r\nTransfer-Encoding: chunked\r\n\r\n"
        );
        assert!(matches!(answer.framing, Framing::Chunked(_)) && answer.reusable);

        let (head, answer) = answered(b"HTTP/1.1 200 OK\r\nDate: d\r\n\r\n").unwrap();
        assert_eq!(
            head,
            "HTTP/1.1 200 OK\r\nDate: d\r\nconnection: close\r\n\r\n"
        );
        assert!(matches!(answer.framing, Framing::UntilClose) && !answer.reusable);

        let (_, answer) =
            answered(b"HTTP/1.1 304 Not Modified\r\nDate: d\r\nContent-Length: 10\r\n\r\n")
                .unwrap();
        assert!(answer.framing.is_done() && answer.reusable);

        let (head, answer) = answered(b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n").unwrap();
        assert!(head.contains("\r\ndate: ") && !answer.reusable);

        for bad in [
            &b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"[..],
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
            b"HTTP/1.1 101 Switching Protocols\r\n\r\n",
        ] {
            assert!(answered(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }
}
