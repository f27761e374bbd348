//! `GET`/`POST /hub/login` and `GET /hub/logout`.
//!
//! The form posts `username`, `password`, `_xsrf` and `next`, as JupyterHub's does, so custom
//! login templates and scripts keep working. Every refusal shows the same message, so the page
//! never tells which user names exist; the log says why.

use std::fmt;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use ganymede_auth::{
    AuthError, Authenticated, Authenticator, LOGIN_FAILED_MESSAGE, LoginLimiter, LoginPolicy,
};
use ganymede_config::AuthenticatorSection;
use ganymede_core::{AcceptedLogin, Principal};
use http::{HeaderMap, StatusCode};
use minijinja::context;
use serde::Deserialize;

use super::next_url::safe_next;
use super::{Site, Visit, redirect};

/// The longest user name the login form takes; longer ones are refused before anything is
/// logged or hashed (JupyterHub's CVE-2026-54338 was unbounded names in logs).
const MAX_USERNAME: usize = 255;
/// The longest password checked; argon2 on megabytes would be a cheap denial of service.
const MAX_PASSWORD: usize = 1024;

/// The authenticator, the checks every login passes, and the failed-login limiter.
pub struct LoginService {
    authenticator: Box<dyn Authenticator>,
    policy: LoginPolicy,
    limiter: LoginLimiter,
}

impl fmt::Debug for LoginService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginService")
            .field("authenticator", &self.authenticator.class())
            .finish_non_exhaustive()
    }
}

impl LoginService {
    /// The authenticator, policy and limiter `[authenticator]` describes; fails with a message
    /// naming the config key when the section is inconsistent.
    pub fn from_config(section: &AuthenticatorSection) -> Result<Self, AuthError> {
        Ok(Self::new(
            ganymede_auth::from_config(section)?,
            LoginPolicy::from_config(section)?,
            LoginLimiter::from_config(section),
        ))
    }

    /// A login service over an authenticator and the policy built from the same config.
    pub fn new(
        authenticator: Box<dyn Authenticator>,
        policy: LoginPolicy,
        limiter: LoginLimiter,
    ) -> Self {
        Self {
            authenticator,
            policy,
            limiter,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct NextQuery {
    next: Option<String>,
}

/// `GET /hub/login`: the form; a logged-in browser goes straight to `next`.
pub(super) async fn login_page(
    State(site): State<Arc<Site>>,
    Query(query): Query<NextQuery>,
    mut visit: Visit,
) -> Response {
    let next = query
        .next
        .as_deref()
        .and_then(|n| safe_next(n, visit.host.as_deref()));
    if visit.user_name().is_some() {
        let target = next.unwrap_or_else(|| format!("{}hub/home", site.base_url));
        return redirect(&mut visit, &target);
    }
    render_form(
        &site,
        &mut visit,
        StatusCode::OK,
        next.as_deref(),
        None,
        None,
    )
}

fn render_form(
    site: &Site,
    visit: &mut Visit,
    status: StatusCode,
    next: Option<&str>,
    username: Option<&str>,
    error: Option<&str>,
) -> Response {
    let extra = context! {
        next => next.unwrap_or_default(),
        username => username,
        login_error => error,
        authenticator_class => site.login.authenticator.class(),
    };
    site.page(visit, status, "login.html", extra)
}

/// The login form's fields.
#[derive(Deserialize)]
pub(super) struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_xsrf")]
    xsrf: String,
    #[serde(default)]
    next: String,
}

/// `POST /hub/login`.
pub(super) async fn login_submit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    mut visit: Visit,
    Form(form): Form<LoginForm>,
) -> Response {
    let started = std::time::Instant::now();
    let observe = |outcome: &'static str| {
        site.hub
            .metrics()
            .observe_login(outcome, started.elapsed().as_secs_f64());
    };
    if !visit.session.xsrf_ok(site.hub.sessions(), Some(&form.xsrf)) {
        observe("xsrf");
        let message = if form.xsrf.is_empty() {
            "'_xsrf' argument missing from POST"
        } else {
            "XSRF cookie does not match POST argument"
        };
        tracing::warn!(message, "refusing a login form");
        return site.error(StatusCode::FORBIDDEN, Some(message), Some(&mut visit));
    }
    let next = safe_next(&form.next, visit.host.as_deref());
    let username = form.username.trim();
    let client = client_address(&headers);
    if username.is_empty() || username.len() > MAX_USERNAME || form.password.len() > MAX_PASSWORD {
        observe("invalid_name");
        tracing::warn!(client = %client, "refusing a login with an empty or oversized field");
        return failed(&site, &mut visit, next.as_deref(), None);
    }
    let shown_name = username.escape_debug().to_string();
    let limiter_key = site.login.policy.normalize(username);
    let now = std::time::Instant::now();
    if let Err(wait) = site.login.limiter.check(&limiter_key, &client, now) {
        observe("rate_limited");
        tracing::warn!(user = %shown_name, client = %client, "too many failed logins");
        let message = format!(
            "Too many failed login attempts. Try again in {} seconds.",
            wait.as_secs().max(1)
        );
        return render_form(
            &site,
            &mut visit,
            StatusCode::TOO_MANY_REQUESTS,
            next.as_deref(),
            Some(username),
            Some(&message),
        );
    }
    let authenticated = match site
        .login
        .authenticator
        .authenticate(username, &form.password)
        .await
    {
        Ok(Some(authenticated)) => authenticated,
        Ok(None) => {
            site.login
                .limiter
                .record_failure(&limiter_key, &client, now);
            observe("wrong_credentials");
            tracing::warn!(user = %shown_name, client = %client, "failed login: wrong credentials");
            return failed(&site, &mut visit, next.as_deref(), Some(username));
        }
        Err(error) => {
            observe("error");
            tracing::error!(user = %shown_name, %error, "the authenticator failed");
            return site.error(StatusCode::INTERNAL_SERVER_ERROR, Some("Login failed: the authenticator is not working. Ask your administrator to check the hub's log."), Some(&mut visit));
        }
    };
    let accepted = match accept(&site, authenticated).await {
        Ok(accepted) => accepted,
        Err((label, reason)) => {
            observe(label);
            site.login
                .limiter
                .record_failure(&limiter_key, &client, now);
            tracing::warn!(user = %shown_name, client = %client, %reason, "refused login");
            return failed(&site, &mut visit, next.as_deref(), Some(username));
        }
    };
    let user = match site.hub.record_login(&accepted).await {
        Ok(user) => user,
        Err(error) => {
            observe("error");
            tracing::error!(user = %accepted.name, %error, "cannot record a login");
            return site.error(StatusCode::INTERNAL_SERVER_ERROR, None, Some(&mut visit));
        }
    };
    site.login.limiter.record_success(&limiter_key, &client);
    observe("success");
    tracing::info!(user = %user.name, client = %client, "user logged in");
    visit.cookies.login(
        &site.hub,
        visit.session.policy,
        &user.cookie_id,
        &site.base_url,
    );
    let target = next.unwrap_or_else(|| format!("{}hub/home", site.base_url));
    redirect(&mut visit, &target)
}

