//! `/hub/api/services` and `/hub/api/proxy` in-process: services loaded from the startup state,
//! a fake proxy, and each endpoint with no token, too few scopes and bad input.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use common::{ADMIN, ALICE, call, hub};
use ganymede_core::{ProxyError, ProxyRoutes, StartupRole, StartupService, StartupState};
use http::StatusCode;
use serde_json::{Map, Value, json};

const SERVICE: &str = "service-token-00000000000000000001";
const CAROL: &str = "carol-token-000000000000000000001";

/// Routes in memory, keyed by routespec, as CHP would hold them.
#[derive(Debug, Default)]
struct FakeProxy(Mutex<BTreeMap<String, Map<String, Value>>>);

#[async_trait::async_trait]
impl ProxyRoutes for FakeProxy {
    async fn get_routes(&self) -> Result<BTreeMap<String, Map<String, Value>>, ProxyError> {
        Ok(self.0.lock().unwrap().clone())
    }

    async fn add_route(
        &self,
        routespec: &str,
        target: &str,
        mut data: Map<String, Value>,
    ) -> Result<(), ProxyError> {
        data.insert("target".into(), json!(target));
        data.insert("jupyterhub".into(), json!(true));
        self.0.lock().unwrap().insert(routespec.to_owned(), data);
        Ok(())
    }

    async fn delete_route(&self, routespec: &str) -> Result<(), ProxyError> {
        self.0.lock().unwrap().remove(routespec);
        Ok(())
    }
}

fn state() -> StartupState {
    StartupState {
        services: vec![
            StartupService {
                name: "announce".into(),
                url: Some("http://127.0.0.1:9999".into()),
                api_token: Some(SERVICE.into()),
                info: json!({"topic": "news"}).as_object().cloned().unwrap(),
                command: vec!["announce".into(), "--port=9999".into()],
                display: true,
                ..Default::default()
            },
            StartupService {
                name: "plain".into(),
                display: false,
                ..Default::default()
            },
        ],
        roles: vec![StartupRole {
            name: "announce-reader".into(),
            scopes: Some(vec![
                "list:services!service=announce".into(),
                "read:services!service=announce".into(),
            ]),
            users: Some(vec!["carol".into()]),
            ..Default::default()
        }],
        ..Default::default()
    }
}

async fn app(proxy: Option<Arc<FakeProxy>>) -> axum::Router {
    let (mut hub, _) = hub().await;
    if let Some(proxy) = proxy {
        hub = hub.with_proxy(proxy);
    }
    hub.load_startup_state(&state()).await.unwrap();
    hub.load_api_tokens(&[(CAROL.to_owned(), "carol".to_owned())])
        .await
        .unwrap();
    ganymede_web::router(Arc::new(hub))
}

/// (method, path, token, body, expected status)
type Case = (
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<Value>,
    u16,
);

#[tokio::test]
async fn services_scopes_table() {
    let app = app(None).await;
    let cases: &[Case] = &[
        ("GET", "/hub/api/services", None, None, 403),
        ("GET", "/hub/api/services", Some(ALICE), None, 403),
        ("GET", "/hub/api/services", Some(SERVICE), None, 403),
        ("GET", "/hub/api/services", Some(ADMIN), None, 200),
        ("GET", "/hub/api/services", Some(CAROL), None, 200),
        ("GET", "/hub/api/services/announce", None, None, 403),
        ("GET", "/hub/api/services/announce", Some(ALICE), None, 403),
        ("GET", "/hub/api/services/announce", Some(CAROL), None, 200),
        ("GET", "/hub/api/services/plain", Some(CAROL), None, 404),
        ("GET", "/hub/api/services/plain", Some(ADMIN), None, 200),
        ("GET", "/hub/api/services/nope", Some(ADMIN), None, 404),
        ("GET", "/hub/api/services/a%2Fb", Some(ADMIN), None, 404),
    ];
    for (method, path, token, body, expected) in cases {
        let (status, json, _) = call(&app, method, path, *token, body.clone()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "{method} {path} {token:?}: {json}"
        );
        if *expected >= 400 {
            assert_eq!(json["status"], *expected, "{method} {path}");
        }
    }
}

