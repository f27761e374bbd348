//! The options form and profiles: what the spawn page offers, how its answers become
//! `user_options` (JupyterHub's default `options_from_form`), and how the chosen profile
//! changes the spawner settings of one start (KubeSpawner's `profile_list`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::spawn::SpawnSettings;

/// The `user_options` key that names the chosen profile, as KubeSpawner's.
pub const PROFILE_KEY: &str = "profile";

/// One named environment a user may pick before their server starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpawnProfile {
    /// Its unique short name; `user_options.profile` holds it.
    pub slug: String,
    /// The name shown to users.
    pub display_name: String,
    /// The text shown under the name.
    pub description: String,
    /// Preselected, and used when a start names no profile.
    pub default: bool,
    /// What the profile changes.
    pub overrides: ProfileOverrides,
}

/// The spawner settings a profile changes; `None` keeps the hub-wide value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileOverrides {
    /// Replaces `cmd`.
    pub cmd: Option<Vec<String>>,
    /// Replaces `args`.
    pub args: Option<Vec<String>>,
    /// Set on top of `environment`.
    pub environment: BTreeMap<String, String>,
    /// Replaces `default_url`.
    pub default_url: Option<String>,
    /// Replaces `notebook_dir`.
    pub notebook_dir: Option<String>,
}

/// `user_options` name a profile the hub does not have, or name it with something else than a
/// string; the message is KubeSpawner's, listing the choices.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// No profile has this slug.
    #[error("No such profile: {slug}. Options include: {choices}")]
    Unknown {
        /// The slug asked for.
        slug: String,
        /// The configured slugs, comma separated.
        choices: String,
    },
    /// `profile` is not a string (or a one-string list, the shape a form gives).
    #[error("user_options.profile must be a string naming one of: {choices}")]
    NotAString {
        /// The configured slugs, comma separated.
        choices: String,
    },
}

/// The profile used when a start names none: the one marked default, else the first
/// (KubeSpawner's rule, so the form's preselected choice and an API start agree).
pub fn default_profile(profiles: &[SpawnProfile]) -> Option<&SpawnProfile> {
    profiles
        .iter()
        .find(|p| p.default)
        .or_else(|| profiles.first())
}

/// The profile `user_options` choose: `None` when no profiles are configured.
pub fn chosen_profile<'a>(
    profiles: &'a [SpawnProfile],
    user_options: &Value,
) -> Result<Option<&'a SpawnProfile>, ProfileError> {
    if profiles.is_empty() {
        return Ok(None);
    }
    let choices = || {
        profiles
            .iter()
            .map(|p| p.slug.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let slug = match user_options.get(PROFILE_KEY) {
        None | Some(Value::Null) => return Ok(default_profile(profiles)),
        Some(Value::String(slug)) => slug.as_str(),
        // JupyterHub 6's passthrough form data is a list per field; accept its one-value shape.
        Some(Value::Array(items)) if items.len() == 1 && items[0].is_string() => {
            items[0].as_str().unwrap_or_default()
        }
        Some(_) => return Err(ProfileError::NotAString { choices: choices() }),
    };
    profiles
        .iter()
        .find(|p| p.slug == slug)
        .map(Some)
        .ok_or_else(|| ProfileError::Unknown {
            slug: slug.to_owned(),
            choices: choices(),
        })
}

/// JupyterHub's default (`passthrough`) `options_from_form`: every field becomes the list of
/// its values, in order. The form's own `_xsrf` field is not an option (JupyterHub carries it
/// in the action URL instead). With profiles, `profile` becomes the chosen slug, a string, as
/// KubeSpawner's `options_from_form` makes it.
pub fn options_from_form(fields: &[(String, String)], with_profiles: bool) -> Value {
    let mut options = Map::new();
    for (key, value) in fields {
        if key == "_xsrf" {
            continue;
        }
        if with_profiles && key == PROFILE_KEY {
            options.insert(key.clone(), Value::String(value.clone()));
            continue;
        }
        match options
            .entry(key.clone())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            Value::Array(values) => values.push(Value::String(value.clone())),
            other => *other = Value::Array(vec![Value::String(value.clone())]),
        }
    }
    Value::Object(options)
}

impl SpawnSettings {
    /// The settings of one start: these, changed by `profile`'s overrides.
    pub(crate) fn with_profile(&self, profile: Option<&SpawnProfile>) -> SpawnSettings {
        let mut settings = self.clone();
        let Some(profile) = profile else {
            return settings;
        };
        let over = &profile.overrides;
        if let Some(cmd) = &over.cmd {
            settings.cmd.clone_from(cmd);
        }
        if let Some(args) = &over.args {
            settings.args.clone_from(args);
        }
        settings
            .environment
            .extend(over.environment.iter().map(|(k, v)| (k.clone(), v.clone())));
        if over.default_url.is_some() {
            settings.default_url.clone_from(&over.default_url);
        }
        if over.notebook_dir.is_some() {
            settings.notebook_dir.clone_from(&over.notebook_dir);
        }
        settings
    }

    /// Whether the spawn page asks before starting: an options form or profiles.
    pub fn has_options(&self) -> bool {
        self.options_form
            .as_deref()
            .is_some_and(|f| !f.trim().is_empty())
            || !self.profiles.is_empty()
    }
}

#[cfg(test)]
mod tests;
