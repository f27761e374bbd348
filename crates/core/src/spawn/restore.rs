//! Finding servers again: at startup (a hub killed with SIGKILL re-attaches to the servers
//! still running and restores their routes), and periodically (a server that died is noticed
//! and cleaned up, as JupyterHub's `poll_interval`).

use std::sync::Arc;

use futures_util::StreamExt;
use ganymede_db::{ServerId, ServerRow, ServerState, Transition};
use ganymede_spawn::{PollStatus, Probe};

use crate::error::CoreError;
use crate::hub::Hub;

/// Servers checked at once.
const CONCURRENCY: usize = 32;
/// Servers read per query.
const PAGE: u32 = 500;

/// What a check of the active servers found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerCheck {
    /// Still running (and routed).
    pub running: usize,
    /// Gone, and cleaned up.
    pub cleaned: usize,
}

enum Found {
    Running,
    Cleaned,
    Busy,
}

impl Hub {
    /// Checks every server the database says is active: a live one keeps (or gets back) its
    /// route, a dead one is cleaned up. `at_startup` also settles servers a killed hub left
    /// half-started or half-stopped.
    pub async fn check_servers(
        self: &Arc<Self>,
        at_startup: bool,
    ) -> Result<ServerCheck, CoreError> {
        let mut check = ServerCheck::default();
        if self.spawning.is_none() {
            return Ok(check);
        }
        let mut after = ServerId(0);
        loop {
            let page = self.db.list_active_servers(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let results: Vec<Found> = futures_util::stream::iter(page)
                .map(|row| {
                    let hub = Arc::clone(self);
                    async move { hub.check_server(row, at_startup).await }
                })
                .buffer_unordered(CONCURRENCY)
                .collect()
                .await;
            for found in results {
                match found {
                    Found::Running => check.running += 1,
                    Found::Cleaned => check.cleaned += 1,
                    Found::Busy => {}
                }
            }
        }
        Ok(check)
    }

    async fn check_server(self: Arc<Self>, row: ServerRow, at_startup: bool) -> Found {
        let Ok(spawning) = self.spawning().map(Arc::clone) else {
            return Found::Busy;
        };
        // While this hub runs, a start or stop in flight owns its server.
        if !at_startup && row.state != ServerState::Running {
            return Found::Busy;
        }
        let user = match self.db.get_user_by_id(row.user_id).await {
            Ok(Some(user)) => user,
            Ok(None) => return Found::Busy,
            Err(error) => {
                tracing::warn!(%error, "cannot read a server's user");
                return Found::Busy;
            }
        };
        let alive = matches!(
            spawning.spawner.poll(&row.spawner_state).await,
            Ok(PollStatus::Running)
        );
        // At startup the server must also answer (it may be a stranger's process by now);
        // later, a live process is enough, as JupyterHub's `poll`.
        let answers = match (alive, &row.url) {
            (true, Some(url)) if at_startup => {
                matches!(
                    spawning.http.probe(&format!("{url}api")).await,
                    Probe::Up(_)
                )
            }
            (alive, _) => alive,
        };
        let name = crate::spawn::lifecycle::log_name(&user.name, &row.name);
        if answers && let Some(target) = row.host.clone() {
            if at_startup {
                spawning.queue.adopt();
            }
            if row.state != ServerState::Running {
                let running = Transition {
                    expected: Some(row.state),
                    to: ServerState::Running,
                    message: "found running after a hub restart".to_owned(),
                };
                if let Err(error) = self.db.set_server_state(row.id, &running).await {
                    tracing::warn!(server = %name, %error, "cannot record a recovered server");
                }
            }
            if at_startup {
                match self
                    .add_server_route(&user, &row, &row.base_url, &target)
                    .await
                {
                    Ok(()) => {
                        tracing::info!(server = %name, %target, "re-attached to a running server")
                    }
                    Err(error) => {
                        tracing::warn!(server = %name, %error, "cannot restore the server's route")
                    }
                }
            }
            return Found::Running;
        }
        let why = if at_startup {
            "the server was gone when the hub started"
        } else {
            "the server's process exited"
        };
        tracing::warn!(server = %name, "{why}; cleaning up");
        if at_startup {
            // Counted as active only so that `finish_stop` can count it off.
            spawning.queue.adopt();
        }
        self.finish_stop(&user, row, why).await;
        Found::Cleaned
    }
}
