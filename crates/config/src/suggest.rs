//! "Did you mean": the valid key nearest to an unknown one.

use crate::schema::{Field, Seg, Shape, Tree};

/// The nearest valid key to `unknown` under `parent`, as a full path.
///
/// The closest spelling wins, among the keys beside it (`hub.bind_ulr` → `hub.bind_url`) and the
/// keys of every section (`hub.admin_users` → `authenticator.admin_users`); on a tie, the key beside it.
pub(crate) fn nearest_key(tree: &Tree, parent: &[Seg], unknown: &str) -> Option<Vec<Seg>> {
    let mut candidates: Vec<Vec<Seg>> = Vec::new();
    if let Some(siblings) = tree.fields_at(parent) {
        for field in siblings {
            let mut path = parent.to_vec();
            path.push(Seg::Key(field.name.clone()));
            candidates.push(path);
        }
    }
    let siblings = candidates.len();
    if !parent.iter().any(|seg| matches!(seg, Seg::Index(_))) {
        all_keys(&tree.root, &[], &mut candidates);
    }
    let unknown = unknown.to_ascii_lowercase();
    candidates
        .into_iter()
        .enumerate()
        .filter_map(|(i, path)| {
            let name = last_key(&path);
            let distance = strsim::damerau_levenshtein(&unknown, name);
            let similarity = strsim::jaro_winkler(&unknown, name);
            let shortest = unknown.chars().count().min(name.chars().count());
            let typo = distance <= (shortest / 3).max(1)
                || similarity >= 0.85
                || name.ends_with(&format!("_{unknown}"));
            typo.then_some(((distance, i >= siblings), similarity, path))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)))
        .map(|(_, _, path)| path)
}

/// The last key of a path.
fn last_key(path: &[Seg]) -> &str {
    match path.last() {
        Some(Seg::Key(key)) => key,
        _ => "",
    }
}

/// Every key reachable through structs, as paths.
fn all_keys(fields: &[Field], prefix: &[Seg], out: &mut Vec<Vec<Seg>>) {
    for field in fields {
        let mut path = prefix.to_vec();
        path.push(Seg::Key(field.name.clone()));
        if let Shape::Struct(inner) = &field.shape {
            all_keys(inner, &path, out);
        }
        out.push(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::DisplayPath;

    fn key(path: &str) -> Vec<Seg> {
        path.split('.')
            .filter(|s| !s.is_empty())
            .map(|s| Seg::Key(s.to_owned()))
            .collect()
    }

    #[test]
    fn suggestions() {
        let cases: &[(&[Seg], &str, Option<&str>)] = &[
            (&key("hub"), "bind_ulr", Some("hub.bind_url")),
            (&key("hub"), "BIND_URL", Some("hub.bind_url")),
            (&key(""), "hbu", Some("hub")),
            (&key(""), "authenticater", Some("authenticator")),
            (
                &key("hub"),
                "admin_users",
                Some("authenticator.admin_users"),
            ),
            (&key("hub"), "admin_user", Some("authenticator.admin_users")),
            (
                &key("spawner"),
                "start_timout",
                Some("spawner.start_timeout"),
            ),
            (
                &key("authenticator.shared_password"),
                "password",
                Some("authenticator.shared_password.user_password"),
            ),
            (
                &[
                    Seg::Key("hub".into()),
                    Seg::Key("services".into()),
                    Seg::Index(0),
                ],
                "nmae",
                Some("hub.services[0].name"),
            ),
            (
                &[
                    Seg::Key("hub".into()),
                    Seg::Key("load_groups".into()),
                    Seg::Key("g".into()),
                ],
                "user",
                Some("hub.load_groups.g.users"),
            ),
            (&key("hub"), "completely_different_thing", None),
        ];
        for (parent, unknown, want) in cases {
            let got = nearest_key(Tree::get(), parent, unknown);
            let got = got.as_deref().map(|p| DisplayPath(p).to_string());
            assert_eq!(
                got.as_deref(),
                *want,
                "{unknown} under {}",
                DisplayPath(parent)
            );
        }
    }
}
