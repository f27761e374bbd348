//! Tests of the shape read from the schema.

use super::*;

#[test]
fn every_struct_has_a_field_order() {
    let schema = crate::json_schema();
    let orders = field_orders();
    let defs = schema["$defs"].as_object().unwrap();
    for (name, def) in defs {
        if def["properties"].is_object() {
            let order = orders
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{name} is not in field_orders()"));
            let props = def["properties"].as_object().unwrap();
            assert_eq!(order.len(), props.len(), "{name}: every field serialises");
        }
    }
}

#[test]
fn fields_keep_declaration_order() {
    let tree = Tree::get();
    let sections: Vec<&str> = tree.root.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(sections, ["hub", "authenticator", "spawner", "proxy"]);
    let leaves = tree.leaves();
    let first: Vec<&str> = leaves.iter().take(3).map(|(k, _)| k.as_str()).collect();
    assert_eq!(first, ["hub.bind_url", "hub.base_url", "hub.hub_bind_url"]);
}

#[test]
fn every_field_is_documented() {
    fn check(fields: &[Field], prefix: &str) {
        for field in fields {
            let key = format!("{prefix}{}", field.name);
            assert!(!field.doc.is_empty(), "{key} has no doc comment");
            match &field.shape {
                Shape::Struct(inner) => check(inner, &format!("{key}.")),
                Shape::List(item) | Shape::Map(item) => {
                    if let Shape::Struct(inner) = item.as_ref() {
                        check(inner, &format!("{key}[]."));
                    }
                }
                _ => {}
            }
        }
    }
    check(&Tree::get().root, "");
}

#[test]
fn shapes() {
    let tree = Tree::get();
    let kind = |key: &str| {
        let path: Vec<&str> = key.split('.').collect();
        match &tree.field(&path).unwrap_or_else(|| panic!("{key}")).shape {
            Shape::Scalar {
                text: true,
                secret: true,
            } => "secret",
            Shape::Scalar {
                text: true,
                secret: false,
            } => "text",
            Shape::Scalar { text: false, .. } => "value",
            Shape::Struct(_) => "struct",
            Shape::List(_) => "list",
            Shape::Map(_) => "map",
            Shape::Any => "any",
        }
    };
    let cases = [
        ("hub", "struct"),
        ("hub.bind_url", "text"),
        ("hub.hub_connect_url", "text"),
        ("hub.data_dir", "text"),
        ("hub.cookie_secret", "secret"),
        ("hub.cookie_max_age_days", "value"),
        ("hub.concurrent_spawn_limit", "value"),
        ("hub.allow_named_servers", "value"),
        ("hub.template_paths", "list"),
        ("hub.template_vars", "map"),
        ("hub.load_groups", "map"),
        ("hub.services", "list"),
        ("hub.api_tokens", "map"),
        ("authenticator.class", "text"),
        ("authenticator.allow_existing_users", "value"),
        ("authenticator.shared_password.user_password", "secret"),
        ("authenticator.users_file.path", "text"),
        ("spawner.cmd", "list"),
        ("spawner.environment", "map"),
        ("proxy.mode", "text"),
        ("proxy.auth_token", "secret"),
    ];
    for (key, want) in cases {
        assert_eq!(kind(key), want, "{key}");
    }
    assert!(tree.field(&["hub", "nope"]).is_none());
    assert!(tree.field(&["hub", "bind_url", "deeper"]).is_none());
}
