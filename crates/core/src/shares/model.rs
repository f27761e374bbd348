//! The share and share-code models of `apihandlers/shares.py`, and the lookups behind them.

use std::collections::HashMap;

use ganymede_db::{
    GroupId, Page, ServerId, ServerRow, ServerState, ShareCodeRow, ShareRow, ShareTarget, UserId,
};
use serde_json::{Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::time::iso8601;

/// Python's `quote(name, safe='@~/')`, as JupyterHub escapes names in URLs.
fn url_escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~@/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Names looked up once per page: servers and their owners, users and groups by id.
#[derive(Default)]
pub(super) struct Names {
    servers: HashMap<ServerId, Value>,
    users: HashMap<UserId, String>,
    groups: HashMap<GroupId, String>,
}

impl Hub {
    async fn user_name(&self, names: &mut Names, id: UserId) -> Result<String, CoreError> {
        if let Some(name) = names.users.get(&id) {
            return Ok(name.clone());
        }
        let name = self
            .db
            .get_user_by_id(id)
            .await?
            .map(|u| u.name)
            .unwrap_or_default();
        names.users.insert(id, name.clone());
        Ok(name)
    }

    /// The truncated server model of a share: `user`, `name`, `url`, `full_url`, `ready`.
    pub(super) fn share_server_model(&self, owner: &str, server: &ServerRow) -> Value {
        let url = format!(
            "{}user/{}/{}",
            self.settings().base_url,
            url_escape(owner),
            if server.name.is_empty() {
                String::new()
            } else {
                format!("{}/", url_escape(&server.name))
            }
        );
        json!({
            "user": {"name": owner},
            "name": server.name,
            "url": url,
            "full_url": null,
            "ready": server.state == ServerState::Running,
        })
    }

    async fn server_model_by_id(
        &self,
        names: &mut Names,
        id: ServerId,
    ) -> Result<Value, CoreError> {
        if let Some(model) = names.servers.get(&id) {
            return Ok(model.clone());
        }
        let Some(server) = self.db.get_server_by_id(id).await? else {
            return Ok(Value::Null);
        };
        let owner = self.user_name(names, server.user_id).await?;
        let model = self.share_server_model(&owner, &server);
        names.servers.insert(id, model.clone());
        Ok(model)
    }

    /// JupyterHub's `share_model`.
    pub(super) async fn share_model(
        &self,
        names: &mut Names,
        share: &ShareRow,
    ) -> Result<Value, CoreError> {
        let server = self.server_model_by_id(names, share.server_id).await?;
        let (user, group, kind) = match share.target {
            ShareTarget::User(id) => (
                json!({"name": self.user_name(names, id).await?}),
                Value::Null,
                "user",
            ),
            ShareTarget::Group(id) => {
                let name = match names.groups.get(&id) {
                    Some(name) => name.clone(),
                    None => {
                        let name = self
                            .db
                            .get_group_by_id(id)
                            .await?
                            .map(|g| g.name)
                            .unwrap_or_default();
                        names.groups.insert(id, name.clone());
                        name
                    }
                };
                (Value::Null, json!({"name": name}), "group")
            }
        };
        Ok(json!({
            "server": server,
            "scopes": share.scopes,
            "user": user,
            "group": group,
            "kind": kind,
            "created_at": iso8601(&share.created),
        }))
    }

    /// JupyterHub's `share_code_model`; `code` only when it was just created.
    pub(super) async fn share_code_model(
        &self,
        names: &mut Names,
        code_row: &ShareCodeRow,
        code: Option<&str>,
    ) -> Result<Value, CoreError> {
        let server = self.server_model_by_id(names, code_row.server_id).await?;
        let mut model = json!({
            "server": server,
            "scopes": code_row.scopes,
            "id": format!("sc_{}", code_row.id.0),
            "created_at": iso8601(&code_row.created),
            "expires_at": iso8601(&code_row.expires_at),
            "exchange_count": code_row.exchange_count,
            "last_exchanged_at": code_row.last_exchanged_at.map(|t| iso8601(&t)),
        });
        if let Some(code) = code {
            model["code"] = json!(code);
            model["accept_url"] = json!(format!(
                "{}hub/accept-share?code={code}",
                self.settings().base_url
            ));
            model["full_accept_url"] = Value::Null;
        }
        Ok(model)
    }

    /// A page of shares as `(models, total)`.
    pub(super) async fn share_page(
        &self,
        page: Page<ShareRow>,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let mut names = Names::default();
        let mut items = Vec::with_capacity(page.items.len());
        for share in &page.items {
            items.push(self.share_model(&mut names, share).await?);
        }
        Ok((items, page.total))
    }

    /// A page of share codes as `(models, total)`.
    pub(super) async fn share_code_page(
        &self,
        page: Page<ShareCodeRow>,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let mut names = Names::default();
        let mut items = Vec::with_capacity(page.items.len());
        for code in &page.items {
            items.push(self.share_code_model(&mut names, code, None).await?);
        }
        Ok((items, page.total))
    }
}
