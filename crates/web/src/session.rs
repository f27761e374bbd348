//! Browser sessions: JupyterHub's cookies, who a cookie belongs to, and the XSRF rules.
//!
//! Cookies (names as JupyterHub's, so deployers' scripts and single-user servers find them):
//! - the login cookie (`jupyterhub-hub-login`): the user's signed `cookie_id`, path `<base>hub/`;
//! - `jupyterhub-session-id`: a plain random id at `<base>`, which single-user servers read and
//!   which OAuth tokens record, so logout can revoke them;
//! - `_xsrf`: the page's XSRF token, as in JupyterHub, so scripts that copy it from the cookie jar
//!   into the login form keep working. Before login it is a signed random id (valid an hour);
//!   after, a MAC of the session id and the user's cookie id.
//!
//! Over HTTPS the login and XSRF cookies take the `__Host-` prefix (so they are host-only, `Secure`,
//! path `/`, and cannot be planted by a sibling domain), and only prefixed cookies are read. The
//! in-process proxy strips them from requests to other targets ([`HUB_ONLY_COOKIES`]); an external
//! proxy cannot, so behind one (`cookie_host_prefix` off) they stay unprefixed at `<base>hub/`.
//! Every cookie is `HttpOnly` and `SameSite=Lax`, and none has a `Domain`.

use cookie::{Cookie, SameSite};
use ganymede_core::{CoreError, Hub, HubSettings, Identity, SessionKeys};
use http::{HeaderMap, HeaderValue, Method, header};
use subtle::ConstantTimeEq;

/// The login cookie's name over plain HTTP.
pub(crate) const LOGIN_COOKIE: &str = "jupyterhub-hub-login";
/// The session id cookie's name (never prefixed: single-user servers read it by this name).
pub(crate) const SESSION_COOKIE: &str = "jupyterhub-session-id";
/// The anonymous XSRF id cookie's name over plain HTTP.
pub(crate) const XSRF_COOKIE: &str = "_xsrf";
/// JupyterHub's anonymous XSRF cookie lifetime.
const ANONYMOUS_XSRF_MAX_AGE: i64 = 3600;
/// The cookies only the hub may see: over HTTPS they have path `/`, so the proxy strips them
/// from requests to every other target.
pub const HUB_ONLY_COOKIES: [&str; 2] = ["__Host-jupyterhub-hub-login", "__Host-_xsrf"];
/// Legacy cookie JupyterHub still clears at logout.
const SERVICES_COOKIE: &str = "jupyterhub-services";

/// How a request reached the hub: the cookie names and attributes follow from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CookiePolicy {
    /// HTTPS: `Secure` cookies.
    pub(crate) secure: bool,
    /// HTTPS with a proxy that keeps the hub's cookies from other targets: `__Host-` cookies.
    prefixed: bool,
}

impl CookiePolicy {
    /// HTTPS when the hub's public URL is https or the proxy says the browser used https.
    pub(crate) fn for_request(settings: &HubSettings, headers: &HeaderMap) -> Self {
        let forwarded_https = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|proto| proto.split(',').next().map(str::trim) == Some("https"));
        let secure = settings.public_https || forwarded_https;
        Self {
            secure,
            prefixed: secure && settings.cookie_host_prefix,
        }
    }

    fn name(self, base: &'static str) -> String {
        if self.prefixed && base != SESSION_COOKIE {
            format!("__Host-{base}")
        } else {
            base.to_owned()
        }
    }

    /// A cookie with the hub's attributes; `path` is ignored under `__Host-` (which needs `/`).
    fn build(self, base: &'static str, value: String, path: &str) -> Cookie<'static> {
        let prefixed = self.prefixed && base != SESSION_COOKIE;
        let mut cookie = Cookie::new(self.name(base), value);
        cookie.set_path(if prefixed {
            "/".to_owned()
        } else {
            path.to_owned()
        });
        cookie.set_http_only(true);
        cookie.set_same_site(SameSite::Lax);
        cookie.set_secure(self.secure);
        cookie
    }
}

/// The cookies of a request, by name; with duplicate names (cookie tossing) every value is kept.
#[derive(Debug, Default)]
pub(crate) struct RequestCookies(Vec<(String, String)>);

impl RequestCookies {
    pub(crate) fn from_headers(headers: &HeaderMap) -> Self {
        let mut cookies = Vec::new();
        for value in headers.get_all(header::COOKIE) {
            let Ok(text) = value.to_str() else { continue };
            for cookie in Cookie::split_parse_encoded(text).flatten() {
                cookies.push((cookie.name().to_owned(), cookie.value().to_owned()));
            }
        }
        Self(cookies)
    }

    fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.0
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a request's cookies say about the browser.
#[derive(Debug)]
pub(crate) struct BrowserSession {
    /// The logged-in user, if the login cookie is valid and the user still exists.
    pub(crate) identity: Option<Identity>,
    /// The session id, if the browser has one.
    pub(crate) session_id: Option<String>,
    /// A validly signed anonymous `_xsrf` cookie: the token of a browser not logged in.
    anonymous_token: Option<String>,
    /// The `_xsrf` cookie as sent, to know whether it needs refreshing.
    xsrf_cookie: Option<String>,
    pub(crate) policy: CookiePolicy,
}

impl BrowserSession {
    /// Reads the cookies; a forged, expired or unknown login cookie is simply no login.
    pub(crate) async fn read(hub: &Hub, headers: &HeaderMap) -> Result<Self, CoreError> {
        let policy = CookiePolicy::for_request(hub.settings(), headers);
        let cookies = RequestCookies::from_headers(headers);
        let keys = hub.sessions();
        let now = hub.now_unix();
        let max_age = login_max_age_secs(hub);
        let login_name = policy.name(LOGIN_COOKIE);
        // The first validly signed value wins, so a tossed duplicate cannot shadow the real one.
        let cookie_id = cookies
            .values(&login_name)
            .find_map(|v| keys.verify(LOGIN_COOKIE, v, max_age, now));
        let identity = match cookie_id {
            Some(id) => match hub.authenticate_cookie(&id).await {
                Ok(identity) => Some(identity),
                Err(CoreError::Unauthenticated) => None,
                Err(other) => return Err(other),
            },
            None => None,
        };
        let session_id = cookies
            .values(SESSION_COOKIE)
            .find(|v| is_session_id(v))
            .map(str::to_owned);
        let xsrf_name = policy.name(XSRF_COOKIE);
        let anonymous_token = cookies
            .values(&xsrf_name)
            .find(|v| {
                keys.verify(XSRF_COOKIE, v, ANONYMOUS_XSRF_MAX_AGE, now)
                    .is_some()
            })
            .map(str::to_owned);
        let xsrf_cookie = cookies.values(&xsrf_name).next().map(str::to_owned);
        Ok(Self {
            identity,
            session_id,
            anonymous_token,
            xsrf_cookie,
            policy,
        })
    }

    /// The XSRF token this browser must present: once logged in, a MAC of the session id and
    /// the user's cookie id (so it stops working at logout and never crosses users); before,
    /// its signed anonymous `_xsrf` cookie.
    pub(crate) fn xsrf_token(&self, keys: &SessionKeys) -> Option<String> {
        match &self.identity {
            Some(identity) => {
                let cookie_id = match &identity.principal {
                    ganymede_core::Principal::User(user) => user.cookie_id.as_str(),
                    ganymede_core::Principal::Service(_) => "",
                };
                let session = self.session_id.as_deref().unwrap_or_default();
                Some(keys.xsrf_token(&format!("{session}:{cookie_id}")))
            }
            None => self.anonymous_token.clone(),
        }
    }

    /// Whether a request carries the right XSRF token (from `_xsrf` in the query or form, or the
    /// `X-XSRFToken` / `X-CSRFToken` header), compared in constant time.
    pub(crate) fn xsrf_ok(&self, keys: &SessionKeys, token: Option<&str>) -> bool {
        match (self.xsrf_token(keys), token) {
            (Some(expected), Some(token)) => {
                bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
            }
            _ => false,
        }
    }
}

/// Cookies a response sets so that the page's XSRF token will verify on the next request.
#[derive(Debug, Default)]
pub(crate) struct SessionCookies {
    set: Vec<Cookie<'static>>,
}

impl SessionCookies {
    /// Ensures the browser has what its XSRF token needs, and the `_xsrf` cookie holds it;
    /// returns the token for the page.
    pub(crate) fn ensure_xsrf(
        &mut self,
        hub: &Hub,
        session: &mut BrowserSession,
        base_url: &str,
    ) -> String {
        let path = format!("{base_url}hub/");
        if session.identity.is_some() {
            if session.session_id.is_none() {
                let id = new_session_id();
                self.set_session_id(session.policy, &id, base_url);
                session.session_id = Some(id);
            }
            let token = session.xsrf_token(hub.sessions()).unwrap_or_default();
            if session.xsrf_cookie.as_deref() != Some(token.as_str()) {
                self.set
                    .push(session.policy.build(XSRF_COOKIE, token.clone(), &path));
                session.xsrf_cookie = Some(token.clone());
            }
            return token;
        }
        if let Some(token) = &session.anonymous_token {
            return token.clone();
        }
        let signed = hub
            .sessions()
            .sign(XSRF_COOKIE, &new_session_id(), hub.now_unix());
        let mut cookie = session.policy.build(XSRF_COOKIE, signed.clone(), &path);
        cookie.set_max_age(cookie::time::Duration::seconds(ANONYMOUS_XSRF_MAX_AGE));
        self.set.push(cookie);
        session.anonymous_token = Some(signed.clone());
        session.xsrf_cookie = Some(signed.clone());
        signed
    }

