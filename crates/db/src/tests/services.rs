//! Services: upsert from config, lookups, list, delete with cascade.

use serde_json::json;

use super::harness::Ctx;
use crate::{DbError, NewToken, Pagination, ServiceSpec, TokenOwner};

fn spec(name: &str) -> ServiceSpec {
    ServiceSpec {
        name: name.to_owned(),
        admin: false,
        url: Some(format!("http://127.0.0.1:10101/{name}")),
        oauth_client_id: Some(format!("service-{name}")),
        info: json!({"version": 1}),
        display: true,
        oauth_no_confirm: false,
        from_config: true,
    }
}

pub(crate) async fn services_upsert_list_delete(ctx: Ctx) {
    let db = ctx.db().await;
    let created = db.upsert_service(&spec("grader")).await.unwrap();
    assert_eq!(
        created.url.as_deref(),
        Some("http://127.0.0.1:10101/grader")
    );
    assert!(created.display && created.from_config && !created.admin);
    let mut changed = spec("grader");
    changed.admin = true;
    changed.url = None;
    changed.oauth_no_confirm = true;
    changed.info = json!({"version": 2});
    let updated = db.upsert_service(&changed).await.unwrap();
    assert_eq!(updated.id, created.id);
    assert!(updated.admin && updated.oauth_no_confirm);
    assert_eq!((updated.url, updated.info), (None, json!({"version": 2})));
    for name in ["a", "b", "c"] {
        db.upsert_service(&spec(name)).await.unwrap();
    }
    let page = db.list_services(Pagination::new(1, 2)).await.unwrap();
    let names: Vec<_> = page.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!((names, page.total), (vec!["b", "c"], 4));
    assert_eq!(db.get_service("nope").await.unwrap(), None);
    let by_id = db.get_service_by_id(created.id).await.unwrap().unwrap();
    assert_eq!((by_id.name.as_str(), by_id.admin), ("grader", true));

    let token = db
        .insert_token(&NewToken {
            token: "service-token-0123456789".into(),
            owner: TokenOwner::Service(created.id),
            session_id: None,
            oauth_client_id: None,
            scopes: vec!["list:users".into()],
            note: "from config".into(),
            expires_at: None,
        })
        .await
        .unwrap();
    db.delete_service("grader").await.unwrap();
    assert_eq!(db.get_service("grader").await.unwrap(), None);
    assert_eq!(db.get_token(token.id).await.unwrap(), None);
    let err = db.delete_service("grader").await.unwrap_err();
    assert!(matches!(err, DbError::ServiceNotFound { .. }), "{err}");
    db.close().await;
}
