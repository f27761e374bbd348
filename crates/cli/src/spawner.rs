//! The spawner `ganymede serve` gives the hub: the local-process spawner from `[spawner]`,
//! and the periodic check that running servers are still alive.

use std::os::unix::fs::DirBuilderExt;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ganymede_config::{Config, Profile};
use ganymede_core::{Hub, ProfileOverrides, SpawnProfile, SpawnSettings};
use ganymede_spawn::{LocalProcess, LocalProcessOptions};

/// The hub with the local-process spawner configured by `[spawner]` and the spawn limits of
/// `[hub]`; `hub_api_url` is where servers reach the hub's API.
pub(crate) async fn attach(hub: Hub, config: &Config, hub_api_url: &str) -> anyhow::Result<Hub> {
    let spawner = &config.spawner;
    let cmd = crate::singleuser_venv::resolve(&spawner.cmd, &config.hub.data_dir).await?;
    let log_dir = config.hub.data_dir.join("server-logs");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&log_dir)
        .with_context(|| {
            format!(
                "cannot create the server log directory {}",
                log_dir.display()
            )
        })?;
    let local = LocalProcess::new(LocalProcessOptions {
        env_keep: spawner.env_keep.clone(),
        create_system_users: spawner.create_system_users,
        term_timeout: Duration::from_secs(spawner.term_timeout),
    });
    let settings = SpawnSettings {
        cmd,
        args: spawner.args.clone(),
        environment: spawner.environment.clone(),
        notebook_dir: spawner.notebook_dir.clone(),
        default_url: spawner.default_url.clone(),
        ip: spawner.ip.clone(),
        start_timeout: Duration::from_secs(spawner.start_timeout),
        http_timeout: Duration::from_secs(spawner.http_timeout),
        concurrent_spawn_limit: config.hub.concurrent_spawn_limit,
        active_server_limit: config.hub.active_server_limit,
        spawn_queue_limit: config.hub.spawn_queue_limit,
        named_server_limit_per_user: config.hub.named_server_limit_per_user,
        hub_api_url: hub_api_url.to_owned(),
        log_dir,
        debug: spawner.debug,
        oauth_client_allowed_scopes: spawner.oauth_client_allowed_scopes.clone(),
        options_form: spawner.options_form.clone(),
        profiles: spawner.profiles.iter().map(profile).collect(),
        ..SpawnSettings::default()
    };
    Ok(hub.with_spawner(Arc::new(local), settings)?)
}

/// A `[[spawner.profiles]]` table as the hub applies it.
fn profile(profile: &Profile) -> SpawnProfile {
    let over = &profile.spawner_override;
    SpawnProfile {
        slug: profile.slug.clone(),
        display_name: profile.display_name.clone(),
        description: profile.description.clone(),
        default: profile.default,
        overrides: ProfileOverrides {
            cmd: over.cmd.clone(),
            args: over.args.clone(),
            environment: over.environment.clone().unwrap_or_default(),
            default_url: over.default_url.clone(),
            notebook_dir: over.notebook_dir.clone(),
        },
    }
}

/// Every `interval`, notices servers whose process died and cleans them up.
pub(crate) async fn poll_servers(
    hub: Arc<Hub>,
    interval: Duration,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    crate::periodic::every(interval, stop, || async {
        if let Err(error) = hub.check_servers(false).await {
            tracing::warn!(%error, "cannot check the running servers; retrying later");
        }
    })
    .await;
}
