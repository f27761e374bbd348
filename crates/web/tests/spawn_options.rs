//! The spawn page's options form and profiles, in process: a hub with a recording spawner whose
//! "server" is a local HTTP listener, a browser logged in through the real form, and the API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::browser::{Browser, USER_PASSWORD, section};
use ganymede_core::{Hub, HubSettings, ProfileOverrides, SpawnProfile, SpawnSettings};
use ganymede_db::Db;
use ganymede_spawn::{PollStatus, SpawnError, SpawnRequest, Spawner, SpawnerState, Started};
use http::StatusCode;
use serde_json::{Value, json};

const TOKEN: &str = "alice-options-token-000000000000001";
const FORM: &[(&str, &str)] = &[("content-type", "application/x-www-form-urlencoded")];

/// Records every start and points the hub at a listener that answers 200 to everything.
#[derive(Debug)]
struct Recorder {
    target: String,
    starts: Mutex<Vec<SpawnRequest>>,
}

#[async_trait::async_trait]
impl Spawner for Recorder {
    fn kind(&self) -> &'static str {
        "recorder"
    }

    async fn start(&self, request: &SpawnRequest) -> Result<Started, SpawnError> {
        self.starts.lock().unwrap().push(request.clone());
        Ok(Started {
            target: self.target.clone(),
            state: json!({"v": 1}),
        })
    }

    async fn poll(&self, _: &SpawnerState) -> Result<PollStatus, SpawnError> {
        Ok(PollStatus::Running)
    }

    async fn stop(&self, _: &SpawnerState) -> Result<(), SpawnError> {
        Ok(())
    }
}

