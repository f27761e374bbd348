//! 100,000 users on SQLite: how long seeding, paging and filtering take (printed, not
//! asserted; the numbers go into the report).

use std::time::Instant;

use super::harness::Ctx;
use crate::{Pagination, UserQuery, UserSort, UserState};

const USERS: usize = 100_000;
const BATCH: usize = 5_000;

pub(crate) async fn seed_100k_users_then_page_and_filter(ctx: Ctx) {
    let db = ctx.db().await;
    let started = Instant::now();
    let names: Vec<String> = (0..USERS).map(|i| format!("user-{i:06}")).collect();
    for chunk in names.chunks(BATCH) {
        let refs: Vec<&str> = chunk.iter().map(String::as_str).collect();
        db.create_users(&refs, false).await.unwrap();
    }
    let seeded = started.elapsed();

    let mut timings = Vec::new();
    let mut time = async |label: &'static str, query: UserQuery| {
        let started = Instant::now();
        let page = db.list_users(&query).await.unwrap();
        timings.push((label, started.elapsed(), page.total, page.items.len()));
        page
    };
    let page = time("first page, by id", UserQuery::default()).await;
    assert_eq!(page.total, USERS as u64);
    let deep = UserQuery {
        page: Pagination::new(90_000, 200),
        ..UserQuery::default()
    };
    let page = time("offset 90000, by id", deep).await;
    assert_eq!(page.items[0].name, "user-090000");
    let by_name = UserQuery {
        sort: UserSort::Name,
        descending: true,
        ..UserQuery::default()
    };
    time("first page, by name desc", by_name).await;
    let by_activity = UserQuery {
        sort: UserSort::LastActivity,
        descending: true,
        ..UserQuery::default()
    };
    time("first page, by last_activity desc", by_activity).await;
    let filter = UserQuery {
        name_filter: Some("USER-0999".to_owned()),
        ..UserQuery::default()
    };
    let page = time("name_filter matching 100", filter).await;
    assert_eq!(page.total, 100);
    let rare = UserQuery {
        name_filter: Some("nobody".to_owned()),
        ..UserQuery::default()
    };
    time("name_filter matching none", rare).await;
    let ready = UserQuery {
        state: Some(UserState::Ready),
        ..UserQuery::default()
    };
    time("state=ready (none running)", ready).await;

    println!("sqlite: seeded {USERS} users in {seeded:.2?} ({BATCH} per transaction)");
    for (label, took, total, items) in timings {
        println!("sqlite: {label}: {took:.2?} (total {total}, page {items})");
    }
    db.close().await;
}
