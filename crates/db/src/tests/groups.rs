//! Groups: uniqueness, the paginated list, properties, membership and cascades.

use serde_json::json;

use super::harness::Ctx;
use crate::{DbError, Pagination};

pub(crate) async fn groups_crud_and_members(ctx: Ctx) {
    let db = ctx.db().await;
    db.create_users(&["u1", "u2", "u3"], false).await.unwrap();
    let props = json!({"course": "cs101"});
    let g = db.create_group("students", Some(&props)).await.unwrap();
    assert_eq!(g.properties, props);
    assert_eq!(db.get_group("students").await.unwrap(), Some(g.clone()));
    let err = db.create_group("students", None).await.unwrap_err();
    assert!(matches!(err, DbError::GroupExists { .. }), "{err}");
    for i in 0..4 {
        let group = db.create_group(&format!("extra{i}"), None).await.unwrap();
        assert_eq!(group.properties, json!({}));
    }

    let page = db.list_groups(Pagination::new(1, 2)).await.unwrap();
    let listed: Vec<_> = page.items.iter().map(|g| g.name.as_str()).collect();
    assert_eq!((listed, page.total), (vec!["extra0", "extra1"], 5));

    let new_props = json!({"nested": {"list": [1, 2, 3]}});
    db.set_group_properties("students", &new_props)
        .await
        .unwrap();
    let students = db.get_group("students").await.unwrap().unwrap();
    assert_eq!(students.properties, new_props);
    let err = db
        .set_group_properties("nope", &new_props)
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::GroupNotFound { .. }), "{err}");

    db.add_group_members("students", &["u1", "u2"])
        .await
        .unwrap();
    // Adding again is idempotent.
    db.add_group_members("students", &["u2", "u3"])
        .await
        .unwrap();
    // An unknown user fails the whole call, and nothing is added.
    db.create_user("u4", false).await.unwrap();
    let err = db
        .add_group_members("students", &["u4", "ghost"])
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DbError::UserNotFound { name } if name == "ghost"),
        "{err}"
    );
    let err = db.add_group_members("nope", &["u1"]).await.unwrap_err();
    assert!(matches!(err, DbError::GroupNotFound { .. }), "{err}");

    let members = db
        .group_members("students", Pagination::new(0, 2))
        .await
        .unwrap();
    assert_eq!(
        (members.items.clone(), members.total),
        (vec!["u1".into(), "u2".into()], 3)
    );
    let rest = db
        .group_members("students", Pagination::new(2, 2))
        .await
        .unwrap();
    assert_eq!(rest.items, ["u3"]);

    db.add_group_members("extra3", &["u1"]).await.unwrap();
    assert_eq!(
        db.user_group_names("u1").await.unwrap(),
        ["extra3", "students"]
    );
    assert!(db.user_group_names("u4").await.unwrap().is_empty());

    db.remove_group_members("students", &["u1", "u4"])
        .await
        .unwrap();
    let members = db
        .group_members("students", Pagination::default())
        .await
        .unwrap();
    assert_eq!(members.items, ["u2", "u3"]);

    db.delete_group("students").await.unwrap();
    assert_eq!(db.get_group("students").await.unwrap(), None);
    assert_eq!(
        db.user_group_names("u2").await.unwrap(),
        Vec::<String>::new()
    );
    let err = db.delete_group("students").await.unwrap_err();
    assert!(matches!(err, DbError::GroupNotFound { .. }), "{err}");
    let err = db
        .group_members("students", Pagination::default())
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::GroupNotFound { .. }), "{err}");
    db.close().await;
}
