//! `GET /authorizations/token/{token}`: deprecated since JupyterHub 2.0 but still served by
//! 6.1.1, it resolves a token to its owner's model.

use ganymede_db::{RoleHolder, ServiceRow};
use ganymede_types::ServiceName;
use ganymede_types::scope::{BuiltinScope, Resource, identify_scopes};
use serde_json::{Map, Value, json};

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
                self.model(&viewer, &user, false).await
            }
            Principal::Service(service) => self.service_model(&viewer, service).await,
        }
    }

    /// JupyterHub's `service_model`, keys filtered by the viewer's scopes on the service.
    async fn service_model(
        &self,
        identity: &Identity,
        service: &ServiceRow,
    ) -> Result<Value, CoreError> {
        let resource = ServiceName::new(service.name.as_str())
            .ok()
            .map(Resource::Service);
        let held = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
        let mut model = Map::new();
        model.insert("kind".to_owned(), json!("service"));
        model.insert("name".to_owned(), json!(service.name));
        if held(BuiltinScope::ReadServices) || held(BuiltinScope::ReadServicesName) {
            model.insert("admin".to_owned(), json!(service.admin));
        }
        if held(BuiltinScope::ReadServices) {
            let prefix = if service.url.is_some() {
                format!("{}services/{}/", self.settings().base_url, service.name)
            } else {
                String::new()
            };
            model.insert(
                "url".to_owned(),
                json!(service.url.as_deref().unwrap_or("")),
            );
            model.insert("prefix".to_owned(), json!(prefix));
            model.insert("command".to_owned(), json!(""));
            model.insert("pid".to_owned(), json!(0));
            model.insert("info".to_owned(), service.info.clone());
            model.insert("display".to_owned(), json!(service.display));
        }
        if held(BuiltinScope::ReadRolesServices) {
            let roles: std::collections::BTreeSet<String> = self
                .db
                .holder_roles(RoleHolder::Service(&service.name))
                .await?
                .into_iter()
                .map(|r| r.name)
                .collect();
            model.insert("roles".to_owned(), json!(roles));
            model.insert("admin".to_owned(), json!(service.admin));
        }
        Ok(Value::Object(model))
    }
}
