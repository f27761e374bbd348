//! Users: creation and uniqueness, the list with its pages, filters and sort orders, renames,
//! deletion cascades, auth state and activity.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use super::harness::Ctx;
use crate::{
    DbError, NewToken, Pagination, ServerSpec, ServerState, TokenOwner, Transition, UserQuery,
    UserSort, UserState,
};

fn names(page: &crate::Page<crate::UserRow>) -> Vec<&str> {
    page.items.iter().map(|u| u.name.as_str()).collect()
}

pub(crate) async fn users_create_get_and_duplicates(ctx: Ctx) {
    let db = ctx.db().await;
    let alice = db.create_user("alice", false).await.unwrap();
    assert_eq!(alice.name, "alice");
    assert!(!alice.admin);
    assert_eq!(alice.last_activity, None);
    assert_eq!(alice.cookie_id.len(), 32);
    assert_eq!(db.get_user("alice").await.unwrap(), Some(alice.clone()));
    assert_eq!(
        db.get_user_by_id(alice.id).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(
        db.get_user_by_cookie_id(&alice.cookie_id).await.unwrap(),
        Some(alice.clone())
    );
    assert_eq!(db.get_user("nobody").await.unwrap(), None);

    // Names are case-sensitive on every dialect (MySQL's default collation is not).
    let upper = db.create_user("Alice", true).await.unwrap();
    assert!(upper.admin);
    assert_ne!(upper.id, alice.id);

    let err = db.create_user("alice", false).await.unwrap_err();
    assert!(
        matches!(&err, DbError::UserExists { names } if names == &["alice"]),
        "{err}"
    );

    // A batch skips existing names, keeps the given order and drops duplicates.
    let created = db
        .create_users(&["carol", "alice", "bob", "carol"], false)
        .await
        .unwrap();
    let created: Vec<_> = created.iter().map(|u| u.name.as_str()).collect();
    assert_eq!(created, ["carol", "bob"]);
    let err = db.create_users(&["bob", "carol"], false).await.unwrap_err();
    assert!(
        matches!(&err, DbError::UserExists { names } if names.len() == 2),
        "{err}"
    );

    for bad in [String::new(), "x".repeat(256)] {
        let err = db.create_user(&bad, false).await.unwrap_err();
        assert!(matches!(err, DbError::Invalid { .. }), "{err}");
    }
    let longest = "é".repeat(255);
    assert_eq!(db.create_user(&longest, false).await.unwrap().name, longest);
    db.close().await;
}

pub(crate) async fn users_list_pages_and_filters(ctx: Ctx) {
    let db = ctx.db().await;
    let mut all: Vec<String> = (0..23).map(|i| format!("user{i:02}")).collect();
    all.extend(["Mixed_Case", "a_b", "a%b", "axb", "a!b"].map(String::from));
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    db.create_users(&refs, false).await.unwrap();

    let mut query = UserQuery {
        page: Pagination::new(0, 10),
        ..UserQuery::default()
    };
    let first = db.list_users(&query).await.unwrap();
    assert_eq!(first.total, 28);
    assert_eq!(names(&first)[..2], ["user00", "user01"]);
    query.page = Pagination::new(20, 10);
    let last = db.list_users(&query).await.unwrap();
    assert_eq!((last.items.len(), last.total), (8, 28));
    query.page = Pagination::new(100, 10);
    let beyond = db.list_users(&query).await.unwrap();
    assert_eq!((beyond.items.len(), beyond.total), (0, 28));

    // Limits are clamped to 1..=MAX_PAGE_LIMIT.
    assert_eq!(Pagination::new(0, 0).limit, 1);
    assert_eq!(Pagination::new(0, 1_000_000).limit, crate::MAX_PAGE_LIMIT);

    let filtered = |filter: &str| {
        let query = UserQuery {
            name_filter: Some(filter.to_owned()),
            ..UserQuery::default()
        };
        let db = db.clone();
        async move { db.list_users(&query).await.unwrap() }
    };
    let page = filtered("USER1").await;
    assert_eq!(page.total, 10);
    assert_eq!(names(&page)[0], "user10");
    assert_eq!(names(&filtered("mixed_c").await), ["Mixed_Case"]);
    // LIKE wildcards in the filter are literal.
    assert_eq!(names(&filtered("a_b").await), ["a_b"]);
    assert_eq!(names(&filtered("a%b").await), ["a%b"]);
    assert_eq!(names(&filtered("a!b").await), ["a!b"]);
    assert_eq!(filtered("zzz").await.total, 0);

    let filtered_page = UserQuery {
        page: Pagination::new(5, 3),
        name_filter: Some("user".to_owned()),
        sort: UserSort::Name,
        descending: true,
        ..UserQuery::default()
    };
    let page = db.list_users(&filtered_page).await.unwrap();
    assert_eq!(page.total, 23);
    assert_eq!(names(&page), ["user17", "user16", "user15"]);
    db.close().await;
}

pub(crate) async fn users_list_state_filter(ctx: Ctx) {
    let db = ctx.db().await;
    let users = db
        .create_users(
            &["idle", "never", "ready", "pending", "mixed", "failed"],
            false,
        )
        .await
        .unwrap();
    let spec = |name: &str| ServerSpec {
        name: name.to_owned(),
        display_name: String::new(),
        base_url: "/user/x/".to_owned(),
        user_options: json!({}),
    };
    let to = |state| Transition {
        expected: None,
        to: state,
        message: String::new(),
    };
    let states: [(usize, &str, Option<ServerState>); 6] = [
        (0, "", None),
        (2, "", Some(ServerState::Running)),
        (3, "", Some(ServerState::Starting)),
        (4, "", Some(ServerState::Stopping)),
        (4, "gpu", Some(ServerState::Running)),
        (5, "", Some(ServerState::Failed)),
    ];
    for (user, name, state) in states {
        let server = db.upsert_server(users[user].id, &spec(name)).await.unwrap();
        if let Some(state) = state {
            db.set_server_state(server.id, &to(state)).await.unwrap();
        }
    }
    let by_state = |state| {
        let query = UserQuery {
            state: Some(state),
            ..UserQuery::default()
        };
        let db = db.clone();
        async move {
            let page = db.list_users(&query).await.unwrap();
            let names: Vec<String> = page.items.iter().map(|u| u.name.clone()).collect();
            (names, page.total)
        }
    };
    assert_eq!(
        by_state(UserState::Ready).await,
        (vec!["ready".into(), "mixed".into()], 2)
    );
    assert_eq!(
        by_state(UserState::Active).await,
        (vec!["ready".into(), "pending".into(), "mixed".into()], 3)
    );
    assert_eq!(
        by_state(UserState::Inactive).await,
        (vec!["idle".into(), "never".into(), "failed".into()], 3)
    );
    db.close().await;
}

pub(crate) async fn users_sort_orders_with_nulls(ctx: Ctx) {
    let db = ctx.db().await;
    let users = db
        .create_users(&["b", "a", "C", "d", "e"], false)
        .await
        .unwrap();
    let t0 = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    // a and C never active; b oldest, e newest, d between.
    let touched = db
        .touch_users(&[
            (users[0].id, t0),
            (users[3].id, t0 + Duration::hours(1)),
            (users[4].id, t0 + Duration::hours(2)),
        ])
        .await
        .unwrap();
    assert_eq!(touched, 3);
    let sorted = |sort, descending| {
        let query = UserQuery {
            sort,
            descending,
            ..UserQuery::default()
        };
        let db = db.clone();
        async move {
            let page = db.list_users(&query).await.unwrap();
            page.items
                .iter()
                .map(|u| u.name.clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(sorted(UserSort::Id, false).await, ["b", "a", "C", "d", "e"]);
    assert_eq!(sorted(UserSort::Id, true).await, ["e", "d", "C", "a", "b"]);
    // Code-point order: upper case before lower case, on every dialect.
    assert_eq!(
        sorted(UserSort::Name, false).await,
        ["C", "a", "b", "d", "e"]
    );
    assert_eq!(
        sorted(UserSort::Name, true).await,
        ["e", "d", "b", "a", "C"]
    );
    // NULLs first ascending (ties by id), last descending.
    assert_eq!(
        sorted(UserSort::LastActivity, false).await,
        ["a", "C", "b", "d", "e"]
    );
    assert_eq!(
        sorted(UserSort::LastActivity, true).await,
        ["e", "d", "b", "C", "a"]
    );
    db.close().await;
}

pub(crate) async fn users_rename_admin_delete_cascade(ctx: Ctx) {
    let db = ctx.db().await;
    let alice = db.create_user("alice", false).await.unwrap();
    db.create_user("bob", false).await.unwrap();

    let renamed = db.rename_user("alice", "alicia").await.unwrap();
    assert_eq!((renamed.id, renamed.name.as_str()), (alice.id, "alicia"));
    assert_eq!(db.get_user("alice").await.unwrap(), None);
    let err = db.rename_user("alicia", "bob").await.unwrap_err();
    assert!(matches!(err, DbError::UserExists { .. }), "{err}");
    let err = db.rename_user("nobody", "x").await.unwrap_err();
    assert!(matches!(err, DbError::UserNotFound { .. }), "{err}");

    db.set_user_admin("alicia", true).await.unwrap();
    // Setting the same value again is not "not found" (MySQL counts changed rows by default).
    db.set_user_admin("alicia", true).await.unwrap();
    assert!(db.get_user("alicia").await.unwrap().unwrap().admin);
    let err = db.set_user_admin("nobody", true).await.unwrap_err();
    assert!(matches!(err, DbError::UserNotFound { .. }), "{err}");

    // Everything hanging off the user goes with it.
    let server = db
        .upsert_server(
            alice.id,
            &ServerSpec {
                name: String::new(),
                display_name: String::new(),
                base_url: "/user/alicia/".into(),
                user_options: json!({}),
            },
        )
        .await
        .unwrap();
    let running = Transition {
        expected: None,
        to: ServerState::Running,
        message: "up".into(),
    };
    db.set_server_state(server.id, &running).await.unwrap();
    let token = db
        .insert_token(&NewToken {
            token: "alicia-token-0123456789".into(),
            owner: TokenOwner::User(alice.id),
            session_id: None,
            oauth_client_id: None,
            scopes: vec![],
            note: String::new(),
            expires_at: None,
        })
        .await
        .unwrap();
    db.create_group("g", None).await.unwrap();
    db.add_group_members("g", &["alicia", "bob"]).await.unwrap();

    db.delete_user("alicia").await.unwrap();
    assert_eq!(db.get_user("alicia").await.unwrap(), None);
    assert_eq!(db.get_server_by_id(server.id).await.unwrap(), None);
    assert_eq!(db.get_token(token.id).await.unwrap(), None);
    let events = db
        .server_events(server.id, Pagination::default())
        .await
        .unwrap();
    assert_eq!(events.total, 0);
    let members = db.group_members("g", Pagination::default()).await.unwrap();
    assert_eq!(members.items, ["bob"]);
    let err = db.delete_user("alicia").await.unwrap_err();
    assert!(matches!(err, DbError::UserNotFound { .. }), "{err}");
    db.close().await;
}

pub(crate) async fn users_auth_state_info_and_activity(ctx: Ctx) {
    let db = ctx.db().await;
    let user = db.create_user("alice", false).await.unwrap();
    assert_eq!(db.get_auth_state("alice").await.unwrap(), None);
    let blob: Vec<u8> = (0..=255).collect();
    db.set_auth_state("alice", Some(&blob)).await.unwrap();
    assert_eq!(db.get_auth_state("alice").await.unwrap(), Some(blob));
    db.set_auth_state("alice", None).await.unwrap();
    assert_eq!(db.get_auth_state("alice").await.unwrap(), None);
    let err = db.get_auth_state("nobody").await.unwrap_err();
    assert!(matches!(err, DbError::UserNotFound { .. }), "{err}");

    let info = json!({"email": "a@example.org", "groups": ["x"], "n": 1.5});
    db.set_user_info("alice", Some(&info)).await.unwrap();
    assert_eq!(
        db.get_user("alice").await.unwrap().unwrap().user_info,
        Some(info)
    );

    let old_cookie = user.cookie_id.clone();
    let new_cookie = db.rotate_cookie_id("alice").await.unwrap();
    assert_ne!(old_cookie, new_cookie);
    assert_eq!(db.get_user_by_cookie_id(&old_cookie).await.unwrap(), None);

    // Activity only moves forward, and microseconds survive the round trip.
    let t1 = Utc.with_ymd_and_hms(2025, 6, 1, 12, 0, 0).unwrap() + Duration::microseconds(123_456);
    assert_eq!(db.touch_users(&[(user.id, t1)]).await.unwrap(), 1);
    assert_eq!(
        db.touch_users(&[(user.id, t1 - Duration::seconds(5))])
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.get_user("alice").await.unwrap().unwrap().last_activity,
        Some(t1)
    );
    let t2 = t1 + Duration::seconds(1);
    assert_eq!(
        db.touch_users(&[(user.id, t2), (crate::UserId(999_999), t2)])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.get_user("alice").await.unwrap().unwrap().last_activity,
        Some(t2)
    );
    db.close().await;
}
