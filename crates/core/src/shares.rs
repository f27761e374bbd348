//! Sharing a server (JupyterHub 5+, `apihandlers/shares.py`): grants to users and groups, and
//! codes that become grants, with JupyterHub's scope checks, messages and models.

mod model;

use std::collections::BTreeSet;

use base64::Engine as _;
use chrono::Duration;
use ganymede_db::{
    NewShareCode, Pagination, ServerRow, ServerSpec, ShareCodeId, ShareCodeSelector, ShareTarget,
    UserRow,
};
use ganymede_types::scope::{BuiltinScope, Resource, ScopeName};
use ganymede_types::{FullServerName, GroupName, ServerName, UserName};
use serde_json::Value;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;

/// `POST` and `PATCH /shares/{owner}/{server}`: whom to grant to or revoke from, and what.
#[derive(Debug, Clone, Default)]
pub struct ShareRequest {
    /// Share with this user...
    pub user: Option<String>,
    /// ...or with this group.
    pub group: Option<String>,
    /// The scopes; unset or empty means the default (grant) or all (revoke).
    pub scopes: Option<Vec<String>>,
}

/// `POST /share-codes/{owner}/{server}`.
#[derive(Debug, Clone, Default)]
pub struct ShareCodeRequest {
    /// The scopes; unset or empty means `access:servers` on the server.
    pub scopes: Option<Vec<String>>,
    /// Seconds until the code expires: 60 to one year, one day by default.
    pub expires_in: Option<i64>,
}

/// `DELETE /share-codes/{owner}/{server}`: which codes.
#[derive(Debug, Clone)]
pub enum ShareCodeDeletion {
    /// `?code=`.
    Code(String),
    /// `?id=sc_N`.
    Id(String),
    /// Neither: all of the server's codes.
    All,
}

const MAX_CODE_SECONDS: i64 = 525_600 * 60;

fn names(scopes: &[BuiltinScope]) -> Vec<ScopeName> {
    scopes.iter().map(|s| ScopeName::from(*s)).collect()
}

fn share_target(request: &ShareRequest) -> Result<(), CoreError> {
    match (&request.user, &request.group) {
        (Some(_), Some(_)) => Err(CoreError::BadRequest(
            "Expected exactly one of `user` or `group`, not both.".to_owned(),
        )),
        (None, None) => Err(CoreError::BadRequest(
            "Specify exactly one of `user` or `group`".to_owned(),
        )),
        _ => Ok(()),
    }
}

/// The resource a `{owner}/{server}` path names; a name that cannot exist is simply not found.
fn server_resource(owner: &str, server: &str) -> Result<Resource, CoreError> {
    let not_found = || CoreError::NotFound(format!("No such server: {owner}/{server}"));
    let user = UserName::new(owner).map_err(|_| not_found())?;
    let server = ServerName::new(server).map_err(|_| not_found())?;
    Ok(Resource::Server(FullServerName::new(user, server)))
}

impl Hub {
    /// The caller, knowing the groups of the user a path names (for `!group=` filters).
    async fn for_user(
        &self,
        identity: &Identity,
        user: &str,
    ) -> Result<(Identity, Option<Resource>), CoreError> {
        match UserName::new(user) {
            Ok(name) => Ok((
                self.with_groups(identity, &name).await?,
                Some(Resource::User(name)),
            )),
            Err(_) => Ok((identity.clone(), None)),
        }
    }

    async fn for_server(
        &self,
        identity: &Identity,
        owner: &str,
        server: &str,
    ) -> Result<(Identity, Resource), CoreError> {
        let resource = server_resource(owner, server)?;
        let (identity, _) = self.for_user(identity, owner).await?;
        Ok((identity, resource))
    }

