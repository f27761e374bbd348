//! What JupyterHub's messages and URLs look like when Python writes them: `repr()` of JSON
//! values, `type()` names, and `quote(safe='@~')` for path segments.

use serde_json::Value;

/// Python's `repr()` of a decoded JSON value: `'text'`, `True`, `None`, `[1, 'a']`,
/// `{'k': 'v'}`.
///
/// JupyterHub puts `%r` of request data into error messages; clients see them verbatim.
pub fn repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => repr_str(s),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(repr).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", repr_str(k), repr(v)))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
    }
}

/// Python's `repr()` of a string: single quotes unless the text holds `'` and no `"`.
pub fn repr_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `type(value)` for a decoded JSON value, as `repr` shows it: `<class 'str'>`.
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "<class 'NoneType'>",
        Value::Bool(_) => "<class 'bool'>",
        Value::Number(n) if n.is_f64() => "<class 'float'>",
        Value::Number(_) => "<class 'int'>",
        Value::String(_) => "<class 'str'>",
        Value::Array(_) => "<class 'list'>",
        Value::Object(_) => "<class 'dict'>",
    }
}

/// JupyterHub's `url_escape_path`: `urllib.parse.quote(value, safe='@~')`, which also escapes
/// `/`.
pub fn url_escape_path(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Python's `urllib.parse.quote(value)` (safe `/`), which JupyterHub uses for OAuth client ids.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reprs_match_python() {
        let cases = [
            (json!(null), "None"),
            (json!(true), "True"),
            (json!(3), "3"),
            (json!("it's"), "\"it's\""),
            (json!("a'b\"c"), "'a\\'b\"c'"),
            (json!("x\ny"), "'x\\ny'"),
            (json!([1, "a", false]), "[1, 'a', False]"),
            (json!({"foo": {"b": null}}), "{'foo': {'b': None}}"),
        ];
        for (value, expected) in cases {
            assert_eq!(repr(&value), expected, "{value}");
        }
    }

    #[test]
    fn types_match_python() {
        let cases = [
            (json!("s"), "<class 'str'>"),
            (json!(1), "<class 'int'>"),
            (json!(1.5), "<class 'float'>"),
            (json!(true), "<class 'bool'>"),
            (json!(null), "<class 'NoneType'>"),
            (json!([]), "<class 'list'>"),
            (json!({}), "<class 'dict'>"),
        ];
        for (value, expected) in cases {
            assert_eq!(type_name(&value), expected);
        }
    }

    #[test]
    fn escapes_like_quote_with_at_and_tilde_safe() {
        let cases = [
            ("alice", "alice"),
            ("a@b c", "a@b%20c"),
            ("x/y", "x%2Fy"),
            ("~é", "~%C3%A9"),
        ];
        for (raw, expected) in cases {
            assert_eq!(url_escape_path(raw), expected);
        }
    }
}
