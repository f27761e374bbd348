//! `GET /hub/admin/groups` and `GET /hub/admin/groups/{name}`: the admin page's groups view,
//! as JupyterHub's admin app has it. The pages are shells; their scripts list, create, edit and
//! delete groups through `/hub/api/groups` with the page's XSRF token.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;
use ganymede_types::scope::{BuiltinScope, ScopeName};
use http::StatusCode;
use minijinja::context;

use super::panels::to_login;
use super::{Site, Visit};

/// The visit's error page unless it holds `admin-ui`, as `GET /hub/admin` requires.
fn require_admin_ui(site: &Site, visit: &mut Visit) -> Option<Response> {
    let Some(identity) = visit.identity() else {
        return Some(to_login(site, visit));
    };
    if identity.allows(ScopeName::from(BuiltinScope::AdminUi), None) {
        return None;
    }
    Some(site.error(
        StatusCode::FORBIDDEN,
        Some("You do not have permission to access the admin page."),
        Some(visit),
    ))
}

/// `GET /hub/admin/groups`: the groups, a page at a time, and a form to create one.
pub(super) async fn groups(State(site): State<Arc<Site>>, mut visit: Visit) -> Response {
    if let Some(denied) = require_admin_ui(&site, &mut visit) {
        return denied;
    }
    site.page(&mut visit, StatusCode::OK, "admin_groups.html", context! {})
}

/// `GET /hub/admin/groups/{name}`: one group's members and properties. A group the visitor
/// cannot read, or that does not exist, is the API's answer as an error page.
pub(super) async fn group(
    State(site): State<Arc<Site>>,
    Path(name): Path<String>,
    mut visit: Visit,
) -> Response {
    if let Some(denied) = require_admin_ui(&site, &mut visit) {
        return denied;
    }
    let Some(identity) = visit.identity().cloned() else {
        return to_login(&site, &mut visit);
    };
    if let Err(error) = site.hub.get_group(&identity, &name).await {
        let status =
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return site.error(status, Some(&error.to_string()), Some(&mut visit));
    }
    site.page(
        &mut visit,
        StatusCode::OK,
        "admin_group.html",
        context! { group => name },
    )
}