    /// JupyterHub's `_lookup_spawner`: 404 unless the owner and the server exist. Every user
    /// has a default server (JupyterHub creates its record with the user), so its row is
    /// created here if it never started.
    async fn lookup_server(
        &self,
        owner: &str,
        server: &str,
    ) -> Result<(UserRow, ServerRow), CoreError> {
        let not_found = || CoreError::NotFound(format!("No such server: {owner}/{server}"));
        let user = self.db.get_user(owner).await?.ok_or_else(not_found)?;
        let row = match self.db.get_server(user.id, server).await? {
            Some(row) => row,
            None if server.is_empty() => {
                let urls = crate::model::Urls {
                    base_url: &self.settings().base_url,
                };
                let spec = ServerSpec {
                    name: String::new(),
                    display_name: String::new(),
                    base_url: urls.user_url(&user.name),
                    user_options: serde_json::json!({}),
                };
                self.db.upsert_server(user.id, &spec).await?
            }
            None => return Err(not_found()),
        };
        Ok((user, row))
    }

    /// `Share._apply_filter`: every scope exists and carries no filter but this server's,
    /// which is then put on all of them.
    fn filter_scopes(
        &self,
        scopes: Option<&Vec<String>>,
        owner: &str,
        server: &str,
    ) -> Result<Vec<String>, CoreError> {
        let server_filter = format!("server={owner}/{server}");
        let scopes = match scopes {
            Some(scopes) if !scopes.is_empty() => scopes.clone(),
            _ => vec![format!("access:servers!{server_filter}")],
        };
        let mut filtered = BTreeSet::new();
        for scope in &scopes {
            self.registry.parse(scope).map_err(|e| {
                CoreError::BadRequest(format!("Scope '{scope}' for share does not exist: {e}"))
            })?;
            let (base, filter) = scope.split_once('!').unwrap_or((scope.as_str(), ""));
            if !filter.is_empty() && filter != server_filter {
                return Err(CoreError::BadRequest(format!(
                    "!{filter} not allowed on sharing {scope}, only !{server_filter}"
                )));
            }
            filtered.insert(format!("{base}!{server_filter}"));
        }
        Ok(filtered.into_iter().collect())
    }

    /// 403 unless the caller holds every scope it would grant.
    fn check_grantable(&self, identity: &Identity, scopes: &[String]) -> Result<(), CoreError> {
        for raw in scopes {
            let allowed = self
                .registry
                .parse(raw)
                .is_ok_and(|scope| identity.allows(scope.name().clone(), scope.resource()));
            if !allowed {
                return Err(CoreError::Forbidden(format!(
                    "Do not have permission to grant share with scope {raw}"
                )));
            }
        }
        Ok(())
    }

    /// `GET /shares/{owner}[/{server}]`: a page of the shares of one or all of the owner's
    /// servers, and their total.
    pub async fn list_server_shares(
        &self,
        identity: &Identity,
        owner: &str,
        server: Option<&str>,
        page: Pagination,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let read = names(&[BuiltinScope::ReadShares]);
        let rows = match server {
            Some(server) => {
                let (identity, resource) = self.for_server(identity, owner, server).await?;
                identity.check(&read, Some(&resource))?;
                let (_, row) = self.lookup_server(owner, server).await?;
                self.db.list_server_shares(row.id, page).await?
            }
            None => {
                let (identity, resource) = self.for_user(identity, owner).await?;
                identity.check(&read, resource.as_ref())?;
                let user = self.db.get_user(owner).await?;
                let user = user.ok_or_else(|| CoreError::NotFound("Not Found".to_owned()))?;
                self.db.list_owner_shares(user.id, page).await?
            }
        };
        self.share_page(rows).await
    }

    /// `POST /shares/{owner}/{server}`: grants scopes on the server, merged with any granted
    /// before; returns the share.
    pub async fn grant_share(
        &self,
        identity: &Identity,
        owner: &str,
        server: &str,
        request: &ShareRequest,
    ) -> Result<Value, CoreError> {
        let (identity, resource) = self.for_server(identity, owner, server).await?;
        identity.check(&names(&[BuiltinScope::Shares]), Some(&resource))?;
        share_target(request)?;
        let scopes = self.filter_scopes(request.scopes.as_ref(), owner, server)?;
        let (owner_row, server_row) = self.lookup_server(owner, server).await?;
        self.check_grantable(&identity, &scopes)?;
        let target = self.grant_target(&identity, request).await?;
        let mut merged: BTreeSet<String> = self
            .db
            .get_share(server_row.id, target)
            .await?
            .map(|share| share.scopes.into_iter().collect())
            .unwrap_or_default();
        merged.extend(scopes);
        let merged: Vec<String> = merged.into_iter().collect();
        let share = self.db.upsert_share(server_row.id, target, &merged).await?;
        tracing::info!(server = %format!("{}/{}", owner_row.name, server_row.name), scopes = ?merged, by = identity.name(), "granted a share");
        let mut names = model::Names::default();
        self.share_model(&mut names, &share).await
    }

