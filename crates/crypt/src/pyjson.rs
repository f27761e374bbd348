//! JSON text exactly as Python's `json.dumps(value)` writes it with default arguments.
//!
//! JupyterHub encrypts `json.dumps(auth_state).encode('utf8')`, so writing the same bytes keeps
//! our plaintexts identical to JupyterHub's, not just equivalent.
//! The defaults differ from `serde_json::to_string` in four ways:
//! - separators are `", "` and `": "`;
//! - `ensure_ascii`: every character outside `' '..='~'` is escaped as `\uXXXX` (lower-case hex,
//!   UTF-16 surrogate pairs above U+FFFF), and `\b`, `\f`, `\n`, `\r`, `\t` keep their short forms;
//! - floats use Python's `repr`: `1.0`, `1e+16`, `1e-05`, `0.0001`;
//! - key order is the map's order; `serde_json::Map` is sorted unless the `preserve_order`
//!   feature is on, whereas a Python dict keeps insertion order.

use serde_json::{Number, Value};
use std::fmt::Write as _;

/// Serialises `value` as `json.dumps(value)` does.
pub(crate) fn dumps(value: &Value) -> String {
    let mut out = String::new();
    write_value(&mut out, value);
    out
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item);
            }
            out.push('}');
        }
    }
}

fn write_number(out: &mut String, n: &Number) {
    // Integers print the same in both languages, and floats go through the same digits:
    // `serde_json` writes the shortest digits that round-trip, breaking a tie between two
    // candidates towards the even digit (Ryu), which is what Python's repr does (David Gay's
    // dtoa); only the layout differs. (Rust's own `{:e}` breaks such ties upwards instead.)
    let text = n.to_string();
    if n.is_f64() {
        write_float(out, &text);
    } else {
        out.push_str(&text);
    }
}

/// Python's `float.__repr__` layout for a finite float written in any decimal notation: the
/// same digits, positional when the decimal exponent is in `-4..16`, else scientific with a
/// signed exponent of at least two digits.
fn write_float(out: &mut String, text: &str) {
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all = format!("{whole}{frac}");
    let significant = all.trim_start_matches('0');
    // Where the decimal point goes, counted from the left of `digits`.
    let mut point = i32::try_from(whole.len()).unwrap_or(i32::MAX) + exponent
        - i32::try_from(all.len() - significant.len()).unwrap_or(0);
    let mut digits = significant.trim_end_matches('0');
    if digits.is_empty() {
        digits = "0";
        point = 1;
    }
    let ndigits = i32::try_from(digits.len()).unwrap_or(i32::MAX);
    out.push_str(sign);
    if !(-4 < point && point <= 16) {
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        let exponent = point - 1;
        let exp_sign = if exponent < 0 { '-' } else { '+' };
        let _ = write!(out, "e{exp_sign}{:02}", exponent.unsigned_abs());
    } else if point <= 0 {
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', point.unsigned_abs() as usize));
        out.push_str(digits);
    } else if point < ndigits {
        let (whole, frac) = digits.split_at(point.unsigned_abs() as usize);
        out.push_str(whole);
        out.push('.');
        out.push_str(frac);
    } else {
        out.push_str(digits);
        out.extend(std::iter::repeat_n(
            '0',
            (point - ndigits).unsigned_abs() as usize,
        ));
        out.push_str(".0");
    }
}

/// A JSON string with `ensure_ascii=True` escaping.
fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests;
