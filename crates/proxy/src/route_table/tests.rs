//! Table-driven cases for CHP's routing semantics.

use serde_json::{Map, Value, json};

use super::{Route, RouteError, RouteTable, clean_path};

fn data(target: &str) -> Map<String, Value> {
    let Value::Object(map) = json!({ "target": target }) else {
        unreachable!("a json! object literal is an object")
    };
    map
}

fn table(prefixes: &[&str]) -> RouteTable {
    let mut table = RouteTable::default();
    for prefix in prefixes {
        let route = Route::new(prefix, data("http://127.0.0.1:1")).unwrap_or_else(|e| {
            panic!("route {prefix}: {e}");
        });
        table.insert(route);
    }
    table
}

#[test]
fn clean_path_cases() {
    let cases = [
        ("", "/"),
        ("/", "/"),
        ("//", "/"),
        ("user/alice", "/user/alice"),
        ("/user/alice/", "/user/alice"),
        ("/user/alice//", "/user/alice"),
        ("//user/alice", "/user/alice"),
        ("/user//alice", "/user//alice"),
        (
            "/alice.example.org/user/alice",
            "/alice.example.org/user/alice",
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(clean_path(input), expected, "clean_path({input:?})");
    }
}

#[test]
fn lookup_cases() {
    let routes = [
        "/",
        "/user/alice",
        "/user/alice/gpu",
        "/user/a@b c",
        "/services/whoami",
        "/hub.example.org/user/bob",
        "/user//odd",
    ];
    let table = table(&routes);
    // (request path, decoded as the data plane passes it, expected route prefix)
    let cases = [
        ("/", Some("/")),
        ("", Some("/")),
        ("/hub/login", Some("/")),
        ("/user/alice", Some("/user/alice")),
        ("/user/alice/", Some("/user/alice")),
        ("/user/alice/lab", Some("/user/alice")),
        ("/user/alice/lab/tree/x.ipynb", Some("/user/alice")),
        ("/user/alice2", Some("/")),
        ("/user/alice2/lab", Some("/")),
        ("/user/alic", Some("/")),
        ("/user/alice/gpu", Some("/user/alice/gpu")),
        ("/user/alice/gpu/lab", Some("/user/alice/gpu")),
        ("/user/alice/gpu2", Some("/user/alice")),
        ("/user/a@b c/lab", Some("/user/a@b c")),
        ("//user/alice//lab", Some("/user/alice")),
        ("/user//alice", Some("/")),
        ("/user//odd/x", Some("/user//odd")),
        ("/services/whoami/", Some("/services/whoami")),
        (
            "/hub.example.org/user/bob/api",
            Some("/hub.example.org/user/bob"),
        ),
        ("/other.example.org/user/bob/api", Some("/")),
    ];
    for (path, expected) in cases {
        let got = table.lookup(path).map(|route| route.prefix());
        assert_eq!(got, expected, "lookup({path:?})");
    }
}

#[test]
fn lookup_without_root_route_misses() {
    let table = table(&["/user/alice"]);
    for path in ["/", "/user", "/user/alice2", "/hub/"] {
        assert!(table.lookup(path).is_none(), "lookup({path:?}) should miss");
    }
    assert!(table.lookup("/user/alice/x").is_some());
}

#[test]
fn trailing_slash_variants_are_one_route() {
    let mut table = table(&["/user/bob/"]);
    assert_eq!(table.len(), 1);
    assert!(table.get("/user/bob").is_some());
    assert!(table.get("user/bob/").is_some());
    assert!(table.remove("/user/bob//").is_some());
    assert!(table.is_empty());
}

#[test]
fn overwrite_keeps_activity_clock() {
    let mut table = table(&["/user/alice"]);
    let first = table.get("/user/alice").map(|r| r.activity().clone());
    let replacement = Route::new("/user/alice/", data("http://127.0.0.1:2"));
    let Ok(replacement) = replacement else {
        panic!("valid route rejected")
    };
    let old = table.insert(replacement);
    assert!(old.is_some());
    let second = table.get("/user/alice").map(|r| r.activity().clone());
    assert!(matches!((first, second), (Some(a), Some(b)) if std::sync::Arc::ptr_eq(&a, &b)));
    assert_eq!(
        table.get("/user/alice").map(|r| r.target().as_str()),
        Some("http://127.0.0.1:2/")
    );
}

#[test]
fn targets_are_validated() {
    let ok = [
        "http://127.0.0.1:8081",
        "https://hub.example.org/base/",
        "http://[::1]:80",
    ];
    for target in ok {
        assert!(
            Route::new("/", data(target)).is_ok(),
            "{target} should be accepted"
        );
    }
    let bad = ["", "127.0.0.1:8081", "ftp://x", "http://", "not a url"];
    for target in bad {
        assert!(
            matches!(
                Route::new("/", data(target)),
                Err(RouteError::InvalidTarget { .. })
            ),
            "{target:?} should be rejected"
        );
    }
    let mut no_target = data("http://x");
    no_target.insert("target".to_owned(), json!(5));
    assert_eq!(
        Route::new("/", no_target).err(),
        Some(RouteError::MissingTarget)
    );
    assert_eq!(
        Route::new("/", Map::new()).err(),
        Some(RouteError::MissingTarget)
    );
}

#[test]
fn route_json_has_data_and_last_activity() {
    let mut posted = data("http://127.0.0.1:1");
    posted.insert("user".to_owned(), json!("alice"));
    posted.insert("jupyterhub".to_owned(), json!(true));
    let Ok(route) = Route::new("/user/alice", posted) else {
        panic!("valid route rejected")
    };
    route.activity().touch(1_763_857_877_924);
    assert_eq!(
        route.to_json(),
        json!({
            "target": "http://127.0.0.1:1",
            "user": "alice",
            "jupyterhub": true,
            "last_activity": "2025-11-23T00:31:17.924Z",
        })
    );
}
