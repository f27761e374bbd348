//! The sharing API's lookups: shares by owner, by group or by target, and bulk revocation of a
//! server's shares and codes.

use crate::clock::to_micros;
use crate::db::{Db, ExecuteWrite, hash_token};
use crate::error::Result;
use crate::model::{
    GroupId, Page, Pagination, ServerId, ShareCodeId, ShareCodeRow, ShareRow, ShareTarget, UserId,
};
use crate::shares::{code_row, share_row, target_ids};

/// Which of a server's share codes [`Db::delete_server_share_codes`] deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareCodeSelector<'a> {
    /// The one whose secret is this code.
    Code(&'a str),
    /// The one with this id.
    Id(ShareCodeId),
    /// All of them.
    All,
}

const SHARE_COLUMNS: &str = "SELECT id, server_id, user_id, group_id, scopes, created FROM shares";
const CODE_COLUMNS: &str = concat!(
    "SELECT id, server_id, scopes, created, expires_at, exchange_count, last_exchanged_at ",
    "FROM share_codes"
);
const OWNED: &str = "server_id IN (SELECT id FROM servers WHERE user_id = ?)";

// === impl Db ===

impl Db {
    async fn share_page(&self, filter: &str, key: i64, page: Pagination) -> Result<Page<ShareRow>> {
        let (limit, offset) = page.sql_args();
        let rows = self
            .q_owned(format!(
                "{SHARE_COLUMNS} WHERE {filter} ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(key)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(share_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q_owned(format!("SELECT COUNT(*) FROM shares WHERE {filter}"))
            .bind(key);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// One page of the shares of every server a user owns, oldest first.
    pub async fn list_owner_shares(
        &self,
        owner: UserId,
        page: Pagination,
    ) -> Result<Page<ShareRow>> {
        self.share_page(OWNED, owner.0, page).await
    }

    /// One page of the shares granted to a group, oldest first.
    pub async fn list_group_shares(
        &self,
        group: GroupId,
        page: Pagination,
    ) -> Result<Page<ShareRow>> {
        self.share_page("group_id = ?", group.0, page).await
    }

    /// The grant of a server to one user or group.
    pub async fn get_share(
        &self,
        server: ServerId,
        target: ShareTarget,
    ) -> Result<Option<ShareRow>> {
        let (user_id, group_id, column) = target_ids(target);
        let row = self
            .q_owned(format!(
                "{SHARE_COLUMNS} WHERE server_id = ? AND {column} = ?"
            ))
            .bind(server.0)
            .bind(user_id.or(group_id))
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(share_row).transpose()
    }

    /// Revokes every grant on a server; returns how many there were.
    pub async fn delete_server_shares(&self, server: ServerId) -> Result<u64> {
        let done = self
            .q("DELETE FROM shares WHERE server_id = ?")
            .bind(server.0)
            .execute_write(self)
            .await?;
        Ok(done.rows_affected())
    }

    /// One page of the unexpired share codes of every server a user owns, oldest first.
    pub async fn list_owner_share_codes(
        &self,
        owner: UserId,
        page: Pagination,
    ) -> Result<Page<ShareCodeRow>> {
        let (limit, offset) = page.sql_args();
        let now = to_micros(self.now());
        let filter = format!("{OWNED} AND expires_at > ?");
        let rows = self
            .q_owned(format!(
                "{CODE_COLUMNS} WHERE {filter} ORDER BY id LIMIT ? OFFSET ?"
            ))
            .bind(owner.0)
            .bind(now)
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await?;
        let items = rows.iter().map(code_row).collect::<Result<Vec<_>>>()?;
        let count = self
            .q_owned(format!("SELECT COUNT(*) FROM share_codes WHERE {filter}"))
            .bind(owner.0)
            .bind(now);
        let total = self.count(&self.pool, count).await?;
        Ok(Page::new(items, total, page))
    }

    /// Deletes a server's share codes, one or all; returns how many were deleted.
    pub async fn delete_server_share_codes(
        &self,
        server: ServerId,
        which: ShareCodeSelector<'_>,
    ) -> Result<u64> {
        let query = match which {
            ShareCodeSelector::Code(code) => self
                .q("DELETE FROM share_codes WHERE server_id = ? AND code_hash = ?")
                .bind(server.0)
                .bind(hash_token(code)),
            ShareCodeSelector::Id(id) => self
                .q("DELETE FROM share_codes WHERE server_id = ? AND id = ?")
                .bind(server.0)
                .bind(id.0),
            ShareCodeSelector::All => self
                .q("DELETE FROM share_codes WHERE server_id = ?")
                .bind(server.0),
        };
        Ok(query.execute_write(self).await?.rows_affected())
    }
}