    async fn grant_target(
        &self,
        identity: &Identity,
        request: &ShareRequest,
    ) -> Result<ShareTarget, CoreError> {
        if let Some(user) = &request.user {
            let resource = UserName::new(user.as_str()).ok().map(Resource::User);
            let (named, _) = self.for_user(identity, user).await?;
            if resource.is_none() || !named.allows(BuiltinScope::ReadUsersName, resource.as_ref()) {
                return Err(CoreError::Forbidden(
                    "Need scope 'read:users:name' to share with users by name".to_owned(),
                ));
            }
            let row = self.db.get_user(user).await?;
            let row = row.ok_or_else(|| CoreError::BadRequest(format!("No such user: {user}")))?;
            return Ok(ShareTarget::User(row.id));
        }
        let group = request.group.clone().unwrap_or_default();
        let resource = GroupName::new(group.as_str()).ok().map(Resource::Group);
        if resource.is_none() || !identity.allows(BuiltinScope::ReadGroupsName, resource.as_ref()) {
            return Err(CoreError::Forbidden(
                "Need scope 'read:groups:name' to share with groups by name".to_owned(),
            ));
        }
        let row = self.db.get_group(&group).await?;
        let row = row.ok_or_else(|| CoreError::BadRequest(format!("No such group: {group}")))?;
        Ok(ShareTarget::Group(row.id))
    }

    /// `PATCH /shares/{owner}/{server}`: revokes some or all scopes of one share; returns the
    /// share left, or `{}` when none is.
    pub async fn revoke_share(
        &self,
        identity: &Identity,
        owner: &str,
        server: &str,
        request: &ShareRequest,
    ) -> Result<Value, CoreError> {
        let (identity, resource) = self.for_server(identity, owner, server).await?;
        identity.check(&names(&[BuiltinScope::Shares]), Some(&resource))?;
        share_target(request)?;
        let (_, server_row) = self.lookup_server(owner, server).await?;
        let empty = || Value::Object(serde_json::Map::new());
        // Revoking from a user or group that does not exist revokes nothing.
        let target = match (&request.user, &request.group) {
            (Some(user), _) => match self.db.get_user(user).await? {
                Some(row) => ShareTarget::User(row.id),
                None => return Ok(empty()),
            },
            (_, Some(group)) => match self.db.get_group(group).await? {
                Some(row) => ShareTarget::Group(row.id),
                None => return Ok(empty()),
            },
            (None, None) => return Ok(empty()),
        };
        let Some(share) = self.db.get_share(server_row.id, target).await? else {
            return Ok(empty());
        };
        let revoke: Option<&Vec<String>> = request.scopes.as_ref().filter(|s| !s.is_empty());
        let left: Vec<String> = match revoke {
            None => Vec::new(),
            Some(revoke) => share
                .scopes
                .iter()
                .filter(|s| !revoke.contains(s))
                .cloned()
                .collect(),
        };
        let mut names = model::Names::default();
        if left == share.scopes {
            return self.share_model(&mut names, &share).await;
        }
        tracing::info!(server = %format!("{owner}/{server}"), by = identity.name(), "revoked share scopes");
        if left.is_empty() {
            self.db.delete_share(server_row.id, target).await?;
            return Ok(empty());
        }
        let share = self.db.upsert_share(server_row.id, target, &left).await?;
        self.share_model(&mut names, &share).await
    }

    /// `DELETE /shares/{owner}/{server}`: revokes every share of the server.
    pub async fn delete_server_shares(
        &self,
        identity: &Identity,
        owner: &str,
        server: &str,
    ) -> Result<(), CoreError> {
        let (identity, resource) = self.for_server(identity, owner, server).await?;
        identity.check(&names(&[BuiltinScope::Shares]), Some(&resource))?;
        let (_, server_row) = self.lookup_server(owner, server).await?;
        let deleted = self.db.delete_server_shares(server_row.id).await?;
        tracing::info!(server = %format!("{owner}/{server}"), deleted, by = identity.name(), "deleted all shares");
        Ok(())
    }