/// The login policy's verdict on what the authenticator returned.
async fn accept(
    site: &Site,
    authenticated: Authenticated,
) -> Result<AcceptedLogin, (&'static str, String)> {
    let policy = &site.login.policy;
    let name = policy.normalize(&authenticated.name);
    let exists = if policy.needs_existing_check(&name) {
        site.hub
            .user_exists(&name)
            .await
            .map_err(|e| ("error", format!("cannot check the database: {e}")))?
    } else {
        false
    };
    let login = policy
        .admit(authenticated, exists)
        .map_err(|refused| (refused.label(), refused.to_string()))?;
    Ok(AcceptedLogin {
        name: login.name,
        admin: login.admin,
    })
}

fn failed(site: &Site, visit: &mut Visit, next: Option<&str>, username: Option<&str>) -> Response {
    render_form(
        site,
        visit,
        StatusCode::FORBIDDEN,
        next,
        username,
        Some(LOGIN_FAILED_MESSAGE),
    )
}

/// The browser's address as the proxy reports it (the hub listens only where the proxy reaches
/// it, so `X-Forwarded-For`'s first entry is the proxy's view of the client).
fn client_address(headers: &HeaderMap) -> String {
    headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|v| !v.is_empty() && v.len() <= 64)
        .unwrap_or("unknown")
        .to_owned()
}

/// `GET /hub/logout`: revokes this browser's OAuth tokens, clears the cookies, back to login.
pub(super) async fn logout(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    let started = std::time::Instant::now();
    if let Some(identity) = visit.session.identity.clone() {
        if let Principal::User(user) = &identity.principal {
            tracing::info!(user = %user.name, "user logged out");
        }
        if let Err(error) = site
            .hub
            .logout(&identity, visit.session.session_id.as_deref())
            .await
        {
            tracing::error!(%error, "cannot revoke the session's tokens");
        }
    }
    let policy = visit.session.policy;
    visit.cookies.logout(policy, &site.base_url);
    site.hub
        .metrics()
        .observe_logout(started.elapsed().as_secs_f64());
    redirect(&mut visit, &format!("{}hub/login", site.base_url))
}
