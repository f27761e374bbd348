//! Header rewriting between client and target: hop-by-hop removal, `X-Forwarded-*`, `Location`.

use http::Uri;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};

use crate::config::ForwardOptions;

/// Headers that describe one connection, not the message, and so never cross the proxy.
///
/// `HeaderName`s, not strings: a string name is parsed and validated on every lookup.
pub(crate) const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    HeaderName::from_static("proxy-connection"),
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
    HeaderName::from_static("http2-settings"),
];

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
const X_FORWARDED_PORT: HeaderName = HeaderName::from_static("x-forwarded-port");
const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");

/// Whether a request asks to switch protocols (a WebSocket handshake, in practice).
pub(crate) fn is_upgrade_request(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE)
        && headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|token| token.trim().eq_ignore_ascii_case("upgrade"))
}

/// Removes hop-by-hop headers and whatever `Connection` names; an upgrade keeps `Upgrade` and
/// gets `Connection: upgrade` back, since the target must see the handshake.
pub(crate) fn strip_hop_by_hop(headers: &mut HeaderMap, upgrade: bool) {
    // Most messages carry none of them, or only `Connection`: one pass over the few headers
    // present is cheaper than eight hashed removals.
    if headers.keys().any(|name| HOP_BY_HOP.contains(name)) {
        let upgrade_value = headers.get(header::UPGRADE).cloned();
        let listed: Vec<HeaderName> = headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|token| HeaderName::from_bytes(token.trim().as_bytes()).ok())
            .collect();
        for name in listed {
            headers.remove(name);
        }
        for name in &HOP_BY_HOP {
            headers.remove(name);
        }
        if upgrade && let Some(value) = upgrade_value {
            headers.insert(header::UPGRADE, value);
        }
    }
    if upgrade {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
}

/// The port a `Host` value names, if it names one (`[::1]` names none).
pub(crate) fn host_port(host: &str) -> Option<&str> {
    host.rsplit_once(':').map(|(_, port)| port).filter(|port| {
        !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(']')
    })
}

/// `host:port` of a target URL as it is written, the port left out when it is the default:
/// what `--change-origin` sends as `Host`, and the key of the pools.
pub(crate) fn target_authority(target: &url::Url) -> &str {
    &target[url::Position::BeforeHost..url::Position::AfterPort]
}

/// What the proxy knows about the client side of a request.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientSide {
    /// The client's IP address; `None` on a Unix socket.
    pub(crate) ip: Option<std::net::IpAddr>,
    /// Whether the client connected over TLS.
    pub(crate) tls: bool,
}

/// Adds `X-Forwarded-For/-Port/-Proto` (appended to what a previous proxy sent) and
/// `X-Forwarded-Host` (kept if already set), the way configurable-http-proxy does.
pub(crate) fn add_x_forwarded(headers: &mut HeaderMap, client: ClientSide, websocket: bool) {
    let host = headers.get(header::HOST).cloned();
    let host_text = host.as_ref().and_then(|v| v.to_str().ok()).unwrap_or("");
    let port = host_port(host_text)
        .and_then(|port| HeaderValue::from_str(port).ok())
        .unwrap_or_else(|| HeaderValue::from_static(if client.tls { "443" } else { "80" }));
    let proto = HeaderValue::from_static(match (websocket, client.tls) {
        (false, false) => "http",
        (false, true) => "https",
        (true, false) => "ws",
        (true, true) => "wss",
    });
    let ip = client.ip.and_then(|ip| {
        // Formatted on the stack: an address is at most 45 bytes.
        let mut buffer = [0u8; 64];
        let mut cursor = std::io::Cursor::new(&mut buffer[..]);
        std::io::Write::write_fmt(&mut cursor, format_args!("{ip}")).ok()?;
        let written = usize::try_from(cursor.position()).ok()?;
        HeaderValue::from_bytes(&buffer[..written]).ok()
    });
    for (name, value) in [
        (X_FORWARDED_FOR, ip),
        (X_FORWARDED_PORT, Some(port)),
        (X_FORWARDED_PROTO, Some(proto)),
    ] {
        let Some(value) = value else { continue };
        let combined = match headers.get(&name).map(HeaderValue::as_bytes) {
            Some(previous) if !previous.is_empty() => {
                HeaderValue::from_bytes(&[previous, b",", value.as_bytes()].concat()).ok()
            }
            _ => Some(value),
        };
        if let Some(combined) = combined {
            headers.insert(name, combined);
        }
    }
    if !headers.contains_key(X_FORWARDED_HOST) {
        headers.insert(
            X_FORWARDED_HOST,
            host.unwrap_or_else(|| HeaderValue::from_static("")),
        );
    }
}

