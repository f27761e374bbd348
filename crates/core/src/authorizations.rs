//! `GET /authorizations/token/{token}`: deprecated since JupyterHub 2.0 but still served by
//! 6.1.1, it resolves a token to its owner's model.

use ganymede_types::scope::identify_scopes;
use serde_json::Value;

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::{Identity, Principal};
use crate::users::not_found;

impl Hub {
    /// The model of `token`'s owner as `identity` sees it, plus what any token may see of its
    /// owner (the identify scopes); records the token's and the user's activity.
    pub async fn token_owner_model(
        &self,
        identity: &Identity,
        token: &str,
    ) -> Result<Value, CoreError> {
        if token.is_empty() || token.len() > 64 {
            return Err(not_found());
        }
        let row = self.db.find_token(token).await?.ok_or_else(not_found)?;
        let holder = match self.token_owner(row.owner).await {
            Ok(holder) => holder,
            Err(CoreError::Unauthenticated) => return Err(not_found()),
            Err(error) => return Err(error),
        };
        let mut viewer = identity.clone();
        viewer.scopes.extend(&identify_scopes(&holder.owner));
        let now = self.db.now();
        self.db.touch_tokens(&[(row.id, now)]).await?;
        match &holder.principal {
            Principal::User(user) => {
                self.db.touch_users(&[(user.id, now)]).await?;
                let user = self
                    .db
                    .get_user_by_id(user.id)
                    .await?
                    .ok_or_else(not_found)?;
                Ok(self.model(&viewer, &user, false).await?.to_value())
            }
            Principal::Service(service) => self.service_model(&viewer, service).await,
        }
    }
}
