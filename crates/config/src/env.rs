//! The environment, read through [`Env`] so that tests pass a map and never touch the process's.

use std::collections::{BTreeMap, HashMap};

/// Where environment variables come from.
pub trait Env {
    /// One variable; `None` if unset or not valid UTF-8.
    fn var(&self, name: &str) -> Option<String>;

    /// Every variable whose name starts with `prefix`, sorted by name.
    fn vars_with_prefix(&self, prefix: &str) -> Vec<(String, String)>;
}

/// The process's own environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn vars_with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = name.into_string().ok()?;
                if !name.starts_with(prefix) {
                    return None;
                }
                let value = value.to_string_lossy().into_owned();
                Some((name, value))
            })
            .collect();
        vars.sort();
        vars
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }

    fn vars_with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        self.range(prefix.to_owned()..)
            .take_while(|(name, _)| name.starts_with(prefix))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect()
    }
}

impl Env for HashMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }

    fn vars_with_prefix(&self, prefix: &str) -> Vec<(String, String)> {
        let mut vars: Vec<(String, String)> = self
            .iter()
            .filter(|(name, _)| name.starts_with(prefix))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        vars.sort();
        vars
    }
}

/// The prefix of Ganymede's config variables.
pub const ENV_PREFIX: &str = "GANYMEDE_";

/// The variable that sets a key: `hub.bind_url` is `GANYMEDE_HUB__BIND_URL`.
pub fn env_var_name(key: &str) -> String {
    format!(
        "{ENV_PREFIX}{}",
        key.replace('.', "__").to_ascii_uppercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_env_lists_only_the_prefix() {
        let env = BTreeMap::from([
            ("A".to_owned(), "1".to_owned()),
            ("GANYMEDE_B".to_owned(), "2".to_owned()),
            ("GANYMEDE_C".to_owned(), "3".to_owned()),
            ("Z".to_owned(), "4".to_owned()),
        ]);
        let names: Vec<String> = env
            .vars_with_prefix(ENV_PREFIX)
            .into_iter()
            .map(|v| v.0)
            .collect();
        assert_eq!(names, ["GANYMEDE_B", "GANYMEDE_C"]);
        assert_eq!(env.var("Z").as_deref(), Some("4"));
    }

    #[test]
    fn names() {
        let cases = [
            ("hub.bind_url", "GANYMEDE_HUB__BIND_URL"),
            (
                "authenticator.shared_password.user_password",
                "GANYMEDE_AUTHENTICATOR__SHARED_PASSWORD__USER_PASSWORD",
            ),
        ];
        for (key, want) in cases {
            assert_eq!(env_var_name(key), want);
        }
    }
}
