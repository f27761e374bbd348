//! The hub's HTML pages: login and logout, home, tokens, admin, errors, and the redirects a
//! browser meets on its way there.
//!
//! Every page request reads the browser's cookies into a [`Visit`]; a page renders through
//! [`Site::page`], which adds the common context (user, XSRF token, URLs) and the cookies the
//! visit needs.

mod admin_groups;
mod assets;
mod login;
mod next_url;
mod oauth;
mod panels;
mod spawn;
mod templates;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use ganymede_core::{Hub, Identity, Principal};
use http::request::Parts;
use http::{HeaderValue, StatusCode, header};
use minijinja::{Value, context};

pub use login::LoginService;
use templates::Templates;

use crate::session::{BrowserSession, SessionCookies};

/// What the pages need besides the hub.
#[derive(Debug)]
pub struct SiteConfig {
    /// Directories searched for templates before the built-in ones (`hub.template_paths`).
    pub template_paths: Vec<PathBuf>,
    /// Extra variables for every template (`hub.template_vars`).
    pub template_vars: BTreeMap<String, serde_json::Value>,
    /// The authenticator and the login policy.
    pub login: LoginService,
    /// Stop all of a user's servers when they log out (`hub.shutdown_on_logout`); takes effect
    /// once servers can be started.
    pub shutdown_on_logout: bool,
}

/// The pages' shared state.
#[derive(Debug)]
pub(crate) struct Site {
    hub: Arc<Hub>,
    templates: Templates,
    login: LoginService,
    base_url: String,
}

/// The routes of the pages, under `<base_url>hub/`, plus the redirects from `<base_url>`.
pub fn router(hub: Arc<Hub>, config: SiteConfig) -> Router {
    let base_url = hub.settings().base_url.clone();
    let mut vars = config.template_vars;
    vars.insert("base_url".to_owned(), base_url.clone().into());
    vars.insert("prefix".to_owned(), base_url.clone().into());
    let observe =
        axum::middleware::from_fn_with_state(Arc::clone(&hub), crate::api::observe_request);
    let site = Arc::new(Site {
        hub,
        templates: Templates::new(config.template_paths, vars, &base_url),
        login: config.login,
        base_url: base_url.clone(),
    });
    let hub_prefix = format!("{base_url}hub");
    Router::new()
        .route(&hub_prefix, get(panels::add_slash))
        .route(&format!("{hub_prefix}/"), get(panels::hub_root))
        .route(
            &format!("{hub_prefix}/login"),
            get(login::login_page).post(login::login_submit),
        )
        .route(&format!("{hub_prefix}/logout"), get(login::logout))
        .route(&format!("{hub_prefix}/home"), get(panels::home))
        .route(&format!("{hub_prefix}/token"), get(panels::token))
        .route(&format!("{hub_prefix}/admin"), get(panels::admin))
        .route(
            &format!("{hub_prefix}/admin/groups"),
            get(admin_groups::groups),
        )
        .route(
            &format!("{hub_prefix}/admin/groups/{{name}}"),
            get(admin_groups::group),
        )
        .route(
            &format!("{hub_prefix}/error/{{code}}"),
            get(panels::error_page),
        )
        .route(
            &format!("{hub_prefix}/api/oauth2/authorize"),
            get(oauth::authorize_get).post(oauth::authorize_post),
        )
        .route(
            &format!("{hub_prefix}/spawn"),
            get(spawn::spawn_page).post(spawn::spawn_submit),
        )
        .route(
            &format!("{hub_prefix}/spawn/{{user}}"),
            get(spawn::spawn_page).post(spawn::spawn_submit),
        )
        .route(
            &format!("{hub_prefix}/spawn/{{user}}/{{server}}"),
            get(spawn::spawn_page).post(spawn::spawn_submit),
        )
        .route(
            &format!("{hub_prefix}/spawn-pending/{{user}}"),
            get(spawn::spawn_pending),
        )
        .route(
            &format!("{hub_prefix}/spawn-pending/{{user}}/{{server}}"),
            get(spawn::spawn_pending),
        )
        .route(&format!("{hub_prefix}/user/{{user}}"), get(spawn::user_url))
        .route(
            &format!("{hub_prefix}/user/{{user}}/"),
            get(spawn::user_url),
        )
        .route(
            &format!("{hub_prefix}/user/{{user}}/{{*rest}}"),
            get(spawn::user_url),
        )
        .route(
            &format!("{hub_prefix}/user-redirect/{{*rest}}"),
            get(spawn::user_redirect),
        )
        .route(&format!("{hub_prefix}/logo"), get(assets::logo))
        .route(
            &format!("{hub_prefix}/static/{{file}}"),
            get(assets::static_file),
        )
        .route(
            &format!("{hub_prefix}/security/csp-report"),
            post(assets::csp_report),
        )
        .fallback(panels::outside_hub)
        .layer(observe)
        .with_state(site)
}