    /// The browser's session id, set now if it has none (OAuth codes and tokens carry it, so
    /// logout can revoke them).
    pub(crate) fn ensure_session_id(
        &mut self,
        session: &mut BrowserSession,
        base_url: &str,
    ) -> String {
        if let Some(id) = &session.session_id {
            return id.clone();
        }
        let id = new_session_id();
        self.set_session_id(session.policy, &id, base_url);
        session.session_id = Some(id.clone());
        id
    }

    fn set_session_id(&mut self, policy: CookiePolicy, id: &str, base_url: &str) {
        self.set
            .push(policy.build(SESSION_COOKIE, id.to_owned(), base_url));
    }

    /// The cookies of a fresh login: a new session id and the signed cookie id.
    pub(crate) fn login(
        &mut self,
        hub: &Hub,
        policy: CookiePolicy,
        cookie_id: &str,
        base_url: &str,
    ) {
        self.set_session_id(policy, &new_session_id(), base_url);
        let signed = hub.sessions().sign(LOGIN_COOKIE, cookie_id, hub.now_unix());
        let mut cookie = policy.build(LOGIN_COOKIE, signed, &format!("{base_url}hub/"));
        cookie.set_max_age(cookie::time::Duration::seconds(login_max_age_secs(hub)));
        self.set.push(cookie);
        self.clear(policy, XSRF_COOKIE, &format!("{base_url}hub/"));
    }

    /// Clears every cookie JupyterHub clears at logout.
    pub(crate) fn logout(&mut self, policy: CookiePolicy, base_url: &str) {
        let hub_path = format!("{base_url}hub/");
        self.clear(policy, SESSION_COOKIE, base_url);
        self.clear(policy, LOGIN_COOKIE, &hub_path);
        self.clear(policy, XSRF_COOKIE, &hub_path);
        let mut services = Cookie::new(SERVICES_COOKIE, "");
        services.set_path(format!("{base_url}services"));
        services.make_removal();
        self.set.push(services);
    }

    fn clear(&mut self, policy: CookiePolicy, base: &'static str, path: &str) {
        let mut cookie = policy.build(base, String::new(), path);
        cookie.make_removal();
        self.set.push(cookie);
    }

    /// Adds the `Set-Cookie` headers to a response.
    pub(crate) fn apply(self, headers: &mut HeaderMap) {
        for cookie in self.set {
            if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
                headers.append(header::SET_COOKIE, value);
            }
        }
    }
}

/// A new random session id: 32 hex digits, like JupyterHub's `uuid4().hex`.
fn new_session_id() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

fn is_session_id(value: &str) -> bool {
    (16..=64).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_hexdigit())
}

fn login_max_age_secs(hub: &Hub) -> i64 {
    // Saturating float-to-int conversion: absurd configured ages become "very long", not a panic.
    (hub.settings().cookie_max_age_days * 86_400.0) as i64
}

/// The XSRF token a request presents: `_xsrf` in the query, then JupyterHub's two headers.
pub(crate) fn presented_xsrf<'a>(query: Option<&'a str>, headers: &'a HeaderMap) -> Option<String> {
    let from_query = query.and_then(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "_xsrf")
            .map(|(_, v)| v.into_owned())
    });
    from_query.or_else(|| {
        ["x-xsrftoken", "x-csrftoken"]
            .iter()
            .find_map(|h| headers.get(*h)?.to_str().ok().map(str::to_owned))
    })
}

/// Whether a cookie-authenticated API request must present an XSRF token. JupyterHub checks
/// API GETs too, except top-level navigations; `Sec-Fetch-Mode: no-cors` never exempts a
/// request (a cross-site `<img>` or `<form>` can send it).
pub(crate) fn api_needs_xsrf(method: &Method, headers: &HeaderMap) -> bool {
    if method == Method::HEAD || method == Method::OPTIONS {
        return false;
    }
    let mode = headers
        .get("sec-fetch-mode")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("navigate");
    !(method == Method::GET && mode == "navigate")
}

/// Whether a cookie-authenticated POST has a content type a cross-site form cannot send.
pub(crate) fn post_content_type_ok(method: &Method, headers: &HeaderMap) -> bool {
    if method != Method::POST {
        return true;
    }
    match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(value) => value
            .to_ascii_lowercase()
            .split(';')
            .any(|field| field.trim_start().starts_with("application/json")),
    }
}
