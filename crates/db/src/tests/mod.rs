//! The storage suite. Every test is an `async fn(Ctx)` that runs once per backend: SQLite in
//! memory and in a file, PostgreSQL and MariaDB, each on a database of its own.

mod activity;
mod batch;
mod generation;
mod groups;
mod harness;
mod oauth;
mod read;
mod roles;
mod scale;
mod schema;
mod servers;
mod services;
mod share_queries;
mod shares;
mod tokens;
mod users;

/// Defines one `#[tokio::test]` per backend module and test function.
macro_rules! storage_tests {
    (
        all: [$($module:ident :: $name:ident),* $(,)?],
        persistent: [$($pmodule:ident :: $pname:ident),* $(,)?] $(,)?
    ) => {
        mod sqlite_memory {
            use super::harness::{Backend, run};
            $(#[tokio::test]
            async fn $name() {
                run(Backend::SqliteMemory, super::$module::$name).await;
            })*
        }
        storage_tests!(@persistent sqlite_file, SqliteFile,
            [$($module::$name),* , $($pmodule::$pname),*]);
        storage_tests!(@persistent postgres, Postgres,
            [$($module::$name),* , $($pmodule::$pname),*]);
        storage_tests!(@persistent mysql, MySql,
            [$($module::$name),* , $($pmodule::$pname),*]);
    };
    (@persistent $backend_mod:ident, $backend:ident, [$($module:ident :: $name:ident),*]) => {
        mod $backend_mod {
            use super::harness::{Backend, run};
            $(#[tokio::test]
            async fn $name() {
                run(Backend::$backend, super::$module::$name).await;
            })*
        }
    };
}

storage_tests! {
    all: [
        users::users_create_get_and_duplicates,
        users::users_list_pages_and_filters,
        users::users_list_state_filter,
        users::users_sort_orders_with_nulls,
        users::users_rename_admin_delete_cascade,
        users::users_auth_state_info_and_activity,
        groups::groups_crud_and_members,
        activity::activity_many_rows_move_forward_only,
        batch::batch_groups_and_roles_of_many_users,
        generation::generation_grows_on_writes_not_activity,
        batch::batch_taken_names_and_service_roles,
        roles::roles_upsert_assign_and_inherit,
        services::services_upsert_list_delete,
        tokens::tokens_insert_find_list_delete,
        tokens::tokens_expiry_and_activity,
        servers::servers_upsert_and_state_events,
        servers::servers_endpoint_list_rename_delete,
        oauth::oauth_clients_and_codes,
        oauth::oauth_code_is_taken_once_under_contention,
        shares::shares_and_share_codes,
        share_queries::share_lookups_and_bulk_revocation,
        share_queries::roles_set_holders_replaces_one_kind,
        read::read_sees_committed_writes_while_writing,
        read::read_fails_after_close,
        read::read_id_pages_match_the_whole_listing,
    ],
    persistent: [
        schema::schema_fresh_database_is_initialized_once,
        schema::schema_too_new_is_refused,
        schema::schema_older_needs_upgrade_db,
        schema::schema_foreign_tables_are_refused,
    ],
}

/// The 100k-user seed runs on SQLite only: it measures the default deployment.
mod scale_sqlite {
    use super::harness::{Backend, run};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn seed_100k_users_then_page_and_filter() {
        run(
            Backend::SqliteFile,
            super::scale::seed_100k_users_then_page_and_filter,
        )
        .await;
    }
}
