//! The validation rules behind each name type, and the helpers that reproduce Python's notion
//! of whitespace and `urllib.parse.unquote`.

use super::{MAX_NAME_CHARS, NameError, NameKind, NameRule};

/// How many characters of a rejected value an error message quotes.
const QUOTE_CHARS: usize = 64;

/// `value` shortened to at most 64 characters and escaped like a Rust string literal, so an
/// error message (and the log line it ends up in) is bounded and has no control characters.
pub(crate) fn quoted(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    }
}

pub(super) fn validate_user(name: &str) -> Result<(), NameError> {
    let fail = |rule| Err(NameError::new(NameKind::User, name, rule));
    if let Some(rule) = common_rule(name) {
        return fail(rule);
    }
    if name.contains('/') {
        return fail(NameRule::Slash);
    }
    if name.is_empty() {
        return fail(NameRule::Empty);
    }
    if only_dots_after_unquote(name) {
        return fail(NameRule::OnlyDots);
    }
    if has_surrounding_space(name) {
        return fail(NameRule::SurroundingWhitespace);
    }
    Ok(())
}

pub(super) fn validate_server(name: &str) -> Result<(), NameError> {
    let fail = |rule| Err(NameError::new(NameKind::Server, name, rule));
    if let Some(rule) = common_rule(name) {
        return fail(rule);
    }
    if name.contains('/') {
        return fail(NameRule::Slash);
    }
    Ok(())
}

pub(super) fn validate_group(name: &str) -> Result<(), NameError> {
    let fail = |rule| Err(NameError::new(NameKind::Group, name, rule));
    if let Some(rule) = common_rule(name) {
        return fail(rule);
    }
    if name.is_empty() {
        return fail(NameRule::Empty);
    }
    if name.contains('/') {
        return fail(NameRule::Slash);
    }
    Ok(())
}

pub(super) fn validate_service(name: &str) -> Result<(), NameError> {
    let fail = |rule| Err(NameError::new(NameKind::Service, name, rule));
    if let Some(rule) = common_rule(name) {
        return fail(rule);
    }
    if has_percent_escape(name) {
        return fail(NameRule::Escaped);
    }
    if name.contains('/') {
        return fail(NameRule::Slash);
    }
    if name.is_empty() {
        return fail(NameRule::Empty);
    }
    if name.chars().all(|c| c == '.') {
        return fail(NameRule::OnlyDots);
    }
    if has_surrounding_space(name) {
        return fail(NameRule::SurroundingWhitespace);
    }
    Ok(())
}

/// `^[a-z][a-z0-9\-_~\.]{1,253}[a-z0-9]$`, without Python's `$` also matching before a final
/// newline.
pub(super) fn validate_role(name: &str) -> Result<(), NameError> {
    let fail = |rule| Err(NameError::new(NameKind::Role, name, rule));
    let bytes = name.as_bytes();
    // Every allowed character is ascii, so a non-ascii name fails on its characters; check
    // those before the length so the error names the real problem.
    let middle_ok = |b: &u8| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' | b'.');
    if !bytes.iter().all(middle_ok) {
        return fail(NameRule::RoleCharacter);
    }
    if !(3..=MAX_NAME_CHARS).contains(&bytes.len()) {
        return fail(NameRule::RoleLength);
    }
    if !bytes.first().is_some_and(u8::is_ascii_lowercase) {
        return fail(NameRule::RoleStart);
    }
    if !bytes
        .last()
        .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return fail(NameRule::RoleEnd);
    }
    Ok(())
}

/// `slugs.is_valid_safe_slug`: 1-30 of `[a-z0-9-]`, no `--`, starting with a letter and
/// ending with a letter or digit.
pub(super) fn is_safe_slug(name: &str) -> bool {
    let bytes = name.as_bytes();
    (1..=30).contains(&bytes.len())
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !name.contains("--")
        && !name.ends_with('-')
}

/// The rules every name shares: bounded length and no NUL.
fn common_rule(name: &str) -> Option<NameRule> {
    if name.len() > MAX_NAME_CHARS && name.chars().count() > MAX_NAME_CHARS {
        Some(NameRule::TooLong)
    } else if name.contains('\0') {
        Some(NameRule::Nul)
    } else {
        None
    }
}

/// Python's `str.isspace`: Unicode `White_Space` plus the ascii separators U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Whether `name != name.strip()` in Python.
fn has_surrounding_space(name: &str) -> bool {
    name.starts_with(is_py_space) || name.ends_with(is_py_space)
}

/// Whether Python's `unquote(name) != name`: true iff some `%` is followed by two hex digits,
/// since decoding such an escape always shortens the string.
fn has_percent_escape(name: &str) -> bool {
    name.as_bytes()
        .windows(3)
        .any(|w| w[0] == b'%' && w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit())
}

/// Whether `unquote(name)` is non-empty and only dots: `name` is a sequence of `.` and
/// `%2e`/`%2E`, the only spellings that decode to a dot.
fn only_dots_after_unquote(name: &str) -> bool {
    let mut rest = name;
    while !rest.is_empty() {
        if let Some(tail) = rest.strip_prefix('.') {
            rest = tail;
        } else if rest
            .as_bytes()
            .get(..3)
            .is_some_and(|escape| escape.eq_ignore_ascii_case(b"%2e"))
        {
            // The three bytes are ascii, so byte 3 is a character boundary.
            rest = &rest[3..];
        } else {
            return false;
        }
    }
    !name.is_empty()
}
