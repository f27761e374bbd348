//! `Db::record_activity` on more rows than one statement holds: each row moves forward only.

use chrono::{Duration, TimeZone, Utc};

use super::harness::Ctx;
use crate::ActivityBatch;

pub(crate) async fn activity_many_rows_move_forward_only(ctx: Ctx) {
    let db = ctx.db().await;
    let names: Vec<String> = (0..250).map(|i| format!("a{i:03}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let users = db.create_users(&refs, false).await.unwrap();
    let t0 = Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).single().unwrap();

    let mut batch = ActivityBatch::default();
    for user in &users {
        batch.user(user.id, t0);
    }
    assert_eq!(db.record_activity(&batch).await.unwrap(), 250);

    // Even users move on; odd users are reported earlier, which changes nothing.
    let mut batch = ActivityBatch::default();
    for (i, user) in users.iter().enumerate() {
        let at = if i % 2 == 0 {
            t0 + Duration::seconds(i as i64 + 1)
        } else {
            t0 - Duration::seconds(5)
        };
        batch.user(user.id, at);
    }
    assert_eq!(db.record_activity(&batch).await.unwrap(), 125);
    for (i, user) in users.iter().enumerate() {
        let row = db.get_user_by_id(user.id).await.unwrap().unwrap();
        let expected = if i % 2 == 0 {
            t0 + Duration::seconds(i as i64 + 1)
        } else {
            t0
        };
        assert_eq!(row.last_activity, Some(expected), "{}", user.name);
    }
}