#[tokio::test]
async fn service_models_follow_scopes() {
    let app = app(None).await;
    let (_, all, _) = call(&app, "GET", "/hub/api/services", Some(ADMIN), None).await;
    assert_eq!(
        all["announce"],
        json!({
            "kind": "service",
            "name": "announce",
            "roles": [],
            "admin": false,
            "url": "http://127.0.0.1:9999",
            "prefix": "/services/announce/",
            "command": ["announce", "--port=9999"],
            "pid": 0,
            "info": {"topic": "news"},
            "display": true,
        })
    );
    assert_eq!(all["plain"]["prefix"], "");
    assert_eq!(all["plain"]["url"], "");
    assert_eq!(all["plain"]["display"], false);
    // A dict keyed by name, not a list.
    assert_eq!(all.as_object().map(|o| o.len()), Some(2));
    let (_, filtered, _) = call(&app, "GET", "/hub/api/services", Some(CAROL), None).await;
    let names: Vec<&String> = filtered.as_object().unwrap().keys().collect();
    assert_eq!(names, ["announce"]);
    assert!(
        filtered["announce"].get("roles").is_none(),
        "no read:roles:services"
    );
    let (_, missing, _) = call(&app, "GET", "/hub/api/services/nope", Some(ADMIN), None).await;
    assert_eq!(missing["message"], "No such service: nope");
    // The service's own token works, with no scopes of its own.
    let (status, me, _) = call(&app, "GET", "/hub/api/user", Some(SERVICE), None).await;
    assert_eq!(
        (status, &me["kind"], &me["name"]),
        (StatusCode::OK, &json!("service"), &json!("announce"))
    );
}

#[tokio::test]
async fn proxy_without_a_proxy_is_a_clear_error() {
    let app = app(None).await;
    let (status, body, _) = call(&app, "GET", "/hub/api/proxy", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["message"], "No proxy is configured");
    let (status, _, _) = call(&app, "GET", "/hub/api/proxy", Some(ALICE), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "the scope is checked first");
}

#[tokio::test]
async fn proxy_routes_sync_and_patch() {
    let proxy = Arc::new(FakeProxy::default());
    let mut hub_route = Map::new();
    hub_route.insert("hub".into(), json!(true));
    proxy
        .add_route("/", "http://127.0.0.1:8081", hub_route)
        .await
        .unwrap();
    let mut foreign = Map::new();
    foreign.insert("target".into(), json!("http://127.0.0.1:1"));
    proxy.0.lock().unwrap().insert("/other/".into(), foreign);
    let mut stale = Map::new();
    stale.insert("service".into(), json!("gone"));
    proxy
        .add_route("/services/gone/", "http://127.0.0.1:2", stale)
        .await
        .unwrap();
    let app = app(Some(Arc::clone(&proxy))).await;

    let cases: &[Case] = &[
        ("GET", "/hub/api/proxy", None, None, 403),
        ("GET", "/hub/api/proxy", Some(ALICE), None, 403),
        ("POST", "/hub/api/proxy", Some(ALICE), None, 403),
        ("PATCH", "/hub/api/proxy", Some(ALICE), Some(json!({})), 403),
        ("GET", "/hub/api/proxy?limit=x", Some(ADMIN), None, 400),
        ("POST", "/hub/api/proxy", Some(ADMIN), None, 200),
        ("PATCH", "/hub/api/proxy", Some(ADMIN), None, 400),
        (
            "PATCH",
            "/hub/api/proxy",
            Some(ADMIN),
            Some(json!([1])),
            400,
        ),
        (
            "PATCH",
            "/hub/api/proxy",
            Some(ADMIN),
            Some(json!({"api_url": 3})),
            400,
        ),
        (
            "PATCH",
            "/hub/api/proxy",
            Some(ADMIN),
            Some(json!({"api_url": "http://x:1"})),
            400,
        ),
        ("PATCH", "/hub/api/proxy", Some(ADMIN), Some(json!({})), 200),
    ];
    for (method, path, token, body, expected) in cases {
        let (status, json, _) = call(&app, method, path, *token, body.clone()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "{method} {path} {body:?}: {json}"
        );
    }

    let (status, routes, _) = call(&app, "GET", "/hub/api/proxy", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        routes,
        json!({
            "/": {"routespec": "/", "target": "http://127.0.0.1:8081", "data": {"hub": true}},
            "/services/announce/": {
                "routespec": "/services/announce/",
                "target": "http://127.0.0.1:9999",
                "data": {"service": "announce"},
            },
        }),
        "the stale service route is gone and the foreign route is not shown"
    );
    assert!(
        proxy.0.lock().unwrap().contains_key("/other/"),
        "foreign routes are left alone"
    );

    let (_, page, _) = call(&app, "GET", "/hub/api/proxy?limit=1", Some(ADMIN), None).await;
    assert_eq!(page.as_object().map(|o| o.len()), Some(1));
    let (_, page, _) = call(
        &app,
        "GET",
        "/hub/api/proxy?offset=1&limit=1&_p=1",
        Some(ADMIN),
        None,
    )
    .await;
    assert_eq!(page["_pagination"]["total"], 2);
    assert_eq!(page["_pagination"]["next"], Value::Null);
    assert!(page["items"]["/services/announce/"].is_object());
}