/// A browser's request to a page: who it is, and the cookies the response must set.
#[derive(Debug)]
pub(crate) struct Visit {
    session: BrowserSession,
    cookies: SessionCookies,
    host: Option<String>,
    path_and_query: String,
}

impl FromRequestParts<Arc<Site>> for Visit {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, site: &Arc<Site>) -> Result<Self, Response> {
        let hub = &site.hub;
        let session = BrowserSession::read(hub, &parts.headers)
            .await
            .map_err(|error| {
                tracing::error!(%error, "cannot read the browser session");
                site.error(StatusCode::INTERNAL_SERVER_ERROR, None, None)
            })?;
        let host = parts
            .headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned);
        let path_and_query = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_owned(), |pq| pq.as_str().to_owned());
        Ok(Self {
            session,
            cookies: SessionCookies::default(),
            host,
            path_and_query,
        })
    }
}

impl Visit {
    /// The logged-in user, if any.
    fn identity(&self) -> Option<&Identity> {
        self.session.identity.as_ref()
    }

    /// The user's name, if a user (not a service) is logged in.
    fn user_name(&self) -> Option<&str> {
        match &self.identity()?.principal {
            Principal::User(user) => Some(&user.name),
            Principal::Service(_) => None,
        }
    }
}

impl Site {
    /// Renders a page with the common context; template failures become a logged 500.
    fn page(&self, visit: &mut Visit, status: StatusCode, name: &str, extra: Value) -> Response {
        let xsrf = visit
            .cookies
            .ensure_xsrf(&self.hub, &mut visit.session, &self.base_url);
        let user = match visit.identity().map(|i| &i.principal) {
            Some(Principal::User(user)) => {
                Some(context! { name => user.name.clone(), admin => user.admin })
            }
            _ => None,
        };
        let common = context! {
            user => user,
            xsrf => xsrf,
            login_url => format!("{}hub/login", self.base_url),
            logout_url => format!("{}hub/logout", self.base_url),
        };
        let context = context! { ..extra, ..common };
        let mut response = match self.templates.render(name, context) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(error) => {
                tracing::error!(%error, "cannot render a page");
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error").into_response()
            }
        };
        std::mem::take(&mut visit.cookies).apply(response.headers_mut());
        no_store(&mut response);
        response
    }

    /// An error page without a visit (the session could not even be read).
    fn error(
        &self,
        status: StatusCode,
        message: Option<&str>,
        visit: Option<&mut Visit>,
    ) -> Response {
        let extra = context! {
            status_code => status.as_u16(),
            status_message => status.canonical_reason().unwrap_or(""),
            message => message,
        };
        match visit {
            Some(visit) => self.page(visit, status, "error.html", extra),
            None => match self.templates.render("error.html", extra) {
                Ok(html) => (status, Html(html)).into_response(),
                Err(_) => status.into_response(),
            },
        }
    }
}

/// A redirect carrying the visit's cookies.
fn redirect(visit: &mut Visit, location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    std::mem::take(&mut visit.cookies).apply(response.headers_mut());
    response
}

/// Pages show per-user data: never cache them.
fn no_store(response: &mut Response) {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-store, must-revalidate"),
    );
}
