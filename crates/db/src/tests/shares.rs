//! Shares and share codes.

use chrono::{Duration, TimeZone, Utc};

use super::harness::{Ctx, ManualClock};
use crate::{DbError, NewShareCode, Pagination, ServerSpec, ShareTarget};

pub(crate) async fn shares_and_share_codes(ctx: Ctx) {
    let t0 = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
    let time = ManualClock::starting_at(t0);
    let db = ctx.db().await.with_clock(time.clock());
    let users = db
        .create_users(&["owner", "guest", "member"], false)
        .await
        .unwrap();
    let (owner, guest, member) = (users[0].id, users[1].id, users[2].id);
    let group = db.create_group("club", None).await.unwrap();
    db.add_group_members("club", &["member"]).await.unwrap();
    let server = db
        .upsert_server(
            owner,
            &ServerSpec {
                name: String::new(),
                display_name: String::new(),
                base_url: "/user/owner/".into(),
                user_options: serde_json::json!({}),
            },
        )
        .await
        .unwrap();
    let scopes = vec!["access:servers!server=owner/".to_owned()];
    let share = db
        .upsert_share(server.id, ShareTarget::User(guest), &scopes)
        .await
        .unwrap();
    assert_eq!(
        (share.target, share.created),
        (ShareTarget::User(guest), t0)
    );
    time.advance(Duration::seconds(10));
    let more = vec![scopes[0].clone(), "read:servers!server=owner/".to_owned()];
    let regranted = db
        .upsert_share(server.id, ShareTarget::User(guest), &more)
        .await
        .unwrap();
    assert_eq!(
        (regranted.id, regranted.created, regranted.scopes),
        (share.id, t0, more)
    );
    db.upsert_share(server.id, ShareTarget::Group(group.id), &scopes)
        .await
        .unwrap();

    let page = db
        .list_server_shares(server.id, Pagination::default())
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    let member_page = db
        .list_user_shares(member, Pagination::default())
        .await
        .unwrap();
    assert_eq!(member_page.items[0].target, ShareTarget::Group(group.id));
    let guest_page = db
        .list_user_shares(guest, Pagination::default())
        .await
        .unwrap();
    assert_eq!(guest_page.total, 1);
    assert!(
        db.delete_share(server.id, ShareTarget::User(guest))
            .await
            .unwrap()
    );
    assert!(
        !db.delete_share(server.id, ShareTarget::User(guest))
            .await
            .unwrap()
    );
    let err = db
        .upsert_share(crate::ServerId(999_999), ShareTarget::User(guest), &scopes)
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::Invalid { .. }), "{err}");

    let code = db
        .insert_share_code(&NewShareCode {
            code: "share-code-secret".into(),
            server_id: server.id,
            scopes: scopes.clone(),
            expires_at: t0 + Duration::hours(1),
        })
        .await
        .unwrap();
    let stale = db
        .insert_share_code(&NewShareCode {
            code: "share-code-stale".into(),
            server_id: server.id,
            scopes: scopes.clone(),
            expires_at: t0 + Duration::seconds(20),
        })
        .await
        .unwrap();
    let first = db
        .exchange_share_code("share-code-secret")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, first.exchange_count), (code.id, 1));
    let second = db
        .exchange_share_code("share-code-secret")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.exchange_count, 2);
    assert_eq!(second.last_exchanged_at, Some(t0 + Duration::seconds(10)));
    assert_eq!(db.exchange_share_code("wrong").await.unwrap(), None);
    time.advance(Duration::seconds(20));
    assert_eq!(
        db.exchange_share_code("share-code-stale").await.unwrap(),
        None
    );
    let codes = db
        .list_share_codes(server.id, Pagination::default())
        .await
        .unwrap();
    assert_eq!((codes.total, codes.items[0].id), (1, code.id));
    assert_eq!(db.delete_expired_share_codes().await.unwrap(), 1);
    assert!(!db.delete_share_code(stale.id).await.unwrap());
    assert!(db.delete_share_code(code.id).await.unwrap());

    // Deleting the server removes its shares and codes.
    db.insert_share_code(&NewShareCode {
        code: "share-code-last".into(),
        server_id: server.id,
        scopes,
        expires_at: t0 + Duration::hours(2),
    })
    .await
    .unwrap();
    db.delete_server(server.id).await.unwrap();
    assert_eq!(
        db.list_user_shares(member, Pagination::default())
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        db.exchange_share_code("share-code-last").await.unwrap(),
        None
    );
    db.close().await;
}
