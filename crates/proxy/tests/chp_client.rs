//! The CHP client against this crate's own proxy, in-process: add, list, re-add, delete.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use clap::Parser;
use ganymede_proxy::{ChpClient, Proxy, ProxyArgs, RouteStore};
use serde_json::{Map, Value, json};

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    proxy: ProxyArgs,
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[tokio::test]
async fn hub_style_route_management() {
    let flags = Flags::try_parse_from([
        "proxy",
        "--ip",
        "127.0.0.1",
        "--port",
        "0",
        "--api-port",
        "0",
        "--auth-token",
        "s3cret",
    ])
    .unwrap();
    let config = flags.proxy.to_config().unwrap();
    let client_tls = config.client_tls.clone();
    let routes = RouteStore::new();
    let proxy = Proxy::bind(config, routes.clone()).await.unwrap();
    let api = format!("http://{}", proxy.addrs().api.unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(proxy.serve(async {
        let _ = stopped.await;
    }));

    let client = ChpClient::new(&api, Some("s3cret".into()), false, client_tls.clone()).unwrap();
    client
        .add_route("/", "http://127.0.0.1:8081", object(json!({"hub": true})))
        .await
        .unwrap();
    client
        .add_route(
            "/user/a@b%20c/",
            "http://127.0.0.1:9999",
            object(json!({"user": "a@b c", "server_name": ""})),
        )
        .await
        .unwrap();
    let all = client.get_all_routes().await.unwrap();
    let keys: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(keys, ["/", "/user/a@b%20c/"]);
    let user = &all["/user/a@b%20c/"];
    assert_eq!(user.target, "http://127.0.0.1:9999");
    assert_eq!(user.data["jupyterhub"], json!(true));
    assert_eq!(user.data["user"], json!("a@b c"));
    assert!(user.data.contains_key("last_activity"));
    // The table the data plane reads holds the decoded path.
    assert!(routes.get("/user/a@b c").is_some());

    client.delete_route("/user/a@b%20c/").await.unwrap();
    client.delete_route("/user/a@b%20c/").await.unwrap();
    assert_eq!(client.get_all_routes().await.unwrap().len(), 1);

    let wrong = ChpClient::new(&api, Some("nope".into()), false, client_tls).unwrap();
    let error = wrong.get_all_routes().await.unwrap_err();
    assert!(error.to_string().contains("403"), "{error}");

    stop.send(()).unwrap();
    served.await.unwrap();
}
