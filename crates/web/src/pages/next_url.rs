//! `next` redirects: only same-origin paths survive.
//!
//! Browsers are lenient where parsers are strict, so an attacker's URL is judged the way a
//! browser would read it: `\` is a `/`, tabs and newlines vanish, and any number of leading
//! slashes make a host. Anything that could leave this origin is dropped (the caller falls back
//! to its default page), and what remains is percent-encoded into a valid `Location`.

use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};

/// Bytes escaped in a `Location` path: controls, space, and the characters that are not valid
/// there. `%` stays as is, so already-encoded paths are not encoded twice.
const LOCATION: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'<')
    .add(b'>')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// The same-origin path `next` points to, or `None` if it could lead elsewhere.
///
/// `host` is the request's `Host` (with port), so `http://<host>/x` and `//<host>/x` are
/// accepted as `/x`, as JupyterHub accepts them.
pub(crate) fn safe_next(next: &str, host: Option<&str>) -> Option<String> {
    if next.is_empty() || next.len() > 4096 {
        return None;
    }
    // Browsers strip tabs and newlines from URLs; refuse rather than guess.
    if next.chars().any(char::is_control) {
        return None;
    }
    // Browsers read `\` as `/`, so `/\evil.com` is another host to them: refuse any.
    if next.contains('\\') {
        return None;
    }
    let path = match host.and_then(|host| strip_own_origin(next, host)) {
        Some(path) => path,
        None => next.to_owned(),
    };
    let bytes = path.as_bytes();
    let is_path = bytes.first() == Some(&b'/') && bytes.get(1) != Some(&b'/');
    if !is_path {
        return None;
    }
    Some(utf8_percent_encode(&path, LOCATION).to_string())
}

/// `scheme://host/rest` or `//host/rest` (any number of leading slashes) for our own host,
/// turned into `/rest`.
fn strip_own_origin(next: &str, host: &str) -> Option<String> {
    let after_scheme = ["http:", "https:"]
        .iter()
        .find_map(|scheme| {
            next.get(..scheme.len())
                .filter(|prefix| prefix.eq_ignore_ascii_case(scheme))
                .map(|_| &next[scheme.len()..])
        })
        .unwrap_or(next);
    let authority_and_rest = after_scheme.strip_prefix("//")?.trim_start_matches('/');
    let (authority, rest) = match authority_and_rest.find(['/', '?', '#']) {
        Some(i) => authority_and_rest.split_at(i),
        None => (authority_and_rest, ""),
    };
    if !authority.eq_ignore_ascii_case(host) {
        return None;
    }
    Some(format!("/{}", rest.trim_start_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_same_origin_paths_survive() {
        let host = Some("hub.example.org:8000");
        let cases: &[(&str, Option<&str>)] = &[
            ("/user/alice/lab", Some("/user/alice/lab")),
            ("/hub/home?x=1#frag", Some("/hub/home?x=1#frag")),
            ("/user/a b/é", Some("/user/a%20b/%C3%A9")),
            ("/user/alice%2Flab", Some("/user/alice%2Flab")),
            (
                "http://hub.example.org:8000/user/alice/",
                Some("/user/alice/"),
            ),
            ("https://HUB.example.org:8000/x?y", Some("/x?y")),
            ("//hub.example.org:8000/x", Some("/x")),
            ("///hub.example.org:8000//x", Some("/x")),
            ("http://hub.example.org:8000", Some("/")),
            // elsewhere
            ("//evil.com", None),
            ("///evil.com", None),
            ("////evil.com/x", None),
            ("/\\evil.com", None),
            ("\\\\evil.com", None),
            ("/\\/evil.com", None),
            ("https:evil.com", None),
            ("https:/evil.com", None),
            ("http://evil.com/", None),
            ("http://hub.example.org:8000.evil.com/", None),
            ("http://hub.example.org:8000@evil.com/", None),
            ("//hub.example.org:8000@evil.com/", None),
            ("javascript:alert(1)", None),
            ("data:text/html,x", None),
            ("/\t/evil.com", None),
            ("/\n/evil.com", None),
            ("evil.com", None),
            ("", None),
            ("?next=/x", None),
        ];
        for (next, expected) in cases {
            assert_eq!(
                safe_next(next, host).as_deref(),
                *expected,
                "safe_next({next:?})"
            );
        }
    }

    #[test]
    fn backslashes_are_refused_anywhere() {
        assert_eq!(safe_next("/a\\b", None), None);
        assert_eq!(
            safe_next("/%5Cevil.com", None).as_deref(),
            Some("/%5Cevil.com")
        );
    }
}
