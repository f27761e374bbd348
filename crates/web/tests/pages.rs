//! The pages and browser sessions in-process: login with the shared-password authenticator,
//! cookies, XSRF on forms and cookie-authenticated API calls, `next` redirects, escaping,
//! the admin page's scope check, logout, and the login limiter.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use ganymede_config::{AuthenticatorSection, Secret};
use ganymede_core::{Hub, HubSettings};
use ganymede_db::Db;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

const USER_PASSWORD: &str = "user-password-1";
const ADMIN_PASSWORD: &str = "admin-password-0123456789-0123456789";

async fn site_with(settings: HubSettings, section: AuthenticatorSection) -> axum::Router {
    let db = Db::connect_or_init("sqlite::memory:").await.unwrap();
    let hub = Arc::new(Hub::new(db, settings).with_cookie_secret(&[7; 32]));
    let login = ganymede_web::LoginService::from_config(&section).unwrap();
    let pages = ganymede_web::pages_router(
        Arc::clone(&hub),
        ganymede_web::SiteConfig {
            template_paths: Vec::new(),
            template_vars: BTreeMap::new(),
            login,
            shutdown_on_logout: false,
        },
    );
    ganymede_web::router(hub).merge(pages)
}

fn section() -> AuthenticatorSection {
    let mut section = AuthenticatorSection {
        allow_all: true,
        allowed_failed_logins: 3,
        ..AuthenticatorSection::default()
    };
    section.admin_users.insert("boss".to_owned());
    section.shared_password.user_password = Some(Secret::from(USER_PASSWORD));
    section.shared_password.admin_password = Some(Secret::from(ADMIN_PASSWORD));
    section
}

async fn site() -> axum::Router {
    site_with(HubSettings::default(), section()).await
}

/// A minimal browser: keeps cookies by name (last write wins, removals delete).
#[derive(Default, Clone)]
struct Browser {
    cookies: BTreeMap<String, String>,
    headers: Vec<(String, String)>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The hidden `_xsrf` value of the page's form (or the body's `data-xsrf`).
    fn xsrf(&self) -> String {
        let marker = "data-xsrf=\"";
        let start = self.body.find(marker).expect("page has an xsrf token") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }
}

impl Browser {
    async fn send(
        &mut self,
        app: &axum::Router,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: Option<String>,
    ) -> Page {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "hub.test:8000");
        if !self.cookies.is_empty() {
            let cookie = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request = request.header("cookie", cookie);
        }
        for (k, v) in &self.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        for (k, v) in extra {
            request = request.header(*k, *v);
        }
        let response = app
            .clone()
            .oneshot(
                request
                    .body(body.map_or_else(Body::empty, Body::from))
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        for set in headers.get_all(header::SET_COOKIE) {
            let text = set.to_str().unwrap();
            let (pair, attrs) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") || attrs.contains("1970") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, app: &axum::Router, path: &str) -> Page {
        self.send(app, "GET", path, &[], None).await
    }

    async fn login(&mut self, app: &axum::Router, user: &str, password: &str, next: &str) -> Page {
        let form = self.get(app, "/hub/login").await;
        assert_eq!(form.status, StatusCode::OK);
        let xsrf = form.xsrf();
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("username", user)
            .append_pair("password", password)
            .append_pair("_xsrf", &xsrf)
            .append_pair("next", next)
            .finish();
        self.send(
            app,
            "POST",
            "/hub/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(body),
        )
        .await
    }
}

#[tokio::test]
async fn login_sets_cookies_and_follows_a_safe_next() {
    let app = site().await;
    let mut browser = Browser::default();
    let form = browser.get(&app, "/hub/login?next=%2Fhub%2Ftoken").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"_xsrf\""), "{}", form.body);
    assert!(
        form.body.contains("value=\"&#x2f;hub&#x2f;token\""),
        "{}",
        form.body
    );
    let anon = form.set_cookies().join("\n");
    assert!(
        anon.contains("_xsrf=") && anon.contains("Max-Age=3600"),
        "{anon}"
    );
    assert!(
        anon.contains("HttpOnly") && anon.contains("SameSite=Lax"),
        "{anon}"
    );
    assert!(!anon.contains("Domain="), "cookies are host-only: {anon}");

    let done = browser
        .login(&app, "Alice", USER_PASSWORD, "/hub/token")
        .await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    assert_eq!(done.location(), "/hub/token");
    let set = done.set_cookies().join("\n");
    let cookie = |name: &str| {
        done.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(name))
            .unwrap_or_else(|| panic!("{name} is set: {set}"))
    };
    assert!(
        cookie("jupyterhub-hub-login=").contains("Path=/hub/"),
        "{set}"
    );
    assert!(
        cookie("jupyterhub-session-id=").ends_with("Path=/"),
        "{set}"
    );
    assert!(!set.contains("Secure"), "plain HTTP: {set}");

    // the name was normalised to lowercase; the home page shows it
    let home = browser.get(&app, "/hub/home").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("data-user=\"alice\""), "{}", home.body);

    // an unsafe next falls back to the home page
    for next in [
        "//evil.com/x",
        "/\\evil.com",
        "https:evil.com",
        "https://evil.com/",
    ] {
        let mut other = Browser::default();
        let done = other.login(&app, "bob", USER_PASSWORD, next).await;
        assert_eq!(done.location(), "/hub/home", "next={next}");
    }
}