/// `--auto-rewrite` and `--protocol-rewrite`: a redirect that points at the target is made to
/// point at the proxy instead.
pub(crate) fn rewrite_location(
    headers: &mut HeaderMap,
    status: http::StatusCode,
    target: &url::Url,
    request_host: Option<&str>,
    options: &ForwardOptions,
) {
    if !(options.auto_rewrite || options.protocol_rewrite.is_some()) {
        return;
    }
    if !matches!(status.as_u16(), 201 | 301 | 302 | 307 | 308) {
        return;
    }
    let Some(location) = headers.get(header::LOCATION).and_then(|v| v.to_str().ok()) else {
        return;
    };
    let Ok(mut url) = url::Url::parse(location) else {
        return;
    };
    if url.host_str() != target.host_str()
        || url.port_or_known_default() != target.port_or_known_default()
    {
        return;
    }
    if options.auto_rewrite
        && let Some(host) = request_host
    {
        let Ok(authority) = host.parse::<http::uri::Authority>() else {
            return;
        };
        if url.set_host(Some(authority.host())).is_err()
            || url.set_port(authority.port_u16()).is_err()
        {
            return;
        }
    }
    if let Some(scheme) = &options.protocol_rewrite
        && url.set_scheme(scheme).is_err()
    {
        return;
    }
    if let Ok(value) = HeaderValue::from_str(url.as_str()) {
        headers.insert(header::LOCATION, value);
    }
}

/// The request's host (the `Host` header, else the HTTP/2 `:authority`), port included.
pub(crate) fn request_host<'a>(headers: &'a HeaderMap, uri: &'a Uri) -> Option<&'a str> {
    headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| uri.authority().map(http::uri::Authority::as_str))
}

/// [`request_host`] as a header value: the `Host` header shares the request's buffer, so this
/// copies nothing in the usual case.
pub(crate) fn request_host_value(headers: &HeaderMap, uri: &Uri) -> Option<HeaderValue> {
    match headers.get(header::HOST) {
        Some(host) => Some(host.clone()),
        None => uri
            .authority()
            .and_then(|authority| HeaderValue::from_str(authority.as_str()).ok()),
    }
}