    /// `GET /users/{name}/shared`: the shares a user receives, directly or through groups.
    pub async fn list_user_shared(
        &self,
        identity: &Identity,
        user: &str,
        page: Pagination,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let (identity, resource) = self.for_user(identity, user).await?;
        identity.check(&names(&[BuiltinScope::ReadUsersShares]), resource.as_ref())?;
        let row = self.db.get_user(user).await?;
        let row = row.ok_or_else(|| CoreError::NotFound(format!("No such user: {user}")))?;
        let rows = self.db.list_user_shares(row.id, page).await?;
        self.share_page(rows).await
    }

    /// `GET /groups/{name}/shared`: the shares granted to a group.
    pub async fn list_group_shared(
        &self,
        identity: &Identity,
        group: &str,
        page: Pagination,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let resource = GroupName::new(group).ok().map(Resource::Group);
        identity.check(&names(&[BuiltinScope::ReadGroupsShares]), resource.as_ref())?;
        let row = self.db.get_group(group).await?;
        let row = row.ok_or_else(|| CoreError::NotFound(format!("No such group: {group}")))?;
        let rows = self.db.list_group_shares(row.id, page).await?;
        self.share_page(rows).await
    }

    /// `GET` (`delete: false`) or `DELETE /users/{name}/shared/{owner}/{server}` and the same
    /// under `/groups/{name}`: one share received, or its revocation by the recipient.
    pub async fn received_share(
        &self,
        identity: &Identity,
        recipient: Recipient<'_>,
        owner: &str,
        server: &str,
        delete: bool,
    ) -> Result<Option<Value>, CoreError> {
        let (identity, resource, scope) = match recipient {
            Recipient::User(user) => {
                let (identity, resource) = self.for_user(identity, user).await?;
                let scope = if delete {
                    BuiltinScope::UsersShares
                } else {
                    BuiltinScope::ReadUsersShares
                };
                (identity, resource, scope)
            }
            Recipient::Group(group) => {
                let resource = GroupName::new(group).ok().map(Resource::Group);
                let scope = if delete {
                    BuiltinScope::GroupsShares
                } else {
                    BuiltinScope::ReadGroupsShares
                };
                (identity.clone(), resource, scope)
            }
        };
        identity.check(&names(&[scope]), resource.as_ref())?;
        let (kind, name) = match recipient {
            Recipient::User(user) => ("user", user),
            Recipient::Group(group) => ("group", group),
        };
        let not_found = || {
            CoreError::NotFound(format!(
                "No such share for {kind} {name} on {owner}/{server}"
            ))
        };
        let target = match recipient {
            Recipient::User(user) => self
                .db
                .get_user(user)
                .await?
                .map(|u| ShareTarget::User(u.id)),
            Recipient::Group(group) => match self.db.get_group(group).await? {
                Some(g) => Some(ShareTarget::Group(g.id)),
                None => return Err(CoreError::NotFound(format!("No such group: {group}"))),
            },
        };
        let target = target.ok_or_else(not_found)?;
        let server_row = match self.lookup_server(owner, server).await {
            Ok((_, row)) => row,
            Err(CoreError::NotFound(_)) => return Err(not_found()),
            Err(error) => return Err(error),
        };
        let share = self
            .db
            .get_share(server_row.id, target)
            .await?
            .ok_or_else(not_found)?;
        if delete {
            self.db.delete_share(server_row.id, target).await?;
            tracing::info!(%kind, %name, server = %format!("{owner}/{server}"), by = identity.name(), "share revoked by its recipient");
            return Ok(None);
        }
        let mut names = model::Names::default();
        self.share_model(&mut names, &share).await.map(Some)
    }

