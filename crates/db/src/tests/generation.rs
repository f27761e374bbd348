//! `Db::write_generation`: every finished write bumps it, activity does not, and no write path
//! in the crate can skip it.

use chrono::Utc;

use super::harness::Ctx;
use crate::{ActivityBatch, NewToken, TokenOwner};

pub(crate) async fn generation_grows_on_writes_not_activity(ctx: Ctx) {
    let db = ctx.db().await;
    let start = db.write_generation();
    let alice = db.create_user("alice", false).await.unwrap();
    let created = db.write_generation();
    assert!(created > start, "create_user must bump the generation");

    let token = db
        .insert_token(&NewToken {
            token: "0123456789abcdef0123456789abcdef".to_owned(),
            owner: TokenOwner::User(alice.id),
            session_id: None,
            oauth_client_id: None,
            scopes: vec![],
            note: "test".to_owned(),
            expires_at: None,
        })
        .await
        .unwrap();
    let inserted = db.write_generation();
    assert!(inserted > created, "insert_token must bump the generation");

    let mut batch = ActivityBatch::default();
    batch.user(alice.id, Utc::now());
    batch.token(token.id, Utc::now());
    db.record_activity(&batch).await.unwrap();
    assert_eq!(db.write_generation(), inserted, "activity must not bump it");

    // Reads leave it alone too.
    db.get_user("alice").await.unwrap();
    assert_eq!(db.write_generation(), inserted);

    db.delete_token(token.id).await.unwrap();
    let deleted = db.write_generation();
    assert!(deleted > inserted, "delete_token must bump the generation");
    // A write that changes nothing still counts: cheaper than knowing.
    db.set_user_admin("alice", true).await.unwrap();
    assert!(db.write_generation() > deleted);
}

/// Writes go through `execute_write` or `Db::commit`, which bump the generation after the
/// statement or commit; a plain `execute(&self.pool)` or `tx.commit()` would skip it.
#[test]
fn no_write_skips_the_generation() {
    let sources = [
        ("groups.rs", include_str!("../groups.rs")),
        ("oauth.rs", include_str!("../oauth.rs")),
        ("roles.rs", include_str!("../roles.rs")),
        ("servers.rs", include_str!("../servers.rs")),
        ("services.rs", include_str!("../services.rs")),
        ("share_queries.rs", include_str!("../share_queries.rs")),
        ("shares.rs", include_str!("../shares.rs")),
        ("tokens.rs", include_str!("../tokens.rs")),
        ("users.rs", include_str!("../users.rs")),
        ("batch.rs", include_str!("../batch.rs")),
    ];
    for (file, text) in sources {
        for banned in [
            ".execute(&self.pool)",
            "tx.commit()",
            ".execute(&mut *conn)",
        ] {
            assert!(
                !text.contains(banned),
                "{file} writes with {banned}: use execute_write or Db::commit"
            );
        }
    }
}