#[tokio::test]
async fn wrong_passwords_and_forms_without_xsrf_are_refused() {
    let app = site().await;
    let mut browser = Browser::default();
    let page = browser.login(&app, "alice", "wrong-password", "").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("Invalid username or password"));
    assert!(!browser.cookies.contains_key("jupyterhub-hub-login"));

    // no token, a token from another browser
    let body = "username=alice&password=user-password-1".to_owned();
    let page = browser
        .send(
            &app,
            "POST",
            "/hub/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(body.clone()),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let mut other = Browser::default();
    let other_token = other.get(&app, "/hub/login").await.xsrf();
    let page = browser
        .send(
            &app,
            "POST",
            "/hub/login",
            &[
                ("content-type", "application/x-www-form-urlencoded"),
                ("sec-fetch-mode", "no-cors"),
                ("sec-fetch-site", "same-origin"),
            ],
            Some(format!("{body}&_xsrf={other_token}")),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "Sec-Fetch headers never exempt"
    );
    assert!(!browser.cookies.contains_key("jupyterhub-hub-login"));
}

#[tokio::test]
async fn reflected_values_are_html_escaped() {
    let app = site().await;
    let mut browser = Browser::default();
    let evil = "<script>alert(1)</script>";
    let page = browser.login(&app, evil, "wrong-password", "").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(page.body.contains("&lt;script&gt;"), "{}", page.body);
    let page = browser
        .get(&app, "/hub/login?next=%2F%22%3E%3Cscript%3Ex")
        .await;
    assert!(!page.body.contains("\"><script>"), "{}", page.body);
}

