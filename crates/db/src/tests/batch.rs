//! The batched lookups behind a page of user models: groups, roles and taken names for many
//! users at once, each the same answer as the one-user query.

use std::collections::HashSet;

use super::harness::Ctx;
use crate::{Pagination, RoleHolder, RoleSpec, ServiceSpec, UserId, UserQuery};

fn spec(name: &str) -> RoleSpec {
    RoleSpec {
        name: name.to_owned(),
        description: String::new(),
        scopes: vec![format!("read:users!user={name}")],
        managed_by_config: false,
    }
}

pub(crate) async fn batch_groups_and_roles_of_many_users(ctx: Ctx) {
    let db = ctx.db().await;
    let names: Vec<String> = (0..30).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let users = db.create_users(&refs, false).await.unwrap();
    for group in ["zeta", "alpha", "mid"] {
        db.create_group(group, None).await.unwrap();
    }
    db.add_group_members("zeta", &["u00", "u01", "u02"])
        .await
        .unwrap();
    db.add_group_members("alpha", &["u00", "u02"])
        .await
        .unwrap();
    db.add_group_members("mid", &["u02"]).await.unwrap();
    for role in ["direct", "viagroup", "both"] {
        db.upsert_role(&spec(role)).await.unwrap();
    }
    db.assign_role("direct", RoleHolder::User("u00"))
        .await
        .unwrap();
    db.assign_role("both", RoleHolder::User("u00"))
        .await
        .unwrap();
    db.assign_role("both", RoleHolder::Group("zeta"))
        .await
        .unwrap();
    db.assign_role("viagroup", RoleHolder::Group("mid"))
        .await
        .unwrap();

    // A missing id is a key with nothing, like a user with nothing.
    let mut ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
    ids.push(UserId(i64::MAX));
    let groups = db.group_names_of_users(&ids).await.unwrap();
    let roles = db.roles_of_users(&ids).await.unwrap();
    assert_eq!(groups.len(), ids.len());
    assert_eq!(roles.len(), ids.len());
    assert!(groups[&UserId(i64::MAX)].is_empty());
    assert!(roles[&UserId(i64::MAX)].is_empty());
    assert_eq!(groups[&users[0].id], ["alpha", "zeta"]);
    assert_eq!(groups[&users[2].id], ["alpha", "mid", "zeta"]);
    let role_names =
        |id: UserId| -> Vec<String> { roles[&id].iter().map(|r| r.name.clone()).collect() };
    // Held directly and through a group, "both" is listed once.
    assert_eq!(role_names(users[0].id), ["both", "direct"]);
    assert_eq!(role_names(users[2].id), ["both", "viagroup"]);
    assert_eq!(roles[&users[1].id][0].scopes, ["read:users!user=both"]);

    // Each user's answer is the one-user queries' answer.
    for user in &users {
        assert_eq!(
            groups[&user.id],
            db.user_group_names(&user.name).await.unwrap()
        );
        assert_eq!(roles[&user.id], db.user_roles(&user.name).await.unwrap());
    }
    // Both in one query: the same names.
    let memberships = db.memberships_of_users(&ids).await.unwrap();
    assert_eq!(memberships.len(), ids.len());
    for id in &ids {
        assert_eq!(memberships[id].groups, groups[id], "{id:?}");
        assert_eq!(memberships[id].roles, role_names(*id), "{id:?}");
    }
    assert!(db.memberships_of_users(&[]).await.unwrap().is_empty());
    assert!(db.group_names_of_users(&[]).await.unwrap().is_empty());
    assert!(db.roles_of_users(&[]).await.unwrap().is_empty());

    // A page with its memberships and active servers on one connection: the separate
    // queries' answers.
    let query = UserQuery {
        page: Pagination::new(1, 2),
        ..UserQuery::default()
    };
    let listed = db.user_page(&query, true).await.unwrap();
    let page = db.list_users(&query).await.unwrap();
    assert_eq!(listed.page, page);
    let page_ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
    assert_eq!(page_ids.len(), 2);
    assert_eq!(
        listed.memberships,
        db.memberships_of_users(&page_ids).await.unwrap()
    );
    assert_eq!(
        listed.active_servers,
        db.active_servers_of(&page_ids).await.unwrap()
    );
    let without = db.user_page(&query, false).await.unwrap();
    assert!(without.active_servers.is_empty());
    assert_eq!(without.memberships, listed.memberships);

    // One user with its memberships and active servers on one connection: the same answers.
    for user in &users {
        let detail = db.user_detail(&user.name).await.unwrap().unwrap();
        assert_eq!(&detail.row, user);
        let mut memberships = db.memberships_of_users(&[user.id]).await.unwrap();
        assert_eq!(Some(detail.memberships), memberships.remove(&user.id));
        assert_eq!(
            detail.active_servers,
            db.active_servers_of(&[user.id]).await.unwrap()
        );
    }
    assert!(db.user_detail("nobody").await.unwrap().is_none());

    // More ids than one IN list holds.
    let many: Vec<UserId> = (0..1200).map(UserId).chain([users[2].id]).collect();
    let groups = db.group_names_of_users(&many).await.unwrap();
    assert_eq!(groups[&users[2].id], ["alpha", "mid", "zeta"]);
    let roles = db.roles_of_users(&many).await.unwrap();
    assert_eq!(roles[&users[2].id].len(), 2);
    db.close().await;
}

pub(crate) async fn batch_taken_names_and_service_roles(ctx: Ctx) {
    let db = ctx.db().await;
    db.create_users(&["ann", "bea"], false).await.unwrap();
    let taken = db
        .existing_user_names(&["ann", "cat", "bea", "ann"])
        .await
        .unwrap();
    let want: HashSet<String> = ["ann", "bea"].into_iter().map(str::to_owned).collect();
    assert_eq!(taken, want);
    assert!(db.existing_user_names(&[]).await.unwrap().is_empty());

    let service = ServiceSpec {
        name: "culler".into(),
        admin: false,
        url: None,
        oauth_client_id: None,
        info: serde_json::json!({}),
        display: false,
        oauth_no_confirm: false,
        from_config: true,
    };
    let row = db.upsert_service(&service).await.unwrap();
    assert!(db.service_roles(row.id).await.unwrap().is_empty());
    for role in ["zz", "aa"] {
        db.upsert_role(&spec(role)).await.unwrap();
        db.assign_role(role, RoleHolder::Service("culler"))
            .await
            .unwrap();
    }
    assert_eq!(
        db.service_roles(row.id).await.unwrap(),
        db.holder_roles(RoleHolder::Service("culler"))
            .await
            .unwrap()
    );
    let names: Vec<String> = db
        .service_roles(row.id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name)
        .collect();
    assert_eq!(names, ["aa", "zz"]);
    db.close().await;
}
