//! A browser for in-process page tests: a hub over in-memory SQLite with the shared-password
//! authenticator, and a cookie-keeping client that logs in through the real form.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Body;
use ganymede_config::{AuthenticatorSection, Secret};
use ganymede_core::{Hub, HubSettings};
use ganymede_db::Db;
use http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

pub const USER_PASSWORD: &str = "user-password-1";
pub const ADMIN_PASSWORD: &str = "admin-password-0123456789-0123456789";

pub async fn site_with(settings: HubSettings, section: AuthenticatorSection) -> (axum::Router, Db) {
    let db = Db::connect_or_init("sqlite::memory:").await.unwrap();
    let hub = Arc::new(Hub::new(db.clone(), settings).with_cookie_secret(&[7; 32]));
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
    (ganymede_web::router(hub).merge(pages), db)
}

pub fn section() -> AuthenticatorSection {
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

pub async fn site() -> axum::Router {
    site_with(HubSettings::default(), section()).await.0
}

/// A minimal browser: keeps cookies by name (last write wins, removals delete).
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
    pub headers: Vec<(String, String)>,
}

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map_or("", |v| v.to_str().unwrap())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// The hidden `_xsrf` value of the page's form (or the body's `data-xsrf`).
    pub fn xsrf(&self) -> String {
        let marker = "data-xsrf=\"";
        let start = self.body.find(marker).expect("page has an xsrf token") + marker.len();
        let end = self.body[start..].find('"').unwrap();
        self.body[start..start + end].to_owned()
    }
}

impl Browser {
    pub async fn send(
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

    pub async fn get(&mut self, app: &axum::Router, path: &str) -> Page {
        self.send(app, "GET", path, &[], None).await
    }

    pub async fn login(
        &mut self,
        app: &axum::Router,
        user: &str,
        password: &str,
        next: &str,
    ) -> Page {
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