#[tokio::test]
async fn cookie_api_calls_need_xsrf_and_json() {
    let app = site().await;
    let mut browser = Browser::default();
    browser.login(&app, "boss", ADMIN_PASSWORD, "").await;
    let token = browser.get(&app, "/hub/home").await.xsrf();

    // a navigation GET needs no token; fetch() GETs and every POST do
    let page = browser.get(&app, "/hub/api/user").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("\"name\":\"boss\""), "{}", page.body);
    let cors = [("sec-fetch-mode", "cors")];
    let page = browser
        .send(&app, "GET", "/hub/api/user", &cors, None)
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        page.body.contains("'_xsrf' argument missing from GET"),
        "{}",
        page.body
    );
    let page = browser
        .send(
            &app,
            "GET",
            "/hub/api/user",
            &[("sec-fetch-mode", "cors"), ("x-xsrftoken", &token)],
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let page = browser
        .send(
            &app,
            "GET",
            &format!("/hub/api/user?_xsrf={token}"),
            &cors,
            None,
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);

    let create = r#"{"usernames": ["carol"]}"#.to_owned();
    for headers in [
        vec![("content-type", "application/json")],
        vec![
            ("content-type", "application/json"),
            ("sec-fetch-mode", "no-cors"),
            ("sec-fetch-site", "same-origin"),
        ],
        vec![
            ("content-type", "application/json"),
            ("sec-fetch-mode", "navigate"),
        ],
        vec![
            ("content-type", "application/json"),
            ("x-xsrftoken", "forged"),
        ],
        vec![
            ("content-type", "text/plain"),
            ("x-xsrftoken", token.as_str()),
        ],
    ] {
        let page = browser
            .send(
                &app,
                "POST",
                "/hub/api/users",
                &headers,
                Some(create.clone()),
            )
            .await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{headers:?}: {}",
            page.body
        );
    }
    let page = browser
        .send(
            &app,
            "POST",
            "/hub/api/users",
            &[
                ("content-type", "application/json"),
                ("x-xsrftoken", &token),
            ],
            Some(create),
        )
        .await;
    assert_eq!(page.status, StatusCode::CREATED, "{}", page.body);
}

