//! The connections of the hot reads (`read.rs`): on a SQLite file they are rusqlite readers
//! beside sqlx's pool, so these check what the two must agree on.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::harness::Ctx;
use crate::{Pagination, UserQuery};

/// Pages read while another task keeps creating users never fail (a reader must not meet
/// "database is locked") and never go back in time: each read sees at least every batch
/// committed before it started.
pub(crate) async fn read_sees_committed_writes_while_writing(ctx: Ctx) {
    let db = ctx.db().await;
    let done = Arc::new(AtomicU64::new(0));
    let writer = {
        let (db, done) = (db.clone(), Arc::clone(&done));
        tokio::spawn(async move {
            for batch in 0..20 {
                let names: Vec<String> = (0..10).map(|i| format!("w{batch:02}-{i}")).collect();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                db.create_users(&refs, false).await.unwrap();
                done.fetch_add(10, Ordering::SeqCst);
            }
        })
    };
    let query = UserQuery {
        page: Pagination::new(0, 50),
        ..UserQuery::default()
    };
    let mut last_total = 0;
    while !writer.is_finished() {
        let committed = done.load(Ordering::SeqCst);
        let page = db.user_page(&query, true).await.unwrap();
        assert!(page.page.total >= committed, "a committed batch is missing");
        assert!(page.page.total >= last_total, "the count went back");
        last_total = page.page.total;
        if let Some(first) = page.page.items.first() {
            let detail = db.user_detail(&first.name).await.unwrap();
            assert_eq!(detail.map(|d| d.row.id), Some(first.id));
        }
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    let page = db.user_page(&query, false).await.unwrap();
    assert_eq!(page.page.total, 200);
    let created = db.create_user("after", false).await.unwrap();
    let detail = db.user_detail("after").await.unwrap().unwrap();
    assert_eq!(detail.row, created, "a read right after a write sees it");
}

/// After `close`, reads fail at once instead of reopening the database.
pub(crate) async fn read_fails_after_close(ctx: Ctx) {
    let db = ctx.db().await;
    db.create_user("alice", false).await.unwrap();
    assert!(db.user_detail("alice").await.unwrap().is_some());
    db.close().await;
    assert!(db.user_detail("alice").await.is_err());
    assert!(db.user_page(&UserQuery::default(), true).await.is_err());
}
