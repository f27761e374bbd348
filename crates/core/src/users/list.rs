//! The models of a page of users: groups, roles and active servers fetched for the whole page
//! at once, and the listing of callers whose `list:users` names users or groups.

use std::collections::{BTreeSet, HashMap};

use ganymede_db::{DbError, Memberships, Page, Pagination, ServerRow, UserId, UserQuery, UserRow};
use ganymede_types::UserName;

use super::{Known, group_filtered, group_set};
use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::model::{UserModel, user_model};

impl Hub {
    /// The models of many users, with one query per kind (groups, roles, active servers) for
    /// all of them, not one per user.
    pub(super) async fn models_of(
        &self,
        identity: &Identity,
        rows: &[UserRow],
        include_stopped_servers: bool,
    ) -> Result<Vec<UserModel>, CoreError> {
        let ids: Vec<UserId> = rows.iter().map(|r| r.id).collect();
        let memberships = self.db.memberships_of_users(&ids).await?;
        let active_servers = if include_stopped_servers {
            Vec::new()
        } else {
            self.db.active_servers_of(&ids).await?
        };
        self.models_with(
            identity,
            rows,
            include_stopped_servers,
            memberships,
            active_servers,
        )
        .await
    }

    /// The models of many users from their groups and roles and, without
    /// `include_stopped_servers`, their active servers, fetched for all of them at once.
    pub(super) async fn models_with(
        &self,
        identity: &Identity,
        rows: &[UserRow],
        include_stopped_servers: bool,
        mut memberships: HashMap<UserId, Memberships>,
        active_servers: Vec<ServerRow>,
    ) -> Result<Vec<UserModel>, CoreError> {
        let mut active: HashMap<UserId, Vec<ServerRow>> = HashMap::new();
        for server in active_servers {
            active.entry(server.user_id).or_default().push(server);
        }
        // The caller, knowing the groups of every listed user: `read:users!group=...` shows a
        // member's fields in a listing as it does for `GET /users/{name}`. Membership only
        // matters to `!group=` filters; without one, the copy and its map are skipped.
        let learned;
        let viewer = if group_filtered(identity) {
            let mut viewer = identity.clone();
            for row in rows {
                if let (Ok(user), Some(known)) =
                    (UserName::new(row.name.as_str()), memberships.get(&row.id))
                {
                    viewer.learn_groups(user, group_set(&known.groups));
                }
            }
            learned = viewer;
            &learned
        } else {
            identity
        };
        let mut models = Vec::with_capacity(rows.len());
        for row in rows {
            let Memberships { groups, roles } = memberships.remove(&row.id).unwrap_or_default();
            let known = Known {
                groups: Some(groups),
                roles: Some(roles),
                active: (!include_stopped_servers)
                    .then(|| active.remove(&row.id).unwrap_or_default()),
            };
            let extras = self
                .extras(viewer, row, include_stopped_servers, known)
                .await?;
            models.push(user_model(viewer, row, extras));
        }
        Ok(models)
    }

    /// A filtered listing for callers whose `list:users` names users or groups: small sets,
    /// so they are gathered and paged here.
    pub(super) async fn filtered_users<'a>(
        &self,
        users: impl Iterator<Item = &'a str>,
        groups: impl Iterator<Item = &'a str>,
        query: &UserQuery,
    ) -> Result<Page<UserRow>, CoreError> {
        let mut names: BTreeSet<String> = users.map(str::to_owned).collect();
        for group in groups {
            let mut offset = 0;
            loop {
                let members = self
                    .db
                    .group_members(group, Pagination::new(offset, 1000))
                    .await;
                let members = match members {
                    Ok(members) => members,
                    Err(DbError::GroupNotFound { .. }) => break,
                    Err(error) => return Err(error.into()),
                };
                let count = members.items.len() as u64;
                names.extend(members.items);
                offset += count;
                if count == 0 || offset >= members.total {
                    break;
                }
            }
        }
        let mut rows = Vec::new();
        for name in &names {
            if let Some(row) = self.db.get_user(name).await? {
                let keep = query
                    .name_filter
                    .as_ref()
                    .is_none_or(|f| row.name.to_lowercase().contains(&f.to_lowercase()));
                if keep {
                    rows.push(row);
                }
            }
        }
        let total = rows.len() as u64;
        let items = rows
            .into_iter()
            .skip(usize::try_from(query.page.offset).unwrap_or(usize::MAX))
            .take(query.page.limit as usize)
            .collect();
        Ok(Page {
            items,
            total,
            offset: query.page.offset,
            limit: query.page.limit,
        })
    }
}
