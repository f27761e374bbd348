//! Tokens: stored by hash, found by value, listed by owner, expired and touched.

use chrono::{Duration, TimeZone, Utc};

use super::harness::{Ctx, ManualClock};
use crate::{DbError, NewToken, Pagination, ServiceSpec, TokenId, TokenOwner, hash_token};

fn new_token(token: &str, owner: TokenOwner) -> NewToken {
    NewToken {
        token: token.to_owned(),
        owner,
        session_id: None,
        oauth_client_id: None,
        scopes: vec!["read:users!user".to_owned()],
        note: "test".to_owned(),
        expires_at: None,
    }
}

pub(crate) async fn tokens_insert_find_list_delete(ctx: Ctx) {
    let db = ctx.db().await;
    let alice = db.create_user("alice", false).await.unwrap();
    let bob = db.create_user("bob", false).await.unwrap();
    let svc = db
        .upsert_service(&ServiceSpec {
            name: "svc".into(),
            admin: false,
            url: None,
            oauth_client_id: None,
            info: serde_json::json!({}),
            display: false,
            oauth_no_confirm: false,
            from_config: true,
        })
        .await
        .unwrap();
    let value = "0123456789abcdef0123456789abcdef";
    let token = db
        .insert_token(&new_token(value, TokenOwner::User(alice.id)))
        .await
        .unwrap();
    assert_eq!(token.prefix, "0123");
    assert_eq!(db.find_token(value).await.unwrap(), Some(token.clone()));
    assert_eq!(db.find_token("0123456789abcdef-wrong").await.unwrap(), None);
    assert_eq!(db.get_token(token.id).await.unwrap(), Some(token.clone()));
    assert_eq!(hash_token(value).len(), 64);

    let err = db
        .insert_token(&new_token(value, TokenOwner::User(bob.id)))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::TokenExists), "{err}");
    let err = db
        .insert_token(&new_token("short", TokenOwner::User(bob.id)))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");
    let err = db
        .insert_token(&new_token(
            "no-such-owner-token",
            TokenOwner::User(crate::UserId(424_242)),
        ))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");

    for i in 0..4 {
        db.insert_token(&new_token(
            &format!("alice-token-{i:02}-xxxxxxxx"),
            TokenOwner::User(alice.id),
        ))
        .await
        .unwrap();
    }
    let svc_token = db
        .insert_token(&new_token(
            "service-token-xxxxxxxx",
            TokenOwner::Service(svc.id),
        ))
        .await
        .unwrap();
    let page = db
        .list_tokens(TokenOwner::User(alice.id), Pagination::new(1, 3))
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.total), (3, 5));
    assert!(page.items.windows(2).all(|w| w[0].id < w[1].id));
    let svc_page = db
        .list_tokens(TokenOwner::Service(svc.id), Pagination::default())
        .await
        .unwrap();
    assert_eq!(svc_page.items, [svc_token]);
    let bob_page = db
        .list_tokens(TokenOwner::User(bob.id), Pagination::default())
        .await
        .unwrap();
    assert_eq!(bob_page.total, 0);

    db.delete_token(token.id).await.unwrap();
    assert_eq!(db.find_token(value).await.unwrap(), None);
    let err = db.delete_token(token.id).await.unwrap_err();
    assert!(matches!(err, DbError::TokenNotFound { .. }), "{err}");
    let err = db.delete_token(TokenId(987_654)).await.unwrap_err();
    assert!(matches!(err, DbError::TokenNotFound { .. }), "{err}");

    // Logout of one browser session revokes only that session's tokens.
    for (value, session) in [
        ("session-a-token-000000000000000001", "sess-a"),
        ("session-a-token-000000000000000002", "sess-a"),
        ("session-b-token-000000000000000001", "sess-b"),
    ] {
        let mut new = new_token(value, TokenOwner::User(alice.id));
        new.session_id = Some(session.to_owned());
        db.insert_token(&new).await.unwrap();
    }
    assert_eq!(db.delete_session_tokens(bob.id, "sess-a").await.unwrap(), 0);
    assert_eq!(
        db.delete_session_tokens(alice.id, "sess-a").await.unwrap(),
        2
    );
    assert!(
        db.find_token("session-b-token-000000000000000001")
            .await
            .unwrap()
            .is_some()
    );
    db.close().await;
}

pub(crate) async fn tokens_expiry_and_activity(ctx: Ctx) {
    let t0 = Utc.with_ymd_and_hms(2025, 3, 1, 8, 0, 0).unwrap();
    let time = ManualClock::starting_at(t0);
    let db = ctx.db().await.with_clock(time.clock());
    let alice = db.create_user("alice", false).await.unwrap();
    let owner = TokenOwner::User(alice.id);
    let mut short = new_token("expires-soon-xxxxxxxx", owner);
    short.expires_at = Some(t0 + Duration::minutes(5));
    let short = db.insert_token(&short).await.unwrap();
    assert_eq!(short.created, t0);
    let forever = db
        .insert_token(&new_token("forever-xxxxxxxx", owner))
        .await
        .unwrap();

    assert!(
        db.find_token("expires-soon-xxxxxxxx")
            .await
            .unwrap()
            .is_some()
    );
    time.advance(Duration::minutes(5));
    // Expired at exactly expires_at: gone from lookups and lists, still there by id.
    assert_eq!(db.find_token("expires-soon-xxxxxxxx").await.unwrap(), None);
    let page = db.list_tokens(owner, Pagination::default()).await.unwrap();
    assert_eq!((page.total, page.items[0].id), (1, forever.id));
    assert!(db.get_token(short.id).await.unwrap().is_some());
    assert_eq!(db.delete_expired_tokens().await.unwrap(), 1);
    assert_eq!(db.get_token(short.id).await.unwrap(), None);
    assert_eq!(db.delete_expired_tokens().await.unwrap(), 0);

    let t1 = t0 + Duration::hours(1);
    let other = db
        .insert_token(&new_token("other-xxxxxxxx", owner))
        .await
        .unwrap();
    let moved = db
        .touch_tokens(&[(forever.id, t1), (other.id, t1), (forever.id, t0)])
        .await
        .unwrap();
    assert_eq!(moved, 2);
    let found = db.find_token("forever-xxxxxxxx").await.unwrap().unwrap();
    assert_eq!(found.last_activity, Some(t1));
    db.close().await;
}