/// JupyterHub's `check_routes` for servers: a running server whose route the proxy lost (or
/// that points elsewhere) gets it back; a server route nobody runs is deleted; a server
/// still starting keeps its route.
#[tokio::test]
async fn proxy_sync_repairs_server_routes() {
    use ganymede_db::{ServerSpec, ServerState, Transition};

    let proxy = Arc::new(FakeProxy::default());
    let (hub, db) = hub().await;
    let hub = hub.with_proxy(Arc::clone(&proxy) as Arc<dyn ProxyRoutes>);
    let alice = db.get_user("alice").await.unwrap().unwrap();
    let mut servers = Vec::new();
    for (name, to) in [("", ServerState::Running), ("gpu", ServerState::Waiting)] {
        let base_url = if name.is_empty() {
            "/user/alice/".to_owned()
        } else {
            format!("/user/alice/{name}/")
        };
        let row = db
            .upsert_server(
                alice.id,
                &ServerSpec {
                    name: name.into(),
                    display_name: name.into(),
                    base_url: base_url.clone(),
                    user_options: json!({}),
                },
            )
            .await
            .unwrap();
        let target = format!("http://127.0.0.1:{}", 40000 + servers.len());
        db.set_server_endpoint(
            row.id,
            Some(&format!("{target}{base_url}")),
            Some(&target),
            None,
        )
        .await
        .unwrap();
        let mut state = row.state;
        for next in [
            ServerState::Queued,
            ServerState::Starting,
            ServerState::Waiting,
            ServerState::Running,
        ] {
            db.set_server_state(
                row.id,
                &Transition {
                    expected: Some(state),
                    to: next,
                    message: "test".into(),
                },
            )
            .await
            .unwrap();
            state = next;
            if next == to {
                break;
            }
        }
        servers.push((base_url, target));
    }
    let mut data = Map::new();
    data.insert("user".into(), json!("alice"));
    data.insert("server_name".into(), json!("gpu"));
    proxy
        .add_route("/user/alice/gpu/", &servers[1].1, data.clone())
        .await
        .unwrap();
    data.insert("user".into(), json!("bob"));
    proxy
        .add_route("/user/bob/", "http://127.0.0.1:1", data)
        .await
        .unwrap();

    let app = ganymede_web::router(Arc::new(hub));
    let (status, _, _) = call(&app, "POST", "/hub/api/proxy", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK);
    let routes = proxy.0.lock().unwrap().clone();
    assert_eq!(
        routes.get("/user/alice/").map(|r| r["target"].clone()),
        Some(json!(servers[0].1)),
        "the running server's lost route is back: {routes:?}"
    );
    assert_eq!(routes["/user/alice/"]["user"], json!("alice"));
    assert!(
        routes.contains_key("/user/alice/gpu/"),
        "a starting server keeps its route"
    );
    assert!(
        !routes.contains_key("/user/bob/"),
        "a route no server owns is deleted"
    );
}

