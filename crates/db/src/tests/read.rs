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

/// Pages of an id-sorted listing, asked for in any order, are the slices of the whole listing,
/// also after a write has moved every row behind it (the bookmarks of `bookmarks.rs`).
pub(crate) async fn read_id_pages_match_the_whole_listing(ctx: Ctx) {
    let db = ctx.db().await;
    let names: Vec<String> = (0..40).map(|i| format!("p{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    db.create_users(&refs, false).await.unwrap();
    db.create_user("other", false).await.unwrap();

    let listings = [
        UserQuery::default(),
        UserQuery {
            descending: true,
            ..UserQuery::default()
        },
        UserQuery {
            name_filter: Some("p".to_owned()),
            ..UserQuery::default()
        },
    ];
    let offsets: [u64; 14] = [0, 7, 14, 21, 28, 35, 40, 21, 3, 35, 0, 10, 39, 1];
    for round in 0..2 {
        for listing in &listings {
            let whole = page_names(&db, listing, 0, 100).await;
            for offset in offsets {
                let expected: Vec<String> = whole
                    .iter()
                    .skip(offset as usize)
                    .take(7)
                    .cloned()
                    .collect();
                assert_eq!(
                    page_names(&db, listing, offset, 7).await,
                    expected,
                    "round {round}, offset {offset} of {listing:?}"
                );
            }
        }
        // Every later page moves by one; what was learnt about the old pages must not be used.
        db.delete_user(&format!("p0{}", 3 + round)).await.unwrap();
        db.rename_user(&format!("p3{round}"), &format!("zz{round}"))
            .await
            .unwrap();
    }
}

async fn page_names(db: &crate::Db, listing: &UserQuery, offset: u64, limit: u32) -> Vec<String> {
    let query = UserQuery {
        page: Pagination::new(offset, limit),
        ..listing.clone()
    };
    let page = db.user_page(&query, false).await.unwrap();
    page.page.items.into_iter().map(|user| user.name).collect()
}
