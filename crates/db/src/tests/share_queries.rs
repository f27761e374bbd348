//! The sharing API's lookups and bulk revocations, and replacing a role's holders.

use chrono::{Duration, TimeZone, Utc};

use super::harness::{Ctx, ManualClock};
use crate::{
    HolderKind, NewShareCode, Pagination, RoleHolder, RoleSpec, ServerSpec, ServiceSpec,
    ShareCodeSelector, ShareTarget,
};

fn server_spec(name: &str) -> ServerSpec {
    ServerSpec {
        name: name.to_owned(),
        display_name: String::new(),
        base_url: format!("/user/owner/{name}"),
        user_options: serde_json::json!({}),
    }
}

pub(crate) async fn share_lookups_and_bulk_revocation(ctx: Ctx) {
    let t0 = Utc.with_ymd_and_hms(2025, 7, 1, 0, 0, 0).unwrap();
    let time = ManualClock::starting_at(t0);
    let db = ctx.db().await.with_clock(time.clock());
    let users = db
        .create_users(&["owner", "guest", "other"], false)
        .await
        .unwrap();
    let (owner, guest, other) = (users[0].id, users[1].id, users[2].id);
    let group = db.create_group("club", None).await.unwrap();
    assert_eq!(
        db.get_group_by_id(group.id).await.unwrap(),
        Some(group.clone())
    );
    let default = db.upsert_server(owner, &server_spec("")).await.unwrap();
    let named = db.upsert_server(owner, &server_spec("gpu")).await.unwrap();
    let elsewhere = db.upsert_server(other, &server_spec("")).await.unwrap();
    let scopes = vec!["access:servers!server=owner/".to_owned()];
    for (server, target) in [
        (default.id, ShareTarget::User(guest)),
        (named.id, ShareTarget::Group(group.id)),
        (elsewhere.id, ShareTarget::Group(group.id)),
    ] {
        db.upsert_share(server, target, &scopes).await.unwrap();
    }
    let owned = db
        .list_owner_shares(owner, Pagination::default())
        .await
        .unwrap();
    assert_eq!(owned.total, 2);
    let page = db
        .list_owner_shares(owner, Pagination::new(1, 1))
        .await
        .unwrap();
    assert_eq!((page.items.len(), page.items[0].server_id), (1, named.id));
    let club = db
        .list_group_shares(group.id, Pagination::default())
        .await
        .unwrap();
    assert_eq!(club.total, 2);
    let found = db
        .get_share(default.id, ShareTarget::User(guest))
        .await
        .unwrap();
    assert_eq!(found.map(|s| s.target), Some(ShareTarget::User(guest)));
    assert_eq!(
        db.get_share(named.id, ShareTarget::User(guest))
            .await
            .unwrap(),
        None
    );
    assert_eq!(db.delete_server_shares(named.id).await.unwrap(), 1);
    assert_eq!(
        db.list_group_shares(group.id, Pagination::default())
            .await
            .unwrap()
            .total,
        1
    );

    let mut ids = Vec::new();
    for (i, expires) in [1, 1, 1, 0].into_iter().enumerate() {
        let code = db
            .insert_share_code(&NewShareCode {
                code: format!("code-{i}"),
                server_id: default.id,
                scopes: scopes.clone(),
                expires_at: t0 + Duration::hours(expires) + Duration::seconds(1),
            })
            .await
            .unwrap();
        ids.push(code.id);
    }
    time.advance(Duration::seconds(2));
    let codes = db
        .list_owner_share_codes(owner, Pagination::default())
        .await
        .unwrap();
    assert_eq!(codes.total, 3, "the expired code is not listed");
    let wrong_server = db
        .delete_server_share_codes(named.id, ShareCodeSelector::Code("code-0"))
        .await
        .unwrap();
    assert_eq!(wrong_server, 0);
    let by_code = db
        .delete_server_share_codes(default.id, ShareCodeSelector::Code("code-0"))
        .await
        .unwrap();
    let by_id = db
        .delete_server_share_codes(default.id, ShareCodeSelector::Id(ids[1]))
        .await
        .unwrap();
    let rest = db
        .delete_server_share_codes(default.id, ShareCodeSelector::All)
        .await
        .unwrap();
    assert_eq!((by_code, by_id, rest), (1, 1, 2));
    db.close().await;
}

pub(crate) async fn roles_set_holders_replaces_one_kind(ctx: Ctx) {
    let db = ctx.db().await;
    db.create_users(&["ann", "bob", "cid"], false)
        .await
        .unwrap();
    db.create_group("team", None).await.unwrap();
    db.upsert_service(&ServiceSpec {
        name: "svc".into(),
        admin: false,
        url: None,
        oauth_client_id: None,
        info: serde_json::json!({}),
        display: true,
        oauth_no_confirm: false,
        from_config: true,
    })
    .await
    .unwrap();
    db.upsert_role(&RoleSpec {
        name: "ops".into(),
        description: String::new(),
        scopes: vec!["read:users".into()],
        managed_by_config: true,
    })
    .await
    .unwrap();
    db.assign_role("ops", RoleHolder::User("ann"))
        .await
        .unwrap();
    db.assign_role("ops", RoleHolder::Group("team"))
        .await
        .unwrap();
    db.set_role_holders("ops", HolderKind::User, &["bob", "cid", "bob"])
        .await
        .unwrap();
    let names = |roles: Vec<crate::RoleRow>| roles.into_iter().map(|r| r.name).collect::<Vec<_>>();
    assert!(names(db.holder_roles(RoleHolder::User("ann")).await.unwrap()).is_empty());
    assert_eq!(
        names(db.holder_roles(RoleHolder::User("bob")).await.unwrap()),
        ["ops"]
    );
    assert_eq!(
        names(db.holder_roles(RoleHolder::Group("team")).await.unwrap()),
        ["ops"]
    );
    db.set_role_holders("ops", HolderKind::Service, &["svc"])
        .await
        .unwrap();
    db.set_role_holders("ops", HolderKind::Group, &[])
        .await
        .unwrap();
    assert!(names(db.holder_roles(RoleHolder::Group("team")).await.unwrap()).is_empty());
    assert_eq!(
        names(db.holder_roles(RoleHolder::Service("svc")).await.unwrap()),
        ["ops"]
    );
    let missing = db
        .set_role_holders("ops", HolderKind::User, &["nobody"])
        .await;
    assert!(missing.is_err());
    assert_eq!(
        names(db.holder_roles(RoleHolder::User("bob")).await.unwrap()),
        ["ops"],
        "rolled back"
    );
    db.close().await;
}
