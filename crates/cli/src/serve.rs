//! `ganymede serve` (the default): the hub, with the proxy in-process in front of it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::Args;
use ganymede_config::{Config, ConfigFile, ProcessEnv, Secrets};
use ganymede_core::{Hub, HubSettings, StartupGroup, StartupRole, StartupService, StartupState};
use ganymede_crypt::CryptKeys;
use ganymede_db::Db;
use ganymede_proxy::Proxy;

use crate::front_proxy::{FrontProxy, proxy_config, reconcile_routes};
use crate::logging;

/// Flags of `ganymede serve`.
#[derive(Debug, Clone, Args, Default)]
pub(crate) struct ServeArgs {
    /// The config file [default: ./ganymede.toml if it exists].
    #[arg(long, short = 'f', value_name = "PATH")]
    pub(crate) config: Option<PathBuf>,
    /// Set a config key, overriding the file and the environment: `--set hub.bind_url=http://127.0.0.1:9000`.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub(crate) set: Vec<String>,
    /// Log level (debug, info, warn, error).
    #[arg(long, value_name = "LEVEL", default_value = "info")]
    pub(crate) log_level: String,
}

impl ServeArgs {
    pub(crate) fn load_config(&self) -> anyhow::Result<Config> {
        let file = self
            .config
            .clone()
            .map_or(ConfigFile::Auto, ConfigFile::Path);
        let overrides = self
            .set
            .iter()
            .map(|pair| match pair.split_once('=') {
                Some((key, value)) => Ok((key.trim().to_owned(), value.to_owned())),
                None => bail!("--set {pair:?} must look like key=value, for example --set hub.base_url=/jupyter/"),
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(ganymede_config::load(&file, &ProcessEnv, &overrides)?)
    }
}

/// SQLAlchemy's `sqlite:///relative` and `sqlite:////absolute`, which admins know from
/// JupyterHub, in the form the database layer takes.
pub(crate) fn database_url(config: &Config) -> String {
    let url = config.hub.database_url();
    match url.strip_prefix("sqlite:///") {
        Some(path) if path != ":memory:" => format!("sqlite://{path}"),
        _ => url,
    }
}

pub(crate) fn socket_addr(url: &url::Url, what: &str) -> anyhow::Result<SocketAddr> {
    let mut addrs = url
        .socket_addrs(|| None)
        .with_context(|| format!("{what} {url} has no host and port to listen on"))?;
    addrs
        .pop()
        .with_context(|| format!("{what} {url} resolves to no address"))
}

/// Runs the hub until SIGTERM or SIGINT.
pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<()> {
    logging::init(&args.log_level);
    let config = args.load_config()?;
    let secrets = Secrets::load(&config, &ProcessEnv)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(serve(config, secrets))
}

/// The config's startup lists in the hub's plain types.
fn startup_state(config: &Config) -> StartupState {
    let hub = &config.hub;
    StartupState {
        admin_users: config.authenticator.admin_users.iter().cloned().collect(),
        allowed_users: config.authenticator.allowed_users.iter().cloned().collect(),
        groups: hub
            .load_groups
            .iter()
            .map(|(name, group)| StartupGroup {
                name: name.clone(),
                users: group.users.iter().cloned().collect(),
                // An empty table cannot be told from an absent one; only a non-empty one replaces.
                properties: (!group.properties.is_empty()).then(|| group.properties.clone()),
            })
            .collect(),
        roles: hub
            .load_roles
            .iter()
            .map(|role| StartupRole {
                name: role.name.clone(),
                description: role.description.clone(),
                // No scopes keep a default role's own.
                scopes: (!role.scopes.is_empty()).then(|| role.scopes.clone()),
                // For the `user` role, no list leaves its members alone, as in JupyterHub.
                users: (!role.users.is_empty() || role.name != "user")
                    .then(|| role.users.iter().cloned().collect()),
                groups: role.groups.iter().cloned().collect(),
                services: role.services.iter().cloned().collect(),
            })
            .collect(),
        services: hub
            .services
            .iter()
            .map(|service| StartupService {
                name: service.name.clone(),
                url: service.url.as_ref().map(|url| {
                    // `Url` adds a `/` to a bare origin; JupyterHub shows the URL as written.
                    let text = url.to_string();
                    match text.strip_suffix('/') {
                        Some(origin) if url.path() == "/" => origin.to_owned(),
                        _ => text,
                    }
                }),
                api_token: service.api_token.as_ref().map(|t| t.expose().clone()),
                admin: service.admin,
                oauth_client_id: service.oauth_client_id.clone(),
                oauth_redirect_uri: service.oauth_redirect_uri.clone(),
                oauth_no_confirm: service.oauth_no_confirm,
                oauth_client_allowed_scopes: service.oauth_client_allowed_scopes.clone(),
                display: service.display,
                info: service.info.clone().into_iter().collect(),
                command: service.command.clone(),
            })
            .collect(),
    }
}

async fn serve(mut config: Config, secrets: Secrets) -> anyhow::Result<()> {
    let shutdown = logging::install_shutdown_signal();
    crate::first_run::apply(&mut config)?;
    for warning in ganymede_auth::check_config(&config.authenticator) {
        match warning.severity {
            ganymede_auth::Severity::Error => {
                tracing::error!(key = %warning.key, "{}", warning.message)
            }
            ganymede_auth::Severity::Warning => {
                tracing::warn!(key = %warning.key, "{}", warning.message)
            }
        }
    }
    let login = ganymede_web::LoginService::from_config(&config.authenticator)?;
    let db = Db::connect_or_init(&database_url(&config)).await?;
    let mut front = FrontProxy::from_config(&config, &secrets)?;
    let mut hub = Hub::new(
        db,
        HubSettings {
            base_url: config.hub.base_url.clone(),
            api_page_default_limit: config.hub.api_page_default_limit,
            api_page_max_limit: config.hub.api_page_max_limit,
            cookie_max_age_days: config.hub.cookie_max_age_days,
            public_https: config.hub.bind_url.scheme() == "https",
            cookie_host_prefix: matches!(front, FrontProxy::Internal(_)),
            allow_named_servers: config.hub.allow_named_servers,
            ..HubSettings::default()
        },
    )
    .with_cookie_secret(secrets.cookie_secret.expose())
    .with_proxy(front.routes())
    .with_username_rules(Arc::new(LoginNames(
        ganymede_auth::LoginPolicy::from_config(&config.authenticator)?,
    )));
    if let Some(key) = &secrets.crypt_key {
        let keys = CryptKeys::from_env_value(key.expose()).context(
            "cannot use the auth_state encryption key (hub.crypt_key or JUPYTERHUB_CRYPT_KEY)",
        )?;
        hub = hub.with_crypt_keys(keys);
    }
    let hub_addr = socket_addr(&config.hub.hub_bind_url, "hub.hub_bind_url")?;
    let hub_listener = tokio::net::TcpListener::bind(hub_addr)
        .await
        .with_context(|| format!("cannot listen on hub.hub_bind_url {hub_addr}"))?;
    let hub_addr = hub_listener.local_addr()?;
    let connect = config.hub.hub_connect_url();
    let target = format!(
        "{}://{}:{}",
        connect.scheme(),
        connect.host_str().unwrap_or("127.0.0.1"),
        hub_addr.port()
    );
    let hub = crate::spawner::attach(
        hub,
        &config,
        &format!("{target}{}hub/api", config.hub.base_url),
    )
    .await?;
    let hub = Arc::new(hub);
    hub.load_startup_state(&startup_state(&config)).await?;
    let tokens: Vec<(String, String)> = config
        .hub
        .api_tokens
        .0
        .iter()
        .map(|(token, user)| (token.clone(), user.clone()))
        .collect();
    hub.load_api_tokens(&tokens).await?;

    let started = match front.take_launch() {
        Some(mut launch) => {
            launch.set_error_target(&format!("{target}{}hub", config.hub.base_url));
            let running = launch
                .start()
                .await
                .context("cannot start the proxy (proxy.should_start = true)")?;
            Some((launch, running))
        }
        None => None,
    };
    hub.ensure_hub_route(&target)
        .await
        .with_context(|| front.unreachable_hint())?;
    hub.check_proxy_routes().await?;
    let found = hub.check_servers(true).await?;
    if found.running + found.cleaned > 0 {
        tracing::info!(
            running = found.running,
            cleaned = found.cleaned,
            "checked the servers the database says are active"
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let proxy_task = match &front {
        FrontProxy::Internal(routes) => {
            let proxy = Proxy::bind(proxy_config(&config, &secrets)?, Arc::clone(routes)).await?;
            let public = proxy.addrs().proxy.map_or_else(
                || config.hub.bind_url.to_string(),
                |addr| format!("http://{addr}{}", config.hub.base_url),
            );
            tracing::info!("Ganymede is running at {public}");
            let mut proxy_stop = stop_rx.clone();
            tokio::spawn(proxy.serve(async move {
                let _ = proxy_stop.wait_for(|stop| *stop).await;
            }))
        }
        FrontProxy::External { api_url, .. } => {
            match &started {
                Some((launch, _)) => tracing::info!(
                    "Ganymede is running at {}",
                    launch.public_url(&config.hub.bind_url)
                ),
                None => tracing::info!(
                    "Ganymede's hub is running behind the external proxy whose API is at {api_url}"
                ),
            }
            let every = std::time::Duration::from_secs(config.hub.last_activity_interval.max(1));
            tokio::spawn(reconcile_routes(
                Arc::clone(&hub),
                target.clone(),
                every,
                stop_rx.clone(),
            ))
        }
    };
    let supervisor = started.map(|(launch, running)| {
        tokio::spawn(crate::started_proxy::supervise(
            launch,
            running,
            Arc::clone(&hub),
            target.clone(),
            config.hub.cleanup_proxy,
            stop_rx.clone(),
        ))
    });

    tokio::spawn(crate::spawner::poll_servers(
        Arc::clone(&hub),
        std::time::Duration::from_secs(config.spawner.poll_interval.max(1)),
        stop_rx.clone(),
    ));
    let pages = ganymede_web::pages_router(
        Arc::clone(&hub),
        ganymede_web::SiteConfig {
            template_paths: config.hub.template_paths.clone(),
            template_vars: config.hub.template_vars.clone(),
            login,
            shutdown_on_logout: config.hub.shutdown_on_logout,
        },
    );
    let app = ganymede_web::router(Arc::clone(&hub)).merge(pages);
    let mut hub_stop = stop_rx;
    let hub_server = tokio::spawn(async move {
        axum::serve(hub_listener, app)
            .with_graceful_shutdown(async move {
                let _ = hub_stop.wait_for(|stop| *stop).await;
            })
            .await
    });
    shutdown.await;
    let _ = stop_tx.send(true);
    let supervisor = async move {
        if let Some(task) = supervisor {
            let _ = task.await;
        }
    };
    let (hub_result, _, ()) = tokio::join!(hub_server, proxy_task, supervisor);
    hub_result
        .context("the hub task failed")?
        .context("the hub server failed")?;
    Ok(())
}

/// The login's name rules, for names given to the REST API (creating and renaming users).
#[derive(Debug)]
struct LoginNames(ganymede_auth::LoginPolicy);

impl ganymede_core::UsernameRules for LoginNames {
    fn normalize(&self, name: &str) -> String {
        self.0.normalize(name)
    }

    fn is_valid(&self, name: &str) -> bool {
        self.0.validate(name).is_ok()
    }
}
