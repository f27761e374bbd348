//! What a login and a logout change in the database, once the authenticator has said who it is.

use ganymede_db::UserRow;
use ganymede_types::UserName;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;

/// A user the authenticator and the login policy accepted.
#[derive(Debug, Clone)]
pub struct AcceptedLogin {
    /// The hub's name for the user (normalised and mapped).
    pub name: UserName,
    /// `Some` to set the admin flag; `None` leaves the stored flag alone.
    pub admin: Option<bool>,
}

impl Hub {
    /// Whether a user of this name is in the database (for `allow_existing_users`).
    pub async fn user_exists(&self, name: &str) -> Result<bool, CoreError> {
        Ok(self.db.get_user(name).await?.is_some())
    }

    /// Records a successful login: creates the user if new, applies the admin decision and marks
    /// the user active. Returns the row, whose `cookie_id` keys the login cookie.
    pub async fn record_login(&self, login: &AcceptedLogin) -> Result<UserRow, CoreError> {
        let name = login.name.as_str();
        let mut user = match self.db.get_user(name).await? {
            Some(user) => user,
            None => {
                tracing::info!(user = %name, "creating a user at first login");
                self.db
                    .create_user(name, login.admin.unwrap_or(false))
                    .await?
            }
        };
        if let Some(admin) = login.admin
            && admin != user.admin
        {
            self.db.set_user_admin(name, admin).await?;
            user.admin = admin;
        }
        let now = self.db.now();
        self.db.touch_users(&[(user.id, now)]).await?;
        Ok(user)
    }

    /// Revokes what one browser session created: the OAuth tokens bound to its session id.
    pub async fn logout(
        &self,
        identity: &Identity,
        session_id: Option<&str>,
    ) -> Result<(), CoreError> {
        let (crate::Principal::User(user), Some(session_id)) = (&identity.principal, session_id)
        else {
            return Ok(());
        };
        let revoked = self.db.delete_session_tokens(user.id, session_id).await?;
        tracing::info!(user = %user.name, revoked, "logged out");
        Ok(())
    }

    /// Logs the user out of every browser: a new cookie id invalidates every login cookie.
    pub async fn logout_everywhere(&self, name: &str) -> Result<(), CoreError> {
        self.db.rotate_cookie_id(name).await?;
        Ok(())
    }
}
