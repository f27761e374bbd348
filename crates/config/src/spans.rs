//! Line numbers in `ganymede.toml`: where a key is written, from toml's spanned parse.

use toml::de::{DeTable, DeValue};

use crate::schema::Seg;

/// The 1-based line and column of a byte offset.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The 1-based line where the key at `path` is written, if it is.
pub(crate) fn key_line(text: &str, path: &[Seg]) -> Option<usize> {
    let root = DeTable::parse(text).ok()?;
    let mut table: &DeTable<'_> = root.get_ref();
    let mut array: Option<&[toml::Spanned<DeValue<'_>>]> = None;
    let mut offset = None;
    for seg in path {
        let value = match (seg, array) {
            (Seg::Key(key), None) => {
                let (k, v) = table
                    .iter()
                    .find(|(k, _)| k.get_ref().as_ref() == key.as_str())?;
                offset = Some(k.span().start);
                v
            }
            (Seg::Index(index), Some(items)) => {
                let item = items.get(*index)?;
                offset = Some(item.span().start);
                item
            }
            _ => return None,
        };
        array = None;
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            DeValue::Array(items) => array = Some(items),
            _ => {}
        }
    }
    offset.map(|offset| line_column(text, offset).0)
}

/// Reads a path written as `hub.services[0].name`.
pub(crate) fn parse_path(key: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    for part in key.split('.') {
        let mut pieces = part.split('[');
        if let Some(name) = pieces.next()
            && !name.is_empty()
        {
            segs.push(Seg::Key(name.to_owned()));
        }
        for index in pieces {
            if let Ok(index) = index.trim_end_matches(']').parse() {
                segs.push(Seg::Index(index));
            }
        }
    }
    segs
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
[hub]
bind_url = \"http://x\"

[[hub.services]]
name = \"a\"

[[hub.services]]
name = \"b\"
nmae = \"c\"
[hub.load_groups.g]
users = [\"u\"]
";

    #[test]
    fn lines_of_keys() {
        let cases = [
            ("hub", Some(1)),
            ("hub.bind_url", Some(2)),
            ("hub.services[1].nmae", Some(9)),
            ("hub.services[0].name", Some(5)),
            ("hub.load_groups.g.users", Some(11)),
            ("hub.services[2].name", None),
            ("spawner.cmd", None),
        ];
        for (key, want) in cases {
            assert_eq!(key_line(DOC, &parse_path(key)), want, "{key}");
        }
    }

    #[test]
    fn positions() {
        let cases = [(0, (1, 1)), (5, (1, 6)), (6, (2, 1)), (8, (2, 3))];
        for (offset, want) in cases {
            assert_eq!(line_column("[hub]\nbind_url", offset), want, "{offset}");
        }
    }
}
