//! `GET /services` and `GET /services/{name}`, with JupyterHub's service model.

use std::collections::BTreeSet;

use ganymede_db::{Pagination, RoleHolder, ServiceRow};
use ganymede_types::ServiceName;
use ganymede_types::scope::{BuiltinScope, Grant, Resource, ScopeName};
use serde_json::{Map, Value, json};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;

const READ_ANY: [BuiltinScope; 3] = [
    BuiltinScope::ReadServices,
    BuiltinScope::ReadServicesName,
    BuiltinScope::ReadRolesServices,
];

impl Hub {
    /// The service model as `identity` may see it (JupyterHub's `service_model`).
    pub(crate) async fn service_model(
        &self,
        identity: &Identity,
        row: &ServiceRow,
    ) -> Result<Value, CoreError> {
        let resource = ServiceName::new(row.name.as_str())
            .ok()
            .map(Resource::Service);
        let held = |scope: BuiltinScope| identity.allows(scope, resource.as_ref());
        let mut model = Map::new();
        // Every read scope reveals kind, name and admin; none reveals nothing.
        if held(BuiltinScope::ReadServices)
            || held(BuiltinScope::ReadServicesName)
            || held(BuiltinScope::ReadRolesServices)
        {
            model.insert("kind".to_owned(), json!("service"));
            model.insert("name".to_owned(), json!(row.name));
            model.insert("admin".to_owned(), json!(row.admin));
        }
        if held(BuiltinScope::ReadServices) {
            let command = self
                .loaded()
                .service_commands
                .get(&row.name)
                .cloned()
                .unwrap_or_default();
            let prefix = if row.url.is_some() {
                format!("{}services/{}/", self.settings().base_url, row.name)
            } else {
                String::new()
            };
            model.insert("url".to_owned(), json!(row.url.clone().unwrap_or_default()));
            model.insert("prefix".to_owned(), json!(prefix));
            model.insert("command".to_owned(), json!(command));
            // Ganymede starts no service processes.
            model.insert("pid".to_owned(), json!(0));
            model.insert("info".to_owned(), row.info.clone());
            model.insert("display".to_owned(), json!(row.display));
        }
        if held(BuiltinScope::ReadRolesServices) {
            let mut roles: BTreeSet<String> = self
                .db
                .holder_roles(RoleHolder::Service(&row.name))
                .await?
                .into_iter()
                .map(|r| r.name)
                .collect();
            if row.admin {
                roles.insert("admin".to_owned());
            }
            model.insert("roles".to_owned(), json!(roles));
        }
        Ok(Value::Object(model))
    }

    /// `GET /services`: `{name: model}` for every service `list:services` covers.
    pub async fn list_services(
        &self,
        identity: &Identity,
    ) -> Result<Map<String, Value>, CoreError> {
        let grant = identity
            .scopes
            .check_list(BuiltinScope::ListServices)?
            .clone();
        let mut data = Map::new();
        let mut offset = 0;
        loop {
            let page = self.db.list_services(Pagination::new(offset, 1000)).await?;
            offset += page.items.len() as u64;
            for row in &page.items {
                // Only `!service=` filters select services, as in JupyterHub.
                let listed = match &grant {
                    Grant::All => true,
                    Grant::Only(set) => ServiceName::new(row.name.as_str())
                        .is_ok_and(|name| set.services().contains(&name)),
                };
                if listed {
                    data.insert(row.name.clone(), self.service_model(identity, row).await?);
                }
            }
            if page.items.is_empty() || offset >= page.total {
                break;
            }
        }
        Ok(data)
    }

    /// `GET /services/{name}`.
    pub async fn get_service(&self, identity: &Identity, name: &str) -> Result<Value, CoreError> {
        let resource = ServiceName::new(name)
            .map(Resource::Service)
            .map_err(|_| CoreError::NotFound(format!("No such service: {name}")))?;
        let any_of: Vec<ScopeName> = READ_ANY.iter().map(|s| ScopeName::from(*s)).collect();
        identity.check(&any_of, Some(&resource))?;
        let row = self
            .db
            .get_service(name)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("No such service: {name}")))?;
        self.service_model(identity, &row).await
    }
}
