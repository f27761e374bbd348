//! `/hub/api/users/{name}/server[s/{server}]` (model, create, edit, start, stop, progress) and
//! `/hub/api/users/{name}/activity`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ganymede_core::model::ServerModel;
use ganymede_core::{Hub, StartOutcome, StopOutcome};
use http::{HeaderValue, StatusCode};

use crate::auth::Caller;
use crate::error::ApiError;

pub(super) fn routes() -> Router<Arc<Hub>> {
    Router::new()
        .route("/users/{name}/activity", post(activity))
        .route(
            "/users/{name}/server",
            post(start_default).delete(stop_default),
        )
        .route("/users/{name}/server/progress", get(progress_default))
        // JupyterHub's pattern `servers/([^/]*)` lets the name be empty: the default server.
        .route(
            "/users/{name}/servers/",
            get(get_default)
                .put(create_default)
                .patch(edit_default)
                .post(start_default)
                .delete(stop_default),
        )
        .route(
            "/users/{name}/servers/{server}",
            get(get_named)
                .put(create_named)
                .patch(edit_named)
                .post(start_named)
                .delete(stop_named),
        )
        .route(
            "/users/{name}/servers/{server}/progress",
            get(progress_named),
        )
}

/// JupyterHub answers server starts and stops with an empty `text/plain` body.
fn plain(status: StatusCode) -> Response {
    let mut response = status.into_response();
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain"),
    );
    response
}

/// `POST /users/{name}/activity`: 200 with an empty body, as JupyterHub.
async fn activity(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<StatusCode, ApiError> {
    hub.record_activity(&identity, &name, &body).await?;
    Ok(StatusCode::OK)
}

async fn start(
    hub: &Arc<Hub>,
    caller: Caller,
    name: &str,
    server: &str,
    body: &str,
) -> Result<Response, ApiError> {
    let hub = Arc::clone(hub);
    match hub.start_server(&caller.0, name, server, body).await? {
        StartOutcome::Ready => Ok(plain(StatusCode::CREATED)),
        StartOutcome::Pending => Ok(plain(StatusCode::ACCEPTED)),
    }
}

async fn stop(
    hub: &Arc<Hub>,
    caller: Caller,
    name: &str,
    server: &str,
    body: &str,
) -> Result<Response, ApiError> {
    match hub.stop_server(&caller.0, name, server, body).await? {
        StopOutcome::Stopped => Ok(plain(StatusCode::NO_CONTENT)),
        StopOutcome::Pending => Ok(plain(StatusCode::ACCEPTED)),
    }
}

/// `POST /users/{name}/server`.
async fn start_default(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    start(&hub, caller, &name, "", &body).await
}

/// `POST /users/{name}/servers/{server}`.
async fn start_named(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    Path((name, server)): Path<(String, String)>,
    body: String,
) -> Result<Response, ApiError> {
    start(&hub, caller, &name, &server, &body).await
}

/// `GET /users/{name}/servers/`: the default server's model.
async fn get_default(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<Json<ServerModel>, ApiError> {
    Ok(Json(hub.get_server_model(&identity, &name, "").await?))
}

/// `PUT /users/{name}/servers/`: always 409, the default server exists.
async fn create_default(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<(StatusCode, Json<ServerModel>), ApiError> {
    let model = hub.create_server(&identity, &name, "", &body).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// `PATCH /users/{name}/servers/`: the default server renamed or given new options.
async fn edit_default(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Json<ServerModel>, ApiError> {
    Ok(Json(hub.edit_server(&identity, &name, "", &body).await?))
}

/// `GET /users/{name}/servers/{server}`: the server's model.
async fn get_named(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((name, server)): Path<(String, String)>,
) -> Result<Json<ServerModel>, ApiError> {
    Ok(Json(hub.get_server_model(&identity, &name, &server).await?))
}

/// `PUT /users/{name}/servers/{server}`: 201 with the new (stopped) server's model.
async fn create_named(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((name, server)): Path<(String, String)>,
    body: String,
) -> Result<(StatusCode, Json<ServerModel>), ApiError> {
    let model = hub.create_server(&identity, &name, &server, &body).await?;
    Ok((StatusCode::CREATED, Json(model)))
}

/// `PATCH /users/{name}/servers/{server}`: the edited server's model.
async fn edit_named(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((name, server)): Path<(String, String)>,
    body: String,
) -> Result<Json<ServerModel>, ApiError> {
    Ok(Json(
        hub.edit_server(&identity, &name, &server, &body).await?,
    ))
}

/// `DELETE /users/{name}/server`.
async fn stop_default(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    Path(name): Path<String>,
    body: String,
) -> Result<Response, ApiError> {
    stop(&hub, caller, &name, "", &body).await
}

/// `DELETE /users/{name}/servers/{server}`.
async fn stop_named(
    State(hub): State<Arc<Hub>>,
    caller: Caller,
    Path((name, server)): Path<(String, String)>,
    body: String,
) -> Result<Response, ApiError> {
    stop(&hub, caller, &name, &server, &body).await
}

/// `GET /users/{name}/server/progress`.
async fn progress_default(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let progress = hub.server_progress(&identity, &name, "").await?;
    Ok(crate::event_stream::progress_response(progress))
}

/// `GET /users/{name}/servers/{server}/progress`.
async fn progress_named(
    State(hub): State<Arc<Hub>>,
    Caller(identity): Caller,
    Path((name, server)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let progress = hub.server_progress(&identity, &name, &server).await?;
    Ok(crate::event_stream::progress_response(progress))
}