    /// `GET /share-codes/{owner}[/{server}]`: a page of unexpired codes, without the codes.
    pub async fn list_share_codes(
        &self,
        identity: &Identity,
        owner: &str,
        server: Option<&str>,
        page: Pagination,
    ) -> Result<(Vec<Value>, u64), CoreError> {
        let read = names(&[BuiltinScope::ReadShares]);
        let rows = match server {
            Some(server) => {
                let (identity, resource) = self.for_server(identity, owner, server).await?;
                identity.check(&read, Some(&resource))?;
                let (_, row) = self.lookup_server(owner, server).await?;
                self.db.list_share_codes(row.id, page).await?
            }
            None => {
                let (identity, resource) = self.for_user(identity, owner).await?;
                identity.check(&read, resource.as_ref())?;
                let user = self.db.get_user(owner).await?;
                let user = user.ok_or_else(|| CoreError::NotFound("Not Found".to_owned()))?;
                self.db.list_owner_share_codes(user.id, page).await?
            }
        };
        self.share_code_page(rows).await
    }

    /// `POST /share-codes/{owner}/{server}`: a new code, shown this once.
    pub async fn create_share_code(
        &self,
        identity: &Identity,
        owner: &str,
        server: &str,
        request: &ShareCodeRequest,
    ) -> Result<Value, CoreError> {
        let (identity, resource) = self.for_server(identity, owner, server).await?;
        identity.check(&names(&[BuiltinScope::Shares]), Some(&resource))?;
        let expires_in = request.expires_in.unwrap_or(86_400);
        if !(60..=MAX_CODE_SECONDS).contains(&expires_in) {
            return Err(CoreError::BadRequest(format!(
                "expires_in must be between 60 and {MAX_CODE_SECONDS} seconds, not {expires_in}"
            )));
        }
        let scopes = self.filter_scopes(request.scopes.as_ref(), owner, server)?;
        self.check_grantable(&identity, &scopes)?;
        let (_, server_row) = self.lookup_server(owner, server).await?;
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes);
        let code = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let row = self
            .db
            .insert_share_code(&NewShareCode {
                code: code.clone(),
                server_id: server_row.id,
                scopes,
                expires_at: self.db.now() + Duration::seconds(expires_in),
            })
            .await?;
        tracing::info!(server = %format!("{owner}/{server}"), by = identity.name(), "created a share code");
        let mut names = model::Names::default();
        self.share_code_model(&mut names, &row, Some(&code)).await
    }

    /// `DELETE /share-codes/{owner}/{server}`.
    pub async fn delete_share_codes(
        &self,
        identity: &Identity,
        owner: &str,
        server: &str,
        which: &ShareCodeDeletion,
    ) -> Result<(), CoreError> {
        let (identity, resource) = self.for_server(identity, owner, server).await?;
        identity.check(&names(&[BuiltinScope::Shares]), Some(&resource))?;
        let (_, server_row) = self.lookup_server(owner, server).await?;
        let deleted = match which {
            ShareCodeDeletion::Code(code) => {
                let n = self
                    .db
                    .delete_server_share_codes(server_row.id, ShareCodeSelector::Code(code))
                    .await?;
                if n == 0 {
                    return Err(CoreError::NotFound("No matching code found".to_owned()));
                }
                n
            }
            ShareCodeDeletion::Id(id) => {
                let missing = || CoreError::NotFound(format!("No code found matching id={id}"));
                let number = id
                    .strip_prefix("sc_")
                    .and_then(|n| n.parse::<i64>().ok())
                    .ok_or_else(missing)?;
                let n = self
                    .db
                    .delete_server_share_codes(
                        server_row.id,
                        ShareCodeSelector::Id(ShareCodeId(number)),
                    )
                    .await?;
                if n == 0 {
                    return Err(missing());
                }
                n
            }
            ShareCodeDeletion::All => {
                self.db
                    .delete_server_share_codes(server_row.id, ShareCodeSelector::All)
                    .await?
            }
        };
        tracing::info!(server = %format!("{owner}/{server}"), deleted, by = identity.name(), "deleted share codes");
        Ok(())
    }
}

/// Who received a share, as the path names them.
#[derive(Debug, Clone, Copy)]
pub enum Recipient<'a> {
    /// `/users/{name}/shared/...`.
    User(&'a str),
    /// `/groups/{name}/shared/...`.
    Group(&'a str),
}
