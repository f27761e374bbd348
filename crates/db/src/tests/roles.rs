//! Roles: upsert, assignment to users, groups and services, and roles inherited from groups.

use super::harness::Ctx;
use crate::{DbError, Pagination, RoleHolder, RoleSpec, ServiceSpec};

fn spec(name: &str, scopes: &[&str]) -> RoleSpec {
    RoleSpec {
        name: name.to_owned(),
        description: format!("the {name} role"),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        managed_by_config: false,
    }
}

fn role_names(roles: &[crate::RoleRow]) -> Vec<&str> {
    roles.iter().map(|r| r.name.as_str()).collect()
}

pub(crate) async fn roles_upsert_assign_and_inherit(ctx: Ctx) {
    let db = ctx.db().await;
    let user = db.upsert_role(&spec("user", &["self"])).await.unwrap();
    assert_eq!(user.scopes, ["self"]);
    let mut changed = spec("user", &["self", "read:hub"]);
    changed.managed_by_config = true;
    let updated = db.upsert_role(&changed).await.unwrap();
    assert_eq!(updated.id, user.id);
    assert_eq!(updated.scopes, ["self", "read:hub"]);
    assert!(updated.managed_by_config);
    db.upsert_role(&spec("admin", &["admin:users"]))
        .await
        .unwrap();
    db.upsert_role(&spec("teacher", &["read:users!group=cs"]))
        .await
        .unwrap();
    db.upsert_role(&spec("unused", &[])).await.unwrap();

    let page = db.list_roles(Pagination::new(0, 3)).await.unwrap();
    assert_eq!(
        (role_names(&page.items), page.total),
        (vec!["admin", "teacher", "unused"], 4)
    );

    db.create_users(&["alice", "bob"], false).await.unwrap();
    db.create_group("cs", None).await.unwrap();
    db.add_group_members("cs", &["alice"]).await.unwrap();
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
    db.upsert_service(&service).await.unwrap();

    db.assign_role("user", RoleHolder::User("alice"))
        .await
        .unwrap();
    db.assign_role("user", RoleHolder::User("alice"))
        .await
        .unwrap();
    db.assign_role("user", RoleHolder::Group("cs"))
        .await
        .unwrap();
    db.assign_role("teacher", RoleHolder::Group("cs"))
        .await
        .unwrap();
    db.assign_role("admin", RoleHolder::Service("culler"))
        .await
        .unwrap();

    // Direct and inherited roles, each once.
    assert_eq!(
        role_names(&db.user_roles("alice").await.unwrap()),
        ["teacher", "user"]
    );
    assert!(db.user_roles("bob").await.unwrap().is_empty());
    let direct = db.holder_roles(RoleHolder::User("alice")).await.unwrap();
    assert_eq!(role_names(&direct), ["user"]);
    let group = db.holder_roles(RoleHolder::Group("cs")).await.unwrap();
    assert_eq!(role_names(&group), ["teacher", "user"]);
    let svc = db
        .holder_roles(RoleHolder::Service("culler"))
        .await
        .unwrap();
    assert_eq!(role_names(&svc), ["admin"]);

    for (role, holder) in [
        ("nope", RoleHolder::User("alice")),
        ("user", RoleHolder::User("ghost")),
        ("user", RoleHolder::Group("ghost")),
        ("user", RoleHolder::Service("ghost")),
    ] {
        let err = db.assign_role(role, holder).await.unwrap_err();
        assert!(
            matches!(
                err,
                DbError::RoleNotFound { .. }
                    | DbError::UserNotFound { .. }
                    | DbError::GroupNotFound { .. }
                    | DbError::ServiceNotFound { .. }
            ),
            "{err}"
        );
    }

    assert!(
        db.unassign_role("teacher", RoleHolder::Group("cs"))
            .await
            .unwrap()
    );
    assert!(
        !db.unassign_role("teacher", RoleHolder::Group("cs"))
            .await
            .unwrap()
    );
    assert_eq!(role_names(&db.user_roles("alice").await.unwrap()), ["user"]);

    db.delete_role("user").await.unwrap();
    assert!(db.user_roles("alice").await.unwrap().is_empty());
    assert_eq!(db.get_role("user").await.unwrap(), None);
    let err = db.delete_role("user").await.unwrap_err();
    assert!(matches!(err, DbError::RoleNotFound { .. }), "{err}");
    let err = db.user_roles("ghost").await.unwrap_err();
    assert!(matches!(err, DbError::UserNotFound { .. }), "{err}");
    db.close().await;
}