#[tokio::test]
async fn admin_page_needs_admin_ui() {
    let app = site().await;
    let mut user = Browser::default();
    user.login(&app, "alice", USER_PASSWORD, "").await;
    assert_eq!(
        user.get(&app, "/hub/admin").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(user.get(&app, "/hub/token").await.status, StatusCode::OK);
    let mut admin = Browser::default();
    let done = admin.login(&app, "boss", ADMIN_PASSWORD, "").await;
    assert_eq!(done.status, StatusCode::FOUND);
    let page = admin.get(&app, "/hub/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"users\""));
    // the admin password is only the admin's; the user password is not the admin's
    let mut other = Browser::default();
    assert_eq!(
        other.login(&app, "boss", USER_PASSWORD, "").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        other.login(&app, "alice", ADMIN_PASSWORD, "").await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn logout_clears_the_session() {
    let app = site().await;
    let mut browser = Browser::default();
    browser.login(&app, "alice", USER_PASSWORD, "").await;
    let stolen = browser.clone();
    let page = browser.get(&app, "/hub/logout").await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert_eq!(page.location(), "/hub/login");
    let cleared = page.set_cookies().join("\n");
    for name in [
        "jupyterhub-hub-login=",
        "jupyterhub-session-id=",
        "_xsrf=",
        "jupyterhub-services=",
    ] {
        assert!(cleared.contains(name), "{name} cleared: {cleared}");
    }
    let home = browser.get(&app, "/hub/home").await;
    assert_eq!(home.status, StatusCode::FOUND);
    assert_eq!(home.location(), "/hub/login?next=%2Fhub%2Fhome");
    // a copied cookie still works until the user logs out everywhere (as JupyterHub's)
    let mut stolen = stolen;
    assert_eq!(stolen.get(&app, "/hub/home").await.status, StatusCode::OK);
}

#[tokio::test]
async fn https_cookies_use_the_host_prefix() {
    let settings = HubSettings {
        public_https: true,
        ..HubSettings::default()
    };
    let app = site_with(settings, section()).await;
    let mut browser = Browser::default();
    let done = browser.login(&app, "alice", USER_PASSWORD, "").await;
    assert_eq!(done.status, StatusCode::FOUND, "{}", done.body);
    let set = done.set_cookies();
    let login = set
        .iter()
        .find(|c| c.starts_with("__Host-jupyterhub-hub-login="))
        .expect("prefixed login cookie");
    assert!(
        login.contains("Secure") && login.contains("Path=/;") || login.ends_with("Path=/"),
        "{login}"
    );
    assert!(!login.contains("Domain="), "{login}");
    assert!(browser.get(&app, "/hub/home").await.status == StatusCode::OK);
    // an unprefixed cookie planted over plain HTTP is ignored
    let mut planted = Browser::default();
    let value = browser.cookies["__Host-jupyterhub-hub-login"].clone();
    planted
        .cookies
        .insert("jupyterhub-hub-login".to_owned(), value);
    assert_eq!(
        planted.get(&app, "/hub/home").await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn failed_logins_are_limited() {
    let app = site().await;
    let mut browser = Browser::default();
    for _ in 0..3 {
        assert_eq!(
            browser
                .login(&app, "alice", "wrong-password", "")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
    }
    let page = browser.login(&app, "alice", USER_PASSWORD, "").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.body.contains("Too many failed login attempts"),
        "{}",
        page.body
    );
    // other users are not affected
    assert_eq!(
        browser.login(&app, "bob", USER_PASSWORD, "").await.status,
        StatusCode::FOUND
    );
}

#[tokio::test]
async fn redirects_into_the_hub_and_error_pages() {
    let app = site().await;
    let mut browser = Browser::default();
    let page = browser.get(&app, "/").await;
    assert_eq!((page.status, page.location()), (StatusCode::FOUND, "/hub/"));
    let page = browser.get(&app, "/hub/").await;
    assert_eq!(page.location(), "/hub/login?next=%2Fhub%2F");
    let page = browser.get(&app, "/user/alice/lab?x=1").await;
    assert_eq!(page.location(), "/hub/user/alice/lab?x=1");
    let page = browser.get(&app, "/hub/nope").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("404"));
    let page = browser.get(&app, "/hub/error/503").await;
    assert_eq!(page.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(page.body.contains("Your server appears to be down"));
    let page = browser.get(&app, "/hub/api/nope").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(
        page.body.starts_with('{'),
        "API 404s stay JSON: {}",
        page.body
    );
    let page = browser.get(&app, "/hub/static/style.css").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.headers[header::CONTENT_TYPE],
        "text/css; charset=utf-8"
    );
}

#[tokio::test]
async fn metrics_count_logins_and_need_read_metrics() {
    let app = site().await;
    let mut admin = Browser::default();
    admin.login(&app, "boss", ADMIN_PASSWORD, "").await;
    let mut user = Browser::default();
    user.login(&app, "alice", "wrong-password", "").await;
    user.login(&app, "alice", USER_PASSWORD, "").await;
    assert_eq!(
        user.get(&app, "/hub/metrics").await.status,
        StatusCode::FORBIDDEN
    );
    let page = admin.get(&app, "/hub/metrics").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for line in [
        "ganymede_logins_total{outcome=\"success\"} 2",
        "ganymede_logins_total{outcome=\"wrong_credentials\"} 1",
        "jupyterhub_total_users 2",
        "jupyterhub_login_duration_seconds_count{status=\"failure\"} 1",
        "handler=\"/hub/login\"",
    ] {
        assert!(page.body.contains(line), "{line} in {}", page.body);
    }
    let page = admin.get(&app, "/hub/api/metrics").await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn oversized_bodies_and_names_are_refused_before_use() {
    let app = site().await;
    let mut browser = Browser::default();
    let xsrf = browser.get(&app, "/hub/login").await.xsrf();
    let huge = format!(
        "username=alice&password={}&_xsrf={xsrf}",
        "x".repeat(3 << 20)
    );
    let page = browser
        .send(
            &app,
            "POST",
            "/hub/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            Some(huge),
        )
        .await;
    assert_eq!(page.status, StatusCode::PAYLOAD_TOO_LARGE);
    let long_name = "a".repeat(10_000);
    let page = browser.login(&app, &long_name, USER_PASSWORD, "").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(
        !page.body.contains(&long_name),
        "the long name is not echoed"
    );
}
