//! Table tests for `dumps`; every expectation is what Python 3.11's `json.dumps` prints.

use super::dumps;
use serde_json::json;

#[test]
fn separators_and_nesting() {
    let cases = [
        (json!(null), "null"),
        (json!(true), "true"),
        (json!([]), "[]"),
        (json!({}), "{}"),
        (json!([1, [2, []], {}]), "[1, [2, []], {}]"),
        (
            json!({"a": 1, "b": {"c": [true, null]}}),
            r#"{"a": 1, "b": {"c": [true, null]}}"#,
        ),
        (json!(-17), "-17"),
        (json!(u64::MAX), "18446744073709551615"),
        (json!(i64::MIN), "-9223372036854775808"),
    ];
    for (value, want) in cases {
        assert_eq!(dumps(&value), want, "{value:?}");
    }
}

#[test]
fn floats_like_python_repr() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (2.5, "2.5"),
        (-2.5, "-2.5"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.5e16, "1.5e+16"),
        (123_456_789_012_345_680.0, "1.2345678901234568e+17"),
        (1e22, "1e+22"),
        (1.5e300, "1.5e+300"),
        (0.0001, "0.0001"),
        (0.000_123, "0.000123"),
        (1e-5, "1e-05"),
        (1.25e-7, "1.25e-07"),
        (5e-324, "5e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (123.456, "123.456"),
        (9_999_999_999_999_998.0, "9999999999999998.0"),
        // Two shortest candidates, .12 and .13, are equally close: both pick the even digit.
        (276_621_164_611_366.0 + 0.125, "276621164611366.12"),
    ];
    for &(x, want) in cases {
        assert_eq!(dumps(&json!(x)), want, "{x:?}");
    }
}

#[test]
fn strings_ensure_ascii() {
    let cases = [
        ("plain /slash/", r#""plain /slash/""#),
        ("quote \" backslash \\", r#""quote \" backslash \\""#),
        ("\n\r\t\u{8}\u{c}", r#""\n\r\t\b\f""#),
        ("\u{0}\u{1}\u{1f}\u{7f}", r#""\u0000\u0001\u001f\u007f""#),
        ("é ü ß", r#""\u00e9 \u00fc \u00df""#),
        ("日本", r#""\u65e5\u672c""#),
        ("😀", r#""\ud83d\ude00""#),
        ("\u{2028}\u{feff}", r#""\u2028\ufeff""#),
    ];
    for (s, want) in cases {
        assert_eq!(dumps(&json!(s)), want, "{s:?}");
    }
    assert_eq!(
        dumps(&json!({"ключ": "значение"})),
        r#"{"\u043a\u043b\u044e\u0447": "\u0437\u043d\u0430\u0447\u0435\u043d\u0438\u0435"}"#
    );
}
