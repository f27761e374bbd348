//! A file using every kind of key.

use super::load_with;

#[test]
fn a_full_file_loads() {
    let text = r#"
[hub]
bind_url = "http://0.0.0.0:8000/jupyter/"
base_url = "/jupyter/"
db_url = "jupyterhub.sqlite"
api_tokens = { "abcdefgh12345678" = "ann" }

[hub.load_groups.staff]
users = ["ann", "bob"]
properties = { color = "blue" }

[[hub.load_roles]]
name = "teacher"
scopes = ["read:users", "list:users"]
groups = ["staff"]

[[hub.services]]
name = "cull-idle"
api_token = "0123456789abcdef"
oauth_client_allowed_scopes = ["read:users"]

[authenticator]
admin_users = ["ann"]
username_map = { "Ann.Smith" = "ann" }

[authenticator.shared_password]
user_password = "password1"

[[spawner.profiles]]
slug = "small"
display_name = "Small"
default = true
spawner_override = { args = ["--mem=1G"] }
"#;
    let config = load_with(Some(text), &[], &[]).unwrap();
    assert_eq!(config.hub.database_url(), "sqlite:///jupyterhub.sqlite");
    assert_eq!(config.hub.load_groups["staff"].properties["color"], "blue");
    assert_eq!(config.hub.load_roles[0].groups.len(), 1);
    assert_eq!(
        config.hub.services[0].api_token.as_ref().unwrap().expose(),
        "0123456789abcdef"
    );
    assert!(
        config.hub.services[0].display,
        "service defaults apply inside tables"
    );
    assert_eq!(
        config.spawner.profiles[0].spawner_override.args,
        Some(vec!["--mem=1G".to_owned()])
    );
    let debug = format!("{config:?}");
    for secret in ["abcdefgh12345678", "0123456789abcdef", "password1"] {
        assert!(!debug.contains(secret), "Debug shows {secret}");
    }
}
