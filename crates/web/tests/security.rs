//! One test per advisory of FIELD_RESEARCH §5.5 that applies to the hub's pages and API:
//! open redirects, XSRF (no `Sec-Fetch-*` bypass), cookie tossing, HTML escaping of reflected
//! values (GHSA-c4gm-pwx9-9w8j), RBAC escalation through filtered scopes (GHSA-69wv-m5fw-2fhp),
//! logout revoking the session's tokens, and bounded input (CVE-2026-54338).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{ADMIN_PASSWORD, Browser, USER_PASSWORD, section, site, site_with};
use ganymede_core::HubSettings;
use ganymede_db::{NewToken, RoleHolder, RoleSpec, TokenOwner};
use http::StatusCode;

#[tokio::test]
async fn open_redirect_payloads_never_leave_the_origin() {
    let app = site().await;
    let payloads = [
        "//evil.com",
        "///evil.com",
        "////evil.com/path",
        "/\\evil.com",
        "\\\\evil.com",
        "/\\/evil.com",
        "https:evil.com",
        "https:/evil.com",
        "https://evil.com",
        "http://hub.test:8000@evil.com/",
        "//hub.test:8000.evil.com/",
        "javascript:alert(1)",
        "/\t/evil.com",
        "%2F%2Fevil.com",
        "/%2F/evil.com",
    ];
    for next in payloads {
        let mut browser = Browser::default();
        let done = browser.login(&app, "alice", USER_PASSWORD, next).await;
        assert_eq!(done.status, StatusCode::FOUND, "{next}");
        let location = done.location();
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "next={next:?} went to {location:?}"
        );
        assert!(!location.contains('\\'), "{location}");
        // and on the login page for a logged-in browser
        let again = browser
            .get(
                &app,
                &format!(
                    "/hub/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                ),
            )
            .await;
        let location = again.location();
        assert!(
            location.starts_with('/') && !location.starts_with("//"),
            "next={next:?} went to {location:?}"
        );
    }
}

#[tokio::test]
async fn ghsa_69wv_group_filtered_admin_scopes_cannot_create_users_or_groups() {
    let (app, db) = site_with(HubSettings::default(), section()).await;
    db.create_group("class", None).await.unwrap();
    let teacher = db.create_user("teacher", false).await.unwrap();
    db.upsert_role(&RoleSpec {
        name: "class-admin".to_owned(),
        description: String::new(),
        scopes: vec![
            "admin:users!group=class".to_owned(),
            "admin:groups!group=class".to_owned(),
        ],
        managed_by_config: true,
    })
    .await
    .unwrap();
    db.assign_role("class-admin", RoleHolder::User("teacher"))
        .await
        .unwrap();
    let token = "teacher-token-000000000000000000001";
    db.insert_token(&NewToken {
        token: token.to_owned(),
        owner: TokenOwner::User(teacher.id),
        session_id: None,
        oauth_client_id: None,
        scopes: vec!["inherit".to_owned()],
        note: "test".to_owned(),
        expires_at: None,
    })
    .await
    .unwrap();
    let auth = format!("token {token}");
    let mut client = Browser::default();
    client.headers.push(("authorization".to_owned(), auth));
    for (path, body) in [
        ("/hub/api/users", r#"{"usernames": ["intruder"]}"#),
        ("/hub/api/users/intruder", "{}"),
        ("/hub/api/groups", r#"{"groups": ["newgroup"]}"#),
        ("/hub/api/groups/newgroup", "{}"),
    ] {
        let page = client
            .send(
                &app,
                "POST",
                path,
                &[("content-type", "application/json")],
                Some(body.to_owned()),
            )
            .await;
        assert!(
            page.status == StatusCode::FORBIDDEN || page.status == StatusCode::NOT_FOUND,
            "POST {path}: {} {}",
            page.status,
            page.body
        );
    }
    assert!(db.get_user("intruder").await.unwrap().is_none());
}

#[tokio::test]
async fn logout_revokes_the_sessions_oauth_tokens() {
    let (app, db) = site_with(HubSettings::default(), section()).await;
    let mut browser = Browser::default();
    browser.login(&app, "alice", USER_PASSWORD, "").await;
    let session_id = browser.cookies["jupyterhub-session-id"].clone();
    let alice = db.get_user("alice").await.unwrap().unwrap();
    for (token, session) in [
        ("oauth-token-this-session-0000000001", session_id.as_str()),
        (
            "oauth-token-other-session-000000001",
            "0123456789abcdef0123456789abcdef",
        ),
    ] {
        db.insert_token(&NewToken {
            token: token.to_owned(),
            owner: TokenOwner::User(alice.id),
            session_id: Some(session.to_owned()),
            oauth_client_id: None,
            scopes: vec!["inherit".to_owned()],
            note: "oauth".to_owned(),
            expires_at: None,
        })
        .await
        .unwrap();
    }
    browser.get(&app, "/hub/logout").await;
    assert!(
        db.find_token("oauth-token-this-session-0000000001")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.find_token("oauth-token-other-session-000000001")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn xsrf_login_form_needs_a_token_and_sec_fetch_never_exempts() {
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
async fn ghsa_c4gm_reflected_names_and_next_urls_are_html_escaped() {
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
async fn xsrf_cookie_api_calls_need_a_token_and_json() {
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
async fn cookie_tossing_https_uses_host_prefix_and_ignores_planted_cookies() {
    let settings = HubSettings {
        public_https: true,
        ..HubSettings::default()
    };
    let (app, _) = site_with(settings, section()).await;
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
async fn cve_2026_54338_oversized_bodies_and_names_are_refused_before_use() {
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

#[tokio::test]
async fn cookie_tossing_behind_an_external_proxy_keeps_cookies_at_the_hub_path() {
    // An external proxy cannot strip the hub's cookies from user servers' requests, so no
    // `__Host-` cookie (whose path must be `/`) is set; they stay at `/hub/`.
    let settings = HubSettings {
        public_https: true,
        cookie_host_prefix: false,
        ..HubSettings::default()
    };
    let (app, _) = site_with(settings, section()).await;
    let mut browser = Browser::default();
    let done = browser.login(&app, "alice", USER_PASSWORD, "").await;
    let set = done.set_cookies();
    let login = set
        .iter()
        .find(|c| c.starts_with("jupyterhub-hub-login="))
        .expect("unprefixed login cookie");
    assert!(
        login.contains("Path=/hub/") && login.contains("Secure"),
        "{login}"
    );
    assert!(!set.iter().any(|c| c.starts_with("__Host-")), "{set:?}");
}