/// Removes the cookies named in `names` from the request's `Cookie` headers; a header left
/// empty is dropped. Names match exactly (cookie names are case-sensitive).
pub(crate) fn strip_cookies(headers: &mut HeaderMap, names: &[String]) {
    let values: Vec<HeaderValue> = headers.get_all(header::COOKIE).iter().cloned().collect();
    if values.is_empty() {
        return;
    }
    let mut kept_any = Vec::new();
    let mut changed = false;
    for value in &values {
        let Ok(text) = value.to_str() else {
            kept_any.push(value.clone());
            continue;
        };
        let kept: Vec<&str> = text
            .split(';')
            .map(str::trim)
            .filter(|pair| {
                let name = pair.split_once('=').map_or(*pair, |(name, _)| name).trim();
                let private = names.iter().any(|n| n == name);
                changed |= private;
                !private && !pair.is_empty()
            })
            .collect();
        if !kept.is_empty()
            && let Ok(value) = HeaderValue::from_str(&kept.join("; "))
        {
            kept_any.push(value);
        }
    }
    if changed {
        headers.remove(header::COOKIE);
        for value in kept_any {
            headers.append(header::COOKIE, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upgrade_detection() {
        let mut headers = HeaderMap::new();
        assert!(!is_upgrade_request(&headers));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, Upgrade"),
        );
        assert!(is_upgrade_request(&headers));
        headers.insert(header::CONNECTION, HeaderValue::from_static("keep-alive"));
        assert!(!is_upgrade_request(&headers));
    }

    #[test]
    fn hop_by_hop_headers_are_removed() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert(
            header::TRANSFER_ENCODING,
            HeaderValue::from_static("chunked"),
        );
        headers.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers, false);
        let names: Vec<_> = headers.keys().map(HeaderName::as_str).collect();
        assert_eq!(names, ["x-kept"]);
    }

    #[test]
    fn x_forwarded_cases() {
        let ip = Some(
            "10.1.2.3"
                .parse()
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0])),
        );
        // (Host, previous X-Forwarded-For, tls, websocket, expected for, port, proto, host)
        let cases = [
            (
                Some("hub.example.org:8000"),
                None,
                false,
                false,
                "10.1.2.3",
                "8000",
                "http",
                "hub.example.org:8000",
            ),
            (
                Some("hub.example.org"),
                None,
                true,
                false,
                "10.1.2.3",
                "443",
                "https",
                "hub.example.org",
            ),
            (
                Some("hub.example.org"),
                Some("1.1.1.1"),
                false,
                true,
                "1.1.1.1,10.1.2.3",
                "80",
                "ws",
                "hub.example.org",
            ),
            (
                Some("[::1]:9"),
                None,
                true,
                true,
                "10.1.2.3",
                "9",
                "wss",
                "[::1]:9",
            ),
            (None, None, false, false, "10.1.2.3", "80", "http", ""),
        ];
        for (host, previous, tls, websocket, xff, port, proto, xfh) in cases {
            let mut headers = HeaderMap::new();
            if let Some(host) = host {
                headers.insert(header::HOST, HeaderValue::from_static(host));
            }
            if let Some(previous) = previous {
                headers.insert("x-forwarded-for", HeaderValue::from_static(previous));
            }
            add_x_forwarded(&mut headers, ClientSide { ip, tls }, websocket);
            let get = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned()
            };
            assert_eq!(
                [
                    get("x-forwarded-for"),
                    get("x-forwarded-port"),
                    get("x-forwarded-proto"),
                    get("x-forwarded-host")
                ],
                [xff, port, proto, xfh],
                "host {host:?} tls {tls} ws {websocket}"
            );
        }
    }

    #[test]
    fn private_cookies_are_stripped_and_the_rest_kept() {
        let names = vec![
            "__Host-jupyterhub-hub-login".to_owned(),
            "__Host-_xsrf".to_owned(),
        ];
        let cases: &[(&[&str], &[&str])] = &[
            (
                &["a=1; __Host-jupyterhub-hub-login=secret; b=2"],
                &["a=1; b=2"],
            ),
            (&["__Host-jupyterhub-hub-login=secret"], &[]),
            (&["__Host-_xsrf=t", "c=3"], &["c=3"]),
            (
                &["jupyterhub-hub-login=plain; x=1"],
                &["jupyterhub-hub-login=plain; x=1"],
            ),
            (
                &["__host-jupyterhub-hub-login=other-case"],
                &["__host-jupyterhub-hub-login=other-case"],
            ),
        ];
        for (given, expected) in cases {
            let mut headers = HeaderMap::new();
            for value in *given {
                headers.append(header::COOKIE, HeaderValue::from_str(value).unwrap());
            }
            strip_cookies(&mut headers, &names);
            let got: Vec<&str> = headers
                .get_all(header::COOKIE)
                .iter()
                .map(|v| v.to_str().unwrap())
                .collect();
            assert_eq!(got, *expected, "{given:?}");
        }
    }
}