impl Recorder {
    /// The requests so far, once there are `n`.
    async fn wait_for(&self, n: usize) -> Vec<SpawnRequest> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let starts = self.starts.lock().unwrap().clone();
            if starts.len() >= n || tokio::time::Instant::now() > deadline {
                return starts;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

fn profile(slug: &str, name: &str, default: bool, overrides: ProfileOverrides) -> SpawnProfile {
    SpawnProfile {
        slug: slug.to_owned(),
        display_name: name.to_owned(),
        description: format!("The {slug} one"),
        default,
        overrides,
    }
}

fn settings() -> SpawnSettings {
    SpawnSettings {
        cmd: vec!["base-cmd".to_owned()],
        args: vec!["--base".to_owned()],
        environment: BTreeMap::from([("BASE".to_owned(), "1".to_owned())]),
        options_form: Some(r#"<label>Memory <input name="mem" value="1G"></label>"#.to_owned()),
        profiles: vec![
            profile(
                "small",
                "Small <b>box</b>",
                true,
                ProfileOverrides::default(),
            ),
            profile(
                "large",
                "Large",
                false,
                ProfileOverrides {
                    cmd: Some(vec!["big-cmd".to_owned()]),
                    args: Some(vec!["--big".to_owned()]),
                    environment: BTreeMap::from([("SIZE".to_owned(), "large".to_owned())]),
                    default_url: Some("/lab".to_owned()),
                    notebook_dir: Some("~/big".to_owned()),
                },
            ),
        ],
        http_timeout: Duration::from_secs(10),
        log_dir: std::env::temp_dir(),
        ..SpawnSettings::default()
    }
}

/// The site with a recording spawner started with `settings`.
async fn site(settings: SpawnSettings) -> (axum::Router, Arc<Recorder>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let app = axum::Router::new().fallback(|| async { "ok" });
        axum::serve(listener, app).await.unwrap();
    });
    let recorder = Arc::new(Recorder {
        target,
        starts: Mutex::new(Vec::new()),
    });
    let db = Db::connect_or_init("sqlite::memory:").await.unwrap();
    db.create_user("alice", false).await.unwrap();
    let hub = Hub::new(db, HubSettings::default()).with_cookie_secret(&[7; 32]);
    hub.load_api_tokens(&[(TOKEN.to_owned(), "alice".to_owned())])
        .await
        .unwrap();
    let spawner: Arc<dyn Spawner> = Arc::clone(&recorder) as Arc<dyn Spawner>;
    let hub = Arc::new(hub.with_spawner(spawner, settings).unwrap());
    let pages = ganymede_web::pages_router(
        Arc::clone(&hub),
        ganymede_web::SiteConfig {
            template_paths: Vec::new(),
            template_vars: BTreeMap::new(),
            login: ganymede_web::LoginService::from_config(&section()).unwrap(),
            shutdown_on_logout: false,
        },
    );
    (ganymede_web::router(hub).merge(pages), recorder)
}

async fn logged_in(app: &axum::Router) -> Browser {
    let mut browser = Browser::default();
    let page = browser
        .login(app, "alice", USER_PASSWORD, "/hub/home")
        .await;
    assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
    browser
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

async fn server_model(app: &axum::Router, user: &str) -> Value {
    let (status, model, _) = common::call(
        app,
        "GET",
        &format!("/hub/api/users/{user}"),
        Some(TOKEN),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{model}");
    model["servers"][""].clone()
}

#[tokio::test]
async fn the_page_shows_the_profiles_and_the_snippet() {
    let (app, recorder) = site(settings()).await;
    let mut browser = logged_in(&app).await;
    let page = browser.get(&app, "/hub/spawn?next=/user/alice/tree").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let body = &page.body;
    for needle in [
        r#"id="spawn_form" action="&#x2f;hub&#x2f;spawn&#x2f;alice?next=%2Fuser%2Falice%2Ftree" method="post""#,
        "data-user-choice",
        r#"name="_xsrf""#,
        r#"<input type="radio" name="profile" id="profile-item-small" value="small" checked>"#,
        r#"<input type="radio" name="profile" id="profile-item-large" value="large">"#,
        "Small &lt;b&gt;box&lt;&#x2f;b&gt;",
        "The large one",
        r#"<label>Memory <input name="mem" value="1G"></label>"#,
        "Server Options",
    ] {
        assert!(body.contains(needle), "missing {needle} in\n{body}");
    }
    assert!(
        recorder.starts.lock().unwrap().is_empty(),
        "showing the form starts nothing"
    );
}

#[tokio::test]
async fn posting_needs_the_xsrf_token() {
    let (app, recorder) = site(settings()).await;
    let mut browser = logged_in(&app).await;
    for body in [
        form(&[("profile", "large")]),
        form(&[("_xsrf", "forged"), ("profile", "large")]),
    ] {
        let page = browser
            .send(&app, "POST", "/hub/spawn", FORM, Some(body))
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    }
    assert!(recorder.starts.lock().unwrap().is_empty());
}

#[tokio::test]
async fn an_unknown_profile_is_a_400_form_naming_the_choices() {
    let (app, recorder) = site(settings()).await;
    let mut browser = logged_in(&app).await;
    let xsrf = browser.get(&app, "/hub/spawn").await.xsrf();
    let body = form(&[("_xsrf", &xsrf), ("profile", "huge"), ("mem", "2G")]);
    let page = browser
        .send(&app, "POST", "/hub/spawn", FORM, Some(body))
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    assert!(
        page.body
            .contains("Error: No such profile: huge. Options include: small, large"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"id="spawn_form""#), "the form again");
    assert!(recorder.starts.lock().unwrap().is_empty());
    assert_eq!(
        server_model(&app, "alice").await,
        Value::Null,
        "nothing recorded"
    );
}

#[tokio::test]
async fn the_chosen_profile_starts_the_server_with_its_overrides() {
    let (app, recorder) = site(settings()).await;
    let mut browser = logged_in(&app).await;
    let xsrf = browser.get(&app, "/hub/spawn").await.xsrf();
    let body = form(&[
        ("_xsrf", &xsrf),
        ("profile", "large"),
        ("mem", "2G"),
        ("mem", "4G"),
    ]);
    let page = browser
        .send(
            &app,
            "POST",
            "/hub/spawn?next=/user/alice/lab",
            FORM,
            Some(body),
        )
        .await;
    assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
    assert_eq!(
        page.location(),
        "/hub/spawn-pending/alice?next=%2Fuser%2Falice%2Flab"
    );
    let starts = recorder.wait_for(1).await;
    let request = &starts[0];
    let options = json!({"profile": "large", "mem": ["2G", "4G"]});
    assert_eq!(request.argv, ["big-cmd", "--big"]);
    assert_eq!(request.env["SIZE"], "large");
    assert_eq!(
        request.env["BASE"], "1",
        "the profile adds to the environment"
    );
    assert_eq!(request.env["JUPYTERHUB_DEFAULT_URL"], "/lab");
    assert_eq!(request.env["JUPYTERHUB_ROOT_DIR"], "~/big");
    assert_eq!(request.user_options, options, "offered to the spawner");
    assert_eq!(server_model(&app, "alice").await["user_options"], options);
}

#[tokio::test]
async fn the_api_takes_a_profile_too() {
    let (app, recorder) = site(settings()).await;
    let path = "/hub/api/users/alice/server";
    let (status, body, _) = common::call(
        &app,
        "POST",
        path,
        Some(TOKEN),
        Some(json!({"profile": "nope"})),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["message"],
        "No such profile: nope. Options include: small, large"
    );
    let wrapped = json!({"user_options": {"profile": "large"}});
    let (status, body, _) = common::call(&app, "POST", path, Some(TOKEN), Some(wrapped)).await;
    assert!(
        status == StatusCode::CREATED || status == StatusCode::ACCEPTED,
        "{status} {body}"
    );
    let request = &recorder.wait_for(1).await[0];
    assert_eq!(request.argv, ["big-cmd", "--big"]);
    assert_eq!(
        server_model(&app, "alice").await["user_options"],
        json!({"profile": "large"})
    );
}

#[tokio::test]
async fn no_profile_means_the_default_one() {
    let (app, recorder) = site(settings()).await;
    let (status, body, _) = common::call(
        &app,
        "POST",
        "/hub/api/users/alice/server",
        Some(TOKEN),
        None,
    )
    .await;
    assert!(status.is_success(), "{status} {body}");
    let request = &recorder.wait_for(1).await[0];
    // `small` (the default) overrides nothing.
    assert_eq!(request.argv, ["base-cmd", "--base"]);
    assert!(!request.env.contains_key("SIZE"));
}

#[tokio::test]
async fn without_options_the_page_submits_itself() {
    let plain = SpawnSettings {
        options_form: None,
        profiles: Vec::new(),
        ..settings()
    };
    let (app, recorder) = site(plain).await;
    let mut browser = logged_in(&app).await;
    let page = browser.get(&app, "/hub/spawn").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"id="spawn_form""#), "{}", page.body);
    assert!(!page.body.contains("data-user-choice"), "{}", page.body);
    assert!(!page.body.contains(r#"name="profile""#));
    let body = form(&[("_xsrf", &page.xsrf())]);
    let page = browser
        .send(&app, "POST", "/hub/spawn", FORM, Some(body))
        .await;
    assert_eq!(page.status, StatusCode::FOUND, "{}", page.body);
    assert_eq!(recorder.wait_for(1).await[0].argv, ["base-cmd", "--base"]);
}
