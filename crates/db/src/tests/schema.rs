//! Opening databases: a fresh one gets the schema, a newer schema is refused, an older one
//! needs `upgrade-db` (which backs a SQLite file up first), a foreign one is refused.

use sqlx::SqlStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::harness::{Backend, Ctx};
use crate::dialect::DbUrl;
use crate::migrate::migrator;
use crate::{Db, DbError};

/// This binary's migrations plus a version 2 that a "newer ganymede" would have.
fn newer_migrator(dialect: crate::Dialect) -> Migrator {
    let mut migrations: Vec<Migration> = migrator(dialect).iter().cloned().collect();
    migrations.push(Migration::new(
        2,
        "test extra".into(),
        MigrationType::Simple,
        SqlStr::from_static("CREATE TABLE ganymede_test_extra (id BIGINT NOT NULL)"),
        false,
    ));
    Migrator::with_migrations(migrations)
}

pub(crate) async fn schema_fresh_database_is_initialized_once(ctx: Ctx) {
    let err = Db::connect(&ctx.url).await.unwrap_err();
    assert!(matches!(err, DbError::NotInitialized), "{err}");
    assert!(err.to_string().contains("ganymede upgrade-db"), "{err}");
    if let Some(path) = ctx.sqlite_path() {
        assert!(!path.exists(), "connect must not create {}", path.display());
    }
    let db = ctx.db().await;
    let supported = Db::supported_schema_version(db.dialect());
    assert_eq!(db.schema_version().await.unwrap(), supported);
    db.create_user("kept", false).await.unwrap();
    db.close().await;

    // Opening again neither re-creates nor loses anything.
    let db = ctx.db().await;
    assert!(db.get_user("kept").await.unwrap().is_some());
    db.close().await;
    let db = Db::connect(&ctx.url).await.unwrap();
    assert!(db.get_user("kept").await.unwrap().is_some());
    db.close().await;
    let report = Db::upgrade(&ctx.url).await.unwrap();
    assert_eq!((report.from, report.to), (supported, supported));
    assert!(report.applied.is_empty() && report.backup.is_none());
}

pub(crate) async fn schema_too_new_is_refused(ctx: Ctx) {
    ctx.db().await.close().await;
    let raw = ctx.raw().await;
    raw.q(concat!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) ",
        "VALUES (?, ?, ?, ?, ?)"
    ))
    .bind(99_999_i64)
    .bind("from the future")
    .bind(true)
    .bind(vec![0u8; 48])
    .bind(0_i64)
    .execute(&raw.pool)
    .await
    .unwrap();
    raw.close().await;

    let supported = Db::supported_schema_version(raw.dialect());
    let expect_too_new = |err: DbError| {
        assert!(
            matches!(err, DbError::SchemaTooNew { found: 99_999, supported: s } if s == supported),
            "{err}"
        );
    };
    expect_too_new(Db::connect(&ctx.url).await.unwrap_err());
    expect_too_new(Db::connect_or_init(&ctx.url).await.unwrap_err());
    expect_too_new(Db::upgrade(&ctx.url).await.unwrap_err());
}

pub(crate) async fn schema_older_needs_upgrade_db(ctx: Ctx) {
    let db = ctx.db().await;
    db.create_user("before-upgrade", false).await.unwrap();
    db.close().await;
    let url = DbUrl::parse(&ctx.url).unwrap();
    let newer = newer_migrator(url.dialect);

    // A binary with migration 2 refuses the version-1 database until upgrade-db runs.
    for init in [false, true] {
        let err = Db::connect_with(&url, &newer, init).await.unwrap_err();
        assert!(
            matches!(
                err,
                DbError::SchemaTooOld {
                    found: 1,
                    required: 2
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("ganymede upgrade-db"), "{err}");
    }
    let report = Db::upgrade_with(&url, &newer).await.unwrap();
    assert_eq!(
        (report.from, report.to, report.applied.clone()),
        (1, 2, vec![2])
    );
    let db = Db::connect_with(&url, &newer, false).await.unwrap();
    assert_eq!(db.schema_version().await.unwrap(), 2);
    assert!(db.get_user("before-upgrade").await.unwrap().is_some());
    db.close().await;
    // And this binary now finds the schema too new.
    let err = Db::connect(&ctx.url).await.unwrap_err();
    assert!(
        matches!(
            err,
            DbError::SchemaTooNew {
                found: 2,
                supported: 1
            }
        ),
        "{err}"
    );

    match ctx.backend {
        Backend::SqliteFile => {
            let backup = report.backup.expect("a SQLite file is backed up");
            let name = backup.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                name.starts_with("ganymede.sqlite.") && name.ends_with(".bak"),
                "{name}"
            );
            // The backup is the version-1 database, data included.
            let old = Db::connect(&format!("sqlite://{}", backup.display()))
                .await
                .unwrap();
            assert_eq!(old.schema_version().await.unwrap(), 1);
            assert!(old.get_user("before-upgrade").await.unwrap().is_some());
            old.close().await;
        }
        _ => assert_eq!(report.backup, None),
    }
}

pub(crate) async fn schema_foreign_tables_are_refused(ctx: Ctx) {
    let raw = ctx.raw().await;
    raw.q("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        .execute(&raw.pool)
        .await
        .unwrap();
    raw.close().await;
    for err in [
        Db::connect(&ctx.url).await.unwrap_err(),
        Db::connect_or_init(&ctx.url).await.unwrap_err(),
        Db::upgrade(&ctx.url).await.unwrap_err(),
    ] {
        assert!(matches!(err, DbError::ForeignSchema), "{err}");
    }
}
