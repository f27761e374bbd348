//! The pages and browser sessions in-process: login with the shared-password authenticator,
//! cookies, `next` redirects, the admin page's scope check, logout, the login limiter and
//! metrics. The security rules have their own file, `security.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::browser::{ADMIN_PASSWORD, Browser, USER_PASSWORD, site};
use http::{StatusCode, header};

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
    assert_eq!(
        browser.cookies["_xsrf"],
        home.xsrf(),
        "the cookie follows the login"
    );

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
async fn token_page_flow_through_the_api_with_the_cookie() {
    let app = site().await;
    let mut browser = Browser::default();
    browser.login(&app, "alice", USER_PASSWORD, "").await;
    let xsrf = browser.get(&app, "/hub/token").await.xsrf();
    let json = [
        ("content-type", "application/json"),
        ("x-xsrftoken", xsrf.as_str()),
        ("sec-fetch-mode", "cors"),
    ];
    let created = browser
        .send(
            &app,
            "POST",
            "/hub/api/users/alice/tokens",
            &json,
            Some(r#"{"note": "from the page"}"#.to_owned()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let model: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let id = model["id"].as_str().unwrap().to_owned();
    assert_eq!(model["note"], "from the page");
    let listed = browser
        .send(&app, "GET", "/hub/api/users/alice/tokens", &json, None)
        .await;
    assert!(listed.body.contains(&id), "{}", listed.body);
    let deleted = browser
        .send(
            &app,
            "DELETE",
            &format!("/hub/api/users/alice/tokens/{id}"),
            &json,
            None,
        )
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    // the token the page created works as an API token
    let token = model["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
}

#[tokio::test]
async fn admin_groups_pages_need_admin_ui_and_escape_the_name() {
    let app = site().await;
    let mut anonymous = Browser::default();
    let page = anonymous.get(&app, "/hub/admin/groups").await;
    assert_eq!(page.status, StatusCode::FOUND);
    assert!(
        page.location().starts_with("/hub/login?next="),
        "{}",
        page.location()
    );
    let mut user = Browser::default();
    user.login(&app, "alice", USER_PASSWORD, "").await;
    for path in ["/hub/admin/groups", "/hub/admin/groups/x"] {
        assert_eq!(
            user.get(&app, path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    let mut admin = Browser::default();
    admin.login(&app, "boss", ADMIN_PASSWORD, "").await;
    let list = admin.get(&app, "/hub/admin/groups").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("id=\"groups\""), "{}", list.body);
    assert!(list.body.contains("id=\"create-group-form\""));
    assert!(list.body.contains("admin_groups.js"));
    assert!(
        admin
            .get(&app, "/hub/admin")
            .await
            .body
            .contains("id=\"groups-link\""),
        "the users view links to the groups view"
    );
    // A group that does not exist is the API's 404, as a page.
    let missing = admin.get(&app, "/hub/admin/groups/nobody-here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("No such group"), "{}", missing.body);

    // A name full of HTML is created through the API and shown escaped.
    let xsrf = list.xsrf();
    let json = [
        ("content-type", "application/json"),
        ("x-xsrftoken", xsrf.as_str()),
    ];
    let name = "<b>\"x&'";
    let encoded = "%3Cb%3E%22x%26%27";
    let created = admin
        .send(
            &app,
            "POST",
            &format!("/hub/api/groups/{encoded}"),
            &json,
            Some("{}".to_owned()),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let page = admin
        .get(&app, &format!("/hub/admin/groups/{encoded}"))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(!page.body.contains(name), "{}", page.body);
    assert!(
        page.body
            .contains("data-group=\"&lt;b&gt;&quot;x&amp;&#x27;\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("admin_group.js"));
    for file in ["admin_groups.js", "admin_group.js"] {
        let script = admin.get(&app, &format!("/hub/static/{file}")).await;
        assert_eq!(script.status, StatusCode::OK, "{file}");
        assert!(
            !script.body.contains("innerHTML"),
            "{file} writes text only"
        );
    }
}
