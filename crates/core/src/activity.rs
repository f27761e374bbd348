//! `POST /users/{name}/activity`: what single-user servers report every few minutes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use ganymede_db::{ActivityBatch, ServerId, UserId};
use ganymede_types::scope::{BuiltinScope, ScopeName};
use serde_json::{Map, Value};

use crate::error::CoreError;
use crate::hub::Hub;
use crate::identity::Identity;
use crate::py::{repr, repr_str};
use crate::time::iso8601;
use crate::users::user_resource;
use crate::users_edit::{json_body, truthy};

/// Activity further ahead than this is refused: a clock that wrong would keep a server alive.
const MAX_FUTURE: TimeDelta = TimeDelta::minutes(59);

const SERVERS_SHAPE: &str =
    "servers must be a dict of the form {server_name: {last_activity: timestamp}}";

fn bad(message: impl Into<String>) -> CoreError {
    CoreError::BadRequest(message.into())
}

/// JupyterHub's `_parse_timestamp`: ISO 8601 with an offset (converted to UTC) or naive (taken
/// as UTC), at most 59 minutes in the future.
///
/// `dateutil` accepts more spellings; these are the ones servers and the idle culler send.
pub(crate) fn parse_timestamp(
    value: &Value,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, CoreError> {
    let invalid = || bad(format!("Not a valid timestamp: {}", repr(value)));
    let Value::String(text) = value else {
        return Err(invalid());
    };
    let text = text.trim();
    let parsed = DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
            ]
            .iter()
            .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
            .or_else(|| {
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .map(|t| t.and_utc())
        })
        .ok_or_else(invalid)?;
    if parsed - now > MAX_FUTURE {
        return Err(bad(format!(
            "Rejecting activity from more than an hour in the future: {}",
            iso8601(&parsed)
        )));
    }
    Ok(parsed)
}

impl Hub {
    /// The id of the user `name`, from the [`IdCache`](crate::id_cache::IdCache) or the
    /// database.
    async fn activity_user(
        &self,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<UserId>, CoreError> {
        let generation = self.db.write_generation();
        if let Some(id) = self.ids.user(name, generation, now) {
            return Ok(Some(id));
        }
        let Some(row) = self.db.get_user(name).await? else {
            return Ok(None);
        };
        self.ids.insert_user(name, row.id, generation, now);
        Ok(Some(row.id))
    }

    /// The id of `user`'s server `name`, as [`Hub::activity_user`].
    async fn activity_server(
        &self,
        user: UserId,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ServerId>, CoreError> {
        let generation = self.db.write_generation();
        if let Some(id) = self.ids.server(user, name, generation, now) {
            return Ok(Some(id));
        }
        let Some(row) = self.db.get_server(user, name).await? else {
            return Ok(None);
        };
        self.ids.insert_server(user, name, row.id, generation, now);
        Ok(Some(row.id))
    }

    /// Checks the `servers` part: each named server exists (the default one always does) and
    /// carries a valid `last_activity`. Returns the servers that have a record, with their time.
    async fn activity_servers(
        &self,
        (user, user_name): (UserId, &str),
        servers: &Value,
        now: DateTime<Utc>,
    ) -> Result<Vec<(ServerId, DateTime<Utc>)>, CoreError> {
        let Value::Object(servers) = servers else {
            return Err(bad(SERVERS_SHAPE));
        };
        let mut updates = Vec::new();
        for (name, info) in servers {
            let record = self.activity_server(user, name, now).await?;
            // JupyterHub creates the default server's record with the user; here it appears
            // with the first spawn, so the default server exists without one.
            if record.is_none() && !name.is_empty() {
                return Err(bad(format!(
                    "No such server {} for user {}",
                    repr_str(name),
                    user_name
                )));
            }
            let Some(at) = info
                .as_object()
                .and_then(|i: &Map<String, Value>| i.get("last_activity"))
            else {
                return Err(bad(SERVERS_SHAPE));
            };
            let at = parse_timestamp(at, now)?;
            if let Some(record) = record {
                updates.push((record, at));
            }
        }
        Ok(updates)
    }

    /// `POST /users/{name}/activity` (users:activity): moves the user's and the servers'
    /// `last_activity` forward, never back, so a resent timestamp changes nothing.
    pub async fn record_activity(
        &self,
        identity: &Identity,
        name: &str,
        body: &str,
    ) -> Result<(), CoreError> {
        let not_found = || CoreError::NotFound(format!("No such user: {}", repr_str(name)));
        let (user, resource) = user_resource(name).map_err(|_| not_found())?;
        let identity = self.with_groups(identity, &user).await?;
        identity.check(
            &[ScopeName::from(BuiltinScope::UsersActivity)],
            Some(&resource),
        )?;
        let now = self.db.now();
        let id = self
            .activity_user(user.as_str(), now)
            .await?
            .ok_or_else(not_found)?;
        let Some(Value::Object(body)) = json_body(body)? else {
            return Err(bad("body must be a json dict"));
        };
        let last_activity = body.get("last_activity");
        let servers = body.get("servers");
        if !truthy(last_activity) && !truthy(servers) {
            return Err(bad(
                "body must contain at least one of `last_activity` or `servers`",
            ));
        }
        let server_updates = match servers {
            Some(servers) if truthy(Some(servers)) => {
                self.activity_servers((id, user.as_str()), servers, now)
                    .await?
            }
            _ => Vec::new(),
        };
        let mut batch = ActivityBatch::default();
        if let Some(at) = last_activity.filter(|v| truthy(Some(v))) {
            batch.user(id, parse_timestamp(at, now)?);
        }
        for (server, at) in server_updates {
            batch.server(server, at);
        }
        self.write_activity(batch).await
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn timestamps() {
        let now = Utc
            .with_ymd_and_hms(2026, 1, 2, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let ok = [
            ("2026-01-02T11:00:00Z", "2026-01-02T11:00:00Z"),
            ("2026-01-02T11:00:00.5Z", "2026-01-02T11:00:00.500000Z"),
            ("2026-01-02T13:00:00+02:00", "2026-01-02T11:00:00Z"),
            ("2026-01-02T11:00:00.050234", "2026-01-02T11:00:00.050234Z"),
            ("2026-01-02T12:58:00Z", "2026-01-02T12:58:00Z"),
        ];
        for (raw, expected) in ok {
            let parsed = parse_timestamp(&json!(raw), now).map(|t| iso8601(&t));
            assert_eq!(parsed.ok().as_deref(), Some(expected), "{raw}");
        }
        let refused = [
            (json!("yesterday"), "Not a valid timestamp: 'yesterday'"),
            (json!(5), "Not a valid timestamp: 5"),
            (
                json!("2026-01-02T13:00:01Z"),
                "Rejecting activity from more than an hour in the future: 2026-01-02T13:00:01Z",
            ),
        ];
        for (raw, message) in refused {
            let error = parse_timestamp(&raw, now).err().map(|e| e.to_string());
            assert_eq!(error.as_deref(), Some(message), "{raw}");
        }
    }
}
