//! Tests of `generate_config`: complete, and parses back to the defaults.

use super::*;
use crate::model::Config;
use crate::validate::validate;

/// The generated file with every `# key = value` line uncommented.
fn uncommented(text: &str) -> String {
    text.lines()
        .map(|line| match line.strip_prefix("# ") {
            Some(rest)
                if rest.split_once(" = ").is_some_and(|(k, _)| {
                    k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                }) =>
            {
                rest
            }
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn round_trips_to_the_defaults() {
    let text = generate_config();
    let cases = [
        ("as generated", text.clone()),
        ("every key uncommented", uncommented(&text)),
    ];
    for (name, text) in cases {
        let config: Config =
            toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(config, Config::default(), "{name}");
    }
    let set = uncommented(&text)
        .lines()
        .filter(|l| l.contains(" = ") && !l.starts_with('#'))
        .count();
    let with_defaults = Tree::get()
        .leaves()
        .iter()
        .filter(|(_, f)| !f.default.is_null() && !matches!(&f.shape, Shape::List(i) | Shape::Map(i) if matches!(i.as_ref(), Shape::Struct(_))))
        .count();
    assert_eq!(
        set, with_defaults,
        "every key with a default is uncommented"
    );
    assert!(set > 35, "{set}");
}

#[test]
fn the_loader_reads_it_back_as_the_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let env = std::collections::BTreeMap::new();
    for (name, text) in [
        ("generated", generate_config()),
        ("uncommented", uncommented(&generate_config())),
    ] {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, text).unwrap();
        let config = crate::load(&crate::ConfigFile::Path(path), &env, &[]).unwrap();
        assert_eq!(config, Config::default(), "{name}");
    }
}

#[test]
fn defaults_are_valid() {
    assert_eq!(validate(&Config::default()), []);
}

#[test]
fn every_key_is_written_with_its_doc() {
    let text = generate_config();
    for (key, field) in Tree::get().leaves() {
        let name = &field.name;
        let is_tables = matches!(&field.shape, Shape::List(i) | Shape::Map(i) if matches!(i.as_ref(), Shape::Struct(_)));
        let set = text.contains(&format!("\n# {name} = "))
            || text.contains(&format!("Example: {name} = "))
            || is_tables;
        assert!(set, "{key} has no `# {name} = ` line and no example");
        let first_doc_line = field.doc.lines().next().unwrap();
        assert!(
            text.contains(&format!("## {first_doc_line}\n")),
            "{key}: doc missing"
        );
    }
    for header in [
        "[hub]",
        "[authenticator]",
        "[authenticator.shared_password]",
        "[authenticator.users_file]",
        "[spawner]",
        "[proxy]",
    ] {
        assert!(text.lines().any(|l| l == header), "{header}");
    }
    for item in [
        "[[hub.services]]",
        "[[hub.load_roles]]",
        "[hub.load_groups.NAME]",
        "[[spawner.profiles]]",
    ] {
        assert!(
            text.contains(&format!(
                "## None by default. Each `{item}` table has these keys:"
            )),
            "{item}"
        );
    }
    for item_key in [
        "##   oauth_no_confirm (default false):",
        "##   display (default true):",
        "##   url (unset):",
        "##   slug (default \"\"):",
    ] {
        assert!(text.contains(item_key), "{item_key}");
    }
}

#[test]
fn sample_lines() {
    let text = generate_config();
    let cases = [
        "# bind_url = \"http://127.0.0.1:8000/\"",
        "# base_url = \"/\"",
        "# hub_bind_url = \"http://127.0.0.1:8081/\"",
        "# cookie_max_age_days = 14.0",
        "# concurrent_spawn_limit = 100",
        "# active_server_limit = 0",
        "# api_page_default_limit = 50",
        "# api_page_max_limit = 200",
        "# class = \"shared-password\"",
        "# cmd = [\"jupyterhub-singleuser\"]",
        "# start_timeout = 60",
        "# http_timeout = 30",
        "# mode = \"internal\"",
        "# api_url = \"http://127.0.0.1:8001/\"",
        "## Unset by default. Example: db_url = \"postgresql://ganymede@localhost/ganymede\"",
    ];
    for line in cases {
        assert!(text.lines().any(|l| l == line), "missing line: {line}");
    }
}