/// JupyterHub 5's runtime services: `POST /services/{name}` makes one (token, OAuth client,
/// route), `DELETE` removes it, and services from the config cannot be removed.
#[tokio::test]
async fn services_made_and_removed_at_run_time() {
    let proxy = Arc::new(FakeProxy::default());
    let app = app(Some(Arc::clone(&proxy))).await;
    let token = "runtime-service-token-000000000001";
    let spec = json!({"url": "http://127.0.0.1:7777", "api_token": token, "info": {"a": 1}});
    // (method, path, token, body, status, part of the message)
    type MessageCase = (
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<Value>,
        u16,
        &'static str,
    );
    let cases: &[MessageCase] = &[
        (
            "POST",
            "/hub/api/services/fresh",
            None,
            Some(spec.clone()),
            403,
            "",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ALICE),
            Some(spec.clone()),
            403,
            "",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            None,
            400,
            "Invalid service data",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            Some(json!({})),
            400,
            "Invalid service data",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            Some(json!({"url": 5})),
            400,
            "service.url must be <class 'str'>, not: <class 'int'>",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            Some(json!({"bogus": 1})),
            400,
            "Invalid JSON keys",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            Some(json!({"command": ["run"]})),
            400,
            "Can not create managed service fresh at runtime",
        ),
        (
            "POST",
            "/hub/api/services/announce",
            Some(ADMIN),
            Some(spec.clone()),
            409,
            "Service announce already exists",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            Some(spec.clone()),
            201,
            "",
        ),
        (
            "POST",
            "/hub/api/services/fresh",
            Some(ADMIN),
            Some(spec.clone()),
            409,
            "already exists",
        ),
        (
            "DELETE",
            "/hub/api/services/announce",
            Some(ADMIN),
            None,
            405,
            "Service announce is not modifiable at runtime",
        ),
        (
            "DELETE",
            "/hub/api/services/fresh",
            Some(ALICE),
            None,
            403,
            "",
        ),
    ];
    for (method, path, who, body, expected, message) in cases {
        let (status, json, _) = call(&app, method, path, *who, body.clone()).await;
        assert_eq!(
            status.as_u16(),
            *expected,
            "{method} {path} {body:?}: {json}"
        );
        let shown = json["message"].as_str().unwrap_or_default();
        assert!(shown.contains(message), "{method} {path}: {json}");
    }
    let routes = proxy.0.lock().unwrap().clone();
    assert_eq!(
        routes.get("/services/fresh/").map(|r| r["target"].clone()),
        Some(json!("http://127.0.0.1:7777"))
    );
    let (status, me, _) = call(&app, "GET", "/hub/api/user", Some(token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["name"], json!("fresh"));
    let (_, model, _) = call(&app, "GET", "/hub/api/services/fresh", Some(ADMIN), None).await;
    assert_eq!(model["info"], json!({"a": 1}));
    assert_eq!(model["prefix"], json!("/services/fresh/"));

    let (status, _, _) = call(&app, "DELETE", "/hub/api/services/fresh", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, json, _) =
        call(&app, "DELETE", "/hub/api/services/fresh", Some(ADMIN), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{json}");
    assert_eq!(json["message"], json!("Service fresh does not exist"));
    assert!(!proxy.0.lock().unwrap().contains_key("/services/fresh/"));
    let (status, _, _) = call(&app, "GET", "/hub/api/user", Some(token), None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the service's token went with it"
    );
}
