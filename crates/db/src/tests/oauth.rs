//! OAuth clients and single-use authorization codes.

use chrono::{Duration, TimeZone, Utc};

use super::harness::{Ctx, ManualClock};
use crate::{DbError, NewOAuthClient, NewOAuthCode, NewToken, Pagination, ServerSpec, TokenOwner};

fn client(identifier: &str) -> NewOAuthClient {
    NewOAuthClient {
        identifier: identifier.to_owned(),
        description: format!("client {identifier}"),
        secret: format!("{identifier}-secret"),
        redirect_uri: format!("/user/alice/{identifier}/oauth_callback"),
        allowed_scopes: vec!["access:servers!server=alice/".to_owned()],
        user_id: None,
        server_id: None,
        service_id: None,
    }
}

pub(crate) async fn oauth_clients_and_codes(ctx: Ctx) {
    let t0 = Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap();
    let time = ManualClock::starting_at(t0);
    let db = ctx.db().await.with_clock(time.clock());
    let alice = db.create_user("alice", false).await.unwrap();
    let server = db
        .upsert_server(
            alice.id,
            &ServerSpec {
                name: String::new(),
                display_name: String::new(),
                base_url: "/user/alice/".into(),
                user_options: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
    let mut new = client("jupyterhub-user-alice");
    new.user_id = Some(alice.id);
    new.server_id = Some(server.id);
    let row = db.upsert_oauth_client(&new).await.unwrap();
    assert!(row.secret_matches("jupyterhub-user-alice-secret"));
    assert!(!row.secret_matches("wrong"));
    assert_eq!(
        db.get_oauth_client(&new.identifier).await.unwrap(),
        Some(row)
    );
    // Upsert replaces the secret.
    new.secret = "rotated".into();
    let row = db.upsert_oauth_client(&new).await.unwrap();
    assert!(row.secret_matches("rotated"));
    for id in ["b-client", "a-client"] {
        db.upsert_oauth_client(&client(id)).await.unwrap();
    }
    let page = db.list_oauth_clients(Pagination::new(0, 2)).await.unwrap();
    let ids: Vec<_> = page.items.iter().map(|c| c.identifier.as_str()).collect();
    assert_eq!((ids, page.total), (vec!["a-client", "b-client"], 3));

    let code = |code: &str, client: &str, ttl: i64| NewOAuthCode {
        code: code.to_owned(),
        client_id: client.to_owned(),
        user_id: alice.id,
        session_id: Some("session".into()),
        scopes: vec!["identify".into()],
        redirect_uri: "/cb".into(),
        code_challenge: Some("challenge".into()),
        code_challenge_method: Some("S256".into()),
        expires_at: t0 + Duration::minutes(ttl),
    };
    let issued = db
        .insert_oauth_code(&code("code-1", "jupyterhub-user-alice", 10))
        .await
        .unwrap();
    let taken = db.take_oauth_code("code-1").await.unwrap();
    assert_eq!(taken, Some(issued));
    assert_eq!(db.take_oauth_code("code-1").await.unwrap(), None);
    assert_eq!(db.take_oauth_code("never-issued").await.unwrap(), None);
    let err = db
        .insert_oauth_code(&code("code-x", "no-such-client", 10))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::OAuthClientNotFound { .. }), "{err}");

    db.insert_oauth_code(&code("code-2", "a-client", 1))
        .await
        .unwrap();
    db.insert_oauth_code(&code("code-3", "a-client", 1))
        .await
        .unwrap();
    db.insert_oauth_code(&code("code-4", "a-client", 60))
        .await
        .unwrap();
    time.advance(Duration::minutes(2));
    assert_eq!(db.take_oauth_code("code-2").await.unwrap(), None);
    assert_eq!(db.delete_expired_oauth_codes().await.unwrap(), 1);

    // Deleting a client takes its codes and tokens with it.
    let token = db
        .insert_token(&NewToken {
            token: "oauth-access-token-xxxx".into(),
            owner: TokenOwner::User(alice.id),
            session_id: Some("session".into()),
            oauth_client_id: Some("a-client".into()),
            scopes: vec![],
            note: String::new(),
            expires_at: None,
        })
        .await
        .unwrap();
    db.delete_oauth_client("a-client").await.unwrap();
    assert_eq!(db.take_oauth_code("code-4").await.unwrap(), None);
    assert_eq!(db.get_token(token.id).await.unwrap(), None);
    let err = db.delete_oauth_client("a-client").await.unwrap_err();
    assert!(matches!(err, DbError::OAuthClientNotFound { .. }), "{err}");

    // Revoking one OAuth token revokes every token of that user from that client.
    for i in 0..2 {
        db.insert_token(&NewToken {
            token: format!("b-client-token-{i}-xxxx"),
            owner: TokenOwner::User(alice.id),
            session_id: None,
            oauth_client_id: Some("b-client".into()),
            scopes: vec![],
            note: String::new(),
            expires_at: None,
        })
        .await
        .unwrap();
    }
    assert_eq!(
        db.delete_client_tokens(alice.id, "b-client").await.unwrap(),
        2
    );

    // Deleting the server takes its client.
    db.delete_server(server.id).await.unwrap();
    assert_eq!(
        db.get_oauth_client("jupyterhub-user-alice").await.unwrap(),
        None
    );
    db.close().await;
}

pub(crate) async fn oauth_code_is_taken_once_under_contention(ctx: Ctx) {
    let db = ctx.db().await;
    let alice = db.create_user("alice", false).await.unwrap();
    db.upsert_oauth_client(&client("racy")).await.unwrap();
    for round in 0..3 {
        let value = format!("contended-code-{round}");
        db.insert_oauth_code(&NewOAuthCode {
            code: value.clone(),
            client_id: "racy".into(),
            user_id: alice.id,
            session_id: None,
            scopes: vec![],
            redirect_uri: "/cb".into(),
            code_challenge: None,
            code_challenge_method: None,
            expires_at: db.now() + Duration::minutes(10),
        })
        .await
        .unwrap();
        let takers: Vec<_> = (0..6)
            .map(|_| {
                let (db, value) = (db.clone(), value.clone());
                tokio::spawn(async move { db.take_oauth_code(&value).await.unwrap() })
            })
            .collect();
        let mut winners = 0;
        for taker in takers {
            winners += usize::from(taker.await.unwrap().is_some());
        }
        assert_eq!(winners, 1, "round {round}");
    }
    db.close().await;
}
