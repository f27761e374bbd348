//! Servers: get-or-create, the state machine's transitions and their event log, endpoints,
//! spawner state, renames, listing and deletion.

use chrono::{Duration, TimeZone, Utc};
use serde_json::json;

use super::harness::{Ctx, ManualClock};
use crate::{DbError, Pagination, ServerSpec, ServerState, Transition};

fn spec(name: &str) -> ServerSpec {
    ServerSpec {
        name: name.to_owned(),
        display_name: format!("Server {name}"),
        base_url: format!("/user/alice/{name}"),
        user_options: json!({"profile": "small"}),
    }
}

fn to(state: ServerState, expected: Option<ServerState>) -> Transition {
    Transition {
        expected,
        to: state,
        message: format!("to {state}"),
    }
}

pub(crate) async fn servers_upsert_and_state_events(ctx: Ctx) {
    let t0 = Utc.with_ymd_and_hms(2025, 2, 1, 9, 0, 0).unwrap();
    let time = ManualClock::starting_at(t0);
    let db = ctx.db().await.with_clock(time.clock());
    let alice = db.create_user("alice", false).await.unwrap();
    let server = db.upsert_server(alice.id, &spec("")).await.unwrap();
    assert_eq!(
        (server.state, server.name.as_str()),
        (ServerState::Stopped, "")
    );
    assert_eq!(
        (server.spawner_state.clone(), server.state_version),
        (json!({}), 0)
    );
    assert_eq!(server.created, t0);
    assert_eq!(
        db.get_server(alice.id, "").await.unwrap(),
        Some(server.clone())
    );

    use ServerState::*;
    let steps = [Queued, Starting, Waiting, Running];
    for (i, step) in steps.into_iter().enumerate() {
        time.advance(Duration::seconds(1));
        let from = if i == 0 { Stopped } else { steps[i - 1] };
        let row = db
            .set_server_state(server.id, &to(step, Some(from)))
            .await
            .unwrap();
        assert_eq!(row.state, step);
    }
    let running = db.get_server_by_id(server.id).await.unwrap().unwrap();
    assert_eq!(running.started, Some(t0 + Duration::seconds(4)));

    // A stale expectation loses, and records nothing.
    let err = db
        .set_server_state(server.id, &to(Stopping, Some(Starting)))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DbError::ServerStateConflict {
                expected: Starting,
                found: Running,
                ..
            }
        ),
        "{err}"
    );
    // Running again keeps the first start time.
    time.advance(Duration::seconds(1));
    let again = db
        .set_server_state(server.id, &to(Running, None))
        .await
        .unwrap();
    assert_eq!(again.started, running.started);

    db.set_server_endpoint(
        server.id,
        Some("http://127.0.0.1:45678/user/alice/"),
        Some("127.0.0.1"),
        Some(45678),
    )
    .await
    .unwrap();
    let with_endpoint = db.get_server_by_id(server.id).await.unwrap().unwrap();
    assert_eq!(
        (with_endpoint.host.as_deref(), with_endpoint.port),
        (Some("127.0.0.1"), Some(45678))
    );
    for step in [Stopping, Stopped] {
        db.set_server_state(server.id, &to(step, None))
            .await
            .unwrap();
    }
    let stopped = db.get_server_by_id(server.id).await.unwrap().unwrap();
    assert_eq!(
        (stopped.started, stopped.url, stopped.port),
        (None, None, None)
    );

    let events = db
        .server_events(server.id, Pagination::default())
        .await
        .unwrap();
    let moves: Vec<_> = events
        .items
        .iter()
        .map(|e| (e.from_state, e.to_state))
        .collect();
    assert_eq!(
        moves,
        [
            (Stopped, Queued),
            (Queued, Starting),
            (Starting, Waiting),
            (Waiting, Running),
            (Running, Running),
            (Running, Stopping),
            (Stopping, Stopped),
        ]
    );
    assert_eq!(events.items[0].at, t0 + Duration::seconds(1));
    assert_eq!(events.items[0].message, "to queued");
    let tail = db
        .server_events(server.id, Pagination::new(5, 10))
        .await
        .unwrap();
    assert_eq!((tail.items.len(), tail.total), (2, 7));

    // Upserting an existing server updates its options and keeps its state and id.
    db.set_server_state(server.id, &to(Running, None))
        .await
        .unwrap();
    let mut changed = spec("");
    changed.user_options = json!({"profile": "large"});
    let updated = db.upsert_server(alice.id, &changed).await.unwrap();
    assert_eq!((updated.id, updated.state), (server.id, Running));
    assert_eq!(updated.user_options, json!({"profile": "large"}));
    assert_eq!(updated.created, t0);

    let err = db
        .set_server_state(crate::ServerId(999_999), &to(Running, None))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::ServerNotFound { .. }), "{err}");
    let err = db
        .upsert_server(crate::UserId(999_999), &spec("x"))
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::UserNotFound { .. }), "{err}");
    db.close().await;
}

pub(crate) async fn servers_endpoint_list_rename_delete(ctx: Ctx) {
    let db = ctx.db().await;
    let alice = db.create_user("alice", false).await.unwrap();
    let bob = db.create_user("bob", false).await.unwrap();
    for name in ["gpu", "", "cpu", "big"] {
        db.upsert_server(alice.id, &spec(name)).await.unwrap();
    }
    db.upsert_server(bob.id, &spec("")).await.unwrap();
    let page = db
        .list_servers(alice.id, Pagination::new(0, 3))
        .await
        .unwrap();
    let names: Vec<_> = page.items.iter().map(|s| s.name.as_str()).collect();
    assert_eq!((names, page.total), (vec!["", "big", "cpu"], 4));

    let gpu = db.get_server(alice.id, "gpu").await.unwrap().unwrap();
    let state = json!({"pid": 4242, "nested": {"ok": true}});
    db.set_spawner_state(gpu.id, &state, 3).await.unwrap();
    let gpu = db.get_server_by_id(gpu.id).await.unwrap().unwrap();
    assert_eq!((gpu.spawner_state.clone(), gpu.state_version), (state, 3));

    let err = db
        .rename_server(gpu.id, "cpu", "/user/alice/cpu/")
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::ServerExists { .. }), "{err}");
    db.rename_server(gpu.id, "tpu", "/user/alice/tpu/")
        .await
        .unwrap();
    assert_eq!(db.get_server(alice.id, "gpu").await.unwrap(), None);
    assert!(db.get_server(alice.id, "tpu").await.unwrap().is_some());

    let t = Utc.with_ymd_and_hms(2025, 5, 5, 5, 5, 5).unwrap();
    assert_eq!(
        db.touch_servers(&[(gpu.id, t), (gpu.id, t - Duration::days(1))])
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        db.get_server_by_id(gpu.id)
            .await
            .unwrap()
            .unwrap()
            .last_activity,
        Some(t)
    );

    db.set_server_state(gpu.id, &to(ServerState::Running, None))
        .await
        .unwrap();
    db.delete_server(gpu.id).await.unwrap();
    assert_eq!(db.get_server_by_id(gpu.id).await.unwrap(), None);
    assert_eq!(
        db.server_events(gpu.id, Pagination::default())
            .await
            .unwrap()
            .total,
        0
    );
    let err = db.delete_server(gpu.id).await.unwrap_err();
    assert!(matches!(err, DbError::ServerNotFound { .. }), "{err}");
    let err = db
        .set_spawner_state(gpu.id, &json!({}), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, DbError::ServerNotFound { .. }), "{err}");
    db.close().await;
}
