//! Form answers to `user_options`, the profile a start uses, and what it changes.

use serde_json::json;

use super::*;

fn profile(slug: &str, default: bool) -> SpawnProfile {
    SpawnProfile {
        slug: slug.to_owned(),
        display_name: slug.to_uppercase(),
        default,
        ..SpawnProfile::default()
    }
}

fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn form_fields_become_lists_of_strings() {
    let cases = [
        (
            fields(&[
                ("_xsrf", "t"),
                ("mem", "2G"),
                ("letter", "A"),
                ("letter", "B"),
            ]),
            false,
            json!({"mem": ["2G"], "letter": ["A", "B"]}),
        ),
        (fields(&[("_xsrf", "t")]), false, json!({})),
        (
            fields(&[("check", "on"), ("empty", "")]),
            false,
            json!({"check": ["on"], "empty": [""]}),
        ),
        // Without profiles, `profile` is an ordinary field.
        (
            fields(&[("profile", "gpu")]),
            false,
            json!({"profile": ["gpu"]}),
        ),
        (
            fields(&[("_xsrf", "t"), ("profile", "gpu"), ("mem", "1G")]),
            true,
            json!({"profile": "gpu", "mem": ["1G"]}),
        ),
    ];
    for (form, with_profiles, want) in cases {
        assert_eq!(options_from_form(&form, with_profiles), want, "{form:?}");
    }
}

#[test]
fn the_profile_comes_from_user_options_or_the_default() {
    let profiles = vec![
        profile("small", false),
        profile("large", true),
        profile("gpu", false),
    ];
    let slug = |options: serde_json::Value| {
        chosen_profile(&profiles, &options).map(|p| p.map(|p| p.slug.clone()))
    };
    assert_eq!(slug(json!({})), Ok(Some("large".to_owned())));
    assert_eq!(slug(json!({"profile": null})), Ok(Some("large".to_owned())));
    assert_eq!(slug(json!({"profile": "gpu"})), Ok(Some("gpu".to_owned())));
    assert_eq!(
        slug(json!({"profile": ["small"]})),
        Ok(Some("small".to_owned()))
    );
    let unknown = slug(json!({"profile": "huge"})).unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "No such profile: huge. Options include: small, large, gpu"
    );
    let not_string = slug(json!({"profile": 3})).unwrap_err();
    assert!(
        not_string.to_string().contains("must be a string"),
        "{not_string}"
    );

    // Without a marked default the first one is used; without profiles, none.
    let unmarked = vec![profile("a", false), profile("b", false)];
    assert_eq!(
        default_profile(&unmarked).map(|p| p.slug.as_str()),
        Some("a")
    );
    assert_eq!(chosen_profile(&[], &json!({"profile": "x"})), Ok(None));
}

#[test]
fn overrides_replace_settings_and_add_environment() {
    let base = SpawnSettings {
        cmd: vec!["jupyterhub-singleuser".to_owned()],
        args: vec!["--debug".to_owned()],
        environment: BTreeMap::from([
            ("KEEP".to_owned(), "1".to_owned()),
            ("SIZE".to_owned(), "small".to_owned()),
        ]),
        notebook_dir: Some("~/work".to_owned()),
        ..SpawnSettings::default()
    };
    let mut large = profile("large", false);
    large.overrides = ProfileOverrides {
        cmd: Some(vec!["/opt/big/bin/jupyterhub-singleuser".to_owned()]),
        args: Some(vec!["--big".to_owned()]),
        environment: BTreeMap::from([("SIZE".to_owned(), "large".to_owned())]),
        default_url: Some("/lab".to_owned()),
        notebook_dir: None,
    };
    let applied = base.with_profile(Some(&large));
    assert_eq!(applied.cmd, ["/opt/big/bin/jupyterhub-singleuser"]);
    assert_eq!(applied.args, ["--big"]);
    assert_eq!(applied.environment["SIZE"], "large");
    assert_eq!(applied.environment["KEEP"], "1");
    assert_eq!(applied.default_url.as_deref(), Some("/lab"));
    assert_eq!(
        applied.notebook_dir.as_deref(),
        Some("~/work"),
        "not overridden"
    );

    let unchanged = base.with_profile(Some(&profile("plain", false)));
    assert_eq!(unchanged.cmd, base.cmd);
    assert_eq!(unchanged.args, base.args);
    assert_eq!(unchanged.environment, base.environment);
    assert_eq!(base.with_profile(None).default_url, None);
}

#[test]
fn the_page_asks_only_with_a_form_or_profiles() {
    let mut settings = SpawnSettings::default();
    assert!(!settings.has_options());
    settings.options_form = Some("  ".to_owned());
    assert!(
        !settings.has_options(),
        "an empty snippet is no form, as in JupyterHub"
    );
    settings.options_form = Some("<input name=x>".to_owned());
    assert!(settings.has_options());
    settings.options_form = None;
    settings.profiles = vec![profile("a", false)];
    assert!(settings.has_options());
}
