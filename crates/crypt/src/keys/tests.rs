//! Unit tests for key parsing and the Fernet operations.
//!
//! `tests/fernet_crosscheck.rs` puts the same questions to JupyterHub itself.

use super::{CryptKeys, NO_TIME_CHECK};
use crate::error::{CryptError, KeyError, KeyProblem};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use serde_json::json;

/// A key whose base64 differs between the standard and url-safe alphabets.
const RAW: [u8; 32] = [
    0xfb, 0xff, 0xbf, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0xfb, 0xef, 0xbe, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0,
];
const OLD_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const NEW_HEX: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

fn keys(value: &str) -> CryptKeys {
    CryptKeys::from_env_value(value).unwrap()
}

fn problem(value: &str) -> (usize, usize, KeyProblem) {
    let KeyError {
        position,
        count,
        problem,
    } = CryptKeys::from_env_value(value).unwrap_err();
    (position, count, problem)
}

fn is_invalid(result: Result<Vec<u8>, CryptError>) -> bool {
    matches!(result, Err(CryptError::InvalidToken { .. }))
}

#[test]
fn round_trip() {
    let k = keys(OLD_HEX);
    for plaintext in [
        &b""[..],
        b"x",
        b"sixteen bytes!!!",
        &[0u8, 0xff, 0x80][..],
        &[7; 1000],
    ] {
        let token = k.encrypt(plaintext).unwrap();
        assert!(token.iter().all(u8::is_ascii), "a token is url-safe base64");
        assert_eq!(k.decrypt(&token).unwrap(), plaintext);
    }
    let a = k.encrypt(b"same").unwrap();
    let b = k.encrypt(b"same").unwrap();
    assert_ne!(a, b, "each token has a fresh IV");
}

#[test]
fn all_forms_of_one_key_agree() {
    let hex_lower = hex::encode(RAW);
    let std = STANDARD.encode(RAW);
    let url = URL_SAFE.encode(RAW);
    assert!(std.contains('+') && url.contains('-'), "the forms differ");
    let mixed = format!("{}{}", &url[..22], &std[22..]);
    // The last data character carries 2 unused bits; Python ignores them.
    let mut loose = url.clone().into_bytes();
    loose[42] += 1;
    let loose = String::from_utf8(loose).unwrap();
    let forms = [
        hex_lower.clone(),
        hex_lower.to_uppercase(),
        std,
        url,
        mixed,
        loose,
    ];
    let token = keys(&hex_lower).encrypt(b"secret").unwrap();
    for form in &forms {
        let k = keys(form);
        assert_eq!(k.len(), 1);
        assert_eq!(k.decrypt(&token).unwrap(), b"secret", "form {form}");
        let back = k.encrypt(b"back").unwrap();
        assert_eq!(keys(&hex_lower).decrypt(&back).unwrap(), b"back");
    }
}

#[test]
fn thirty_two_ascii_characters_are_a_raw_key() {
    let raw = "abcdefghijklmnopqrstuvwxyz012345";
    let token = keys(raw).encrypt(b"raw").unwrap();
    assert_eq!(
        keys(&hex::encode(raw)).decrypt(&token).unwrap(),
        b"raw",
        "JupyterHub takes a 32-byte key as the key itself"
    );
    // Even with spaces in it, as JupyterHub does not strip.
    assert_eq!(keys(" bcdefghijklmnopqrstuvwxyz01234 ").len(), 1);
}

#[test]
fn rotation() {
    let old = keys(OLD_HEX);
    let new = keys(NEW_HEX);
    let both = keys(&format!("{NEW_HEX};{OLD_HEX}"));
    assert_eq!(both.len(), 2);

    let from_old = old.encrypt(b"before rotation").unwrap();
    assert_eq!(both.decrypt(&from_old).unwrap(), b"before rotation");

    let from_both = both.encrypt(b"after rotation").unwrap();
    assert_eq!(new.decrypt(&from_both).unwrap(), b"after rotation");
    assert!(
        is_invalid(old.decrypt(&from_both)),
        "the first key encrypts"
    );
}

#[test]
fn wrong_key_fails() {
    let token = keys(OLD_HEX).encrypt(b"secret").unwrap();
    let err = keys(NEW_HEX).decrypt(&token).unwrap_err();
    assert!(
        matches!(err, CryptError::InvalidToken { keys: 1 }),
        "{err:?}"
    );
    assert!(err.to_string().contains("none of the 1 key(s)"), "{err}");
}

#[test]
fn tampered_token_fails() {
    let k = keys(OLD_HEX);
    let token = k.encrypt(b"tamper with me").unwrap();
    let data = URL_SAFE.decode(&token).unwrap();
    // Every byte: version, timestamp, IV, ciphertext and HMAC.
    for i in 0..data.len() {
        let mut bad = data.clone();
        bad[i] ^= 0x01;
        assert!(
            is_invalid(k.decrypt(URL_SAFE.encode(&bad).as_bytes())),
            "byte {i}"
        );
    }
    assert!(
        is_invalid(k.decrypt(&token[..token.len() - 4])),
        "truncated"
    );
    let garbage: [&[u8]; 5] = [
        b"",
        b"abc",
        b"gAAAAA==",
        b"not a token at all!",
        &[0xff, 0xfe],
    ];
    for bad in garbage {
        assert!(is_invalid(k.decrypt(bad)), "{bad:?}");
    }
}

#[test]
fn decrypt_is_as_lenient_as_python() {
    let k = keys(OLD_HEX);
    let token = String::from_utf8(k.encrypt(b"lenient").unwrap()).unwrap();
    // Python's base64 decoding skips characters outside the alphabet.
    let with_newlines = format!("{}\n{}\n", &token[..20], &token[20..]);
    assert_eq!(k.decrypt(with_newlines.as_bytes()).unwrap(), b"lenient");
    // And without a TTL it ignores the timestamp, even one far in the future.
    let future = k.fernets[0].encrypt_at_time(b"from the future", NO_TIME_CHECK);
    assert_eq!(k.decrypt(future.as_bytes()).unwrap(), b"from the future");
    let past = k.fernets[0].encrypt_at_time(b"from 1970", 0);
    assert_eq!(k.decrypt(past.as_bytes()).unwrap(), b"from 1970");
}

#[test]
fn blank_values_mean_no_keys() {
    for value in ["", " ", ";", " ; \t;\n", "\u{1c}", "\u{a0};\u{3000}"] {
        let k = keys(value);
        assert!(k.is_empty(), "{value:?}");
        assert!(matches!(k.check_available(), Err(CryptError::Unavailable)));
        assert!(matches!(k.encrypt(b"x"), Err(CryptError::Unavailable)));
        assert!(matches!(k.decrypt(b"x"), Err(CryptError::Unavailable)));
        assert!(matches!(
            k.encrypt_json(&json!({})),
            Err(CryptError::Unavailable)
        ));
        assert!(matches!(k.decrypt_json(b"x"), Err(CryptError::Unavailable)));
    }
    assert!(CryptKeys::none().is_empty());
    let msg = CryptError::Unavailable.to_string();
    assert!(
        msg.starts_with("encryption is not available: set JUPYTERHUB_CRYPT_KEY"),
        "{msg}"
    );
    assert!(msg.contains("openssl rand -hex 32"), "{msg}");
}

#[test]
fn blank_parts_are_skipped() {
    let k = keys(&format!(";{NEW_HEX};; \t;{OLD_HEX};"));
    assert_eq!(k.len(), 2);
    let token = keys(OLD_HEX).encrypt(b"x").unwrap();
    assert_eq!(k.decrypt(&token).unwrap(), b"x");
}

#[test]
fn bad_keys_are_named_by_position() {
    let b64 = URL_SAFE.encode(RAW);
    let cases = [
        // Lengths that are none of 32, 44 and 64.
        (&OLD_HEX[..63], (1, 1, KeyProblem::WrongLength { len: 63 })),
        ("a", (1, 1, KeyProblem::WrongLength { len: 1 })),
        (
            "0123456789abcdef",
            (1, 1, KeyProblem::WrongLength { len: 16 }),
        ),
        (
            &format!("{OLD_HEX}0"),
            (1, 1, KeyProblem::WrongLength { len: 65 }),
        ),
        // Unpadded base64 of 32 bytes is 43 characters, which JupyterHub refuses.
        (
            b64.trim_end_matches('='),
            (1, 1, KeyProblem::WrongLength { len: 43 }),
        ),
        (
            &format!("{OLD_HEX};{}", &NEW_HEX[..60]),
            (2, 2, KeyProblem::WrongLength { len: 60 }),
        ),
        // The right length but not the right alphabet.
        (&format!("{}g", &OLD_HEX[..63]), (1, 1, KeyProblem::NotHex)),
        (&format!("0x{}", &OLD_HEX[..62]), (1, 1, KeyProblem::NotHex)),
        (&format!("{}.=", &b64[..42]), (1, 1, KeyProblem::NotBase64)),
        (&format!("{}A", &b64[..43]), (1, 1, KeyProblem::NotBase64)),
        (&"A".repeat(44), (1, 1, KeyProblem::NotBase64)),
        (&format!("{}==", &b64[..42]), (1, 1, KeyProblem::NotBase64)),
        // A 64-character base64 string is not hex, whatever it decodes to.
        (&STANDARD.encode([0xffu8; 48]), (1, 1, KeyProblem::NotHex)),
        (
            &format!("{NEW_HEX};{OLD_HEX};é{}", &OLD_HEX[2..]),
            (3, 3, KeyProblem::NotAscii),
        ),
        // Whitespace is kept, so the key has the wrong length.
        (
            &format!("{NEW_HEX}; {OLD_HEX}"),
            (2, 2, KeyProblem::SurroundingWhitespace { len: 65 }),
        ),
        (
            &format!("{OLD_HEX}\n"),
            (1, 1, KeyProblem::SurroundingWhitespace { len: 65 }),
        ),
        (
            &format!(" {}", &b64[..43]),
            (1, 1, KeyProblem::SurroundingWhitespace { len: 44 }),
        ),
        (
            &format!("{} ", &OLD_HEX[..63]),
            (1, 1, KeyProblem::SurroundingWhitespace { len: 64 }),
        ),
    ];
    for (value, want) in cases {
        assert_eq!(problem(value), want, "{value:?}");
    }
}

#[test]
fn errors_say_where_and_how_but_not_what() {
    let secret = "s3cr3t-not-a-valid-key";
    let err = CryptKeys::from_env_value(&format!("{NEW_HEX};{secret}")).unwrap_err();
    let msg = err.to_string();
    assert_eq!(
        msg,
        "key 2 of 2 in JUPYTERHUB_CRYPT_KEY is 22 characters long; each `;`-separated key must be \
         32 bytes written as 64 hex characters or 44 base64 characters \
         (make a key with `openssl rand -hex 32`)"
    );
    assert!(!msg.contains(secret) && !format!("{err:?}").contains(secret));
    let msg = problem(&format!("{OLD_HEX}\n")).2.to_string();
    assert_eq!(
        msg,
        "is 65 characters long with leading or trailing whitespace, which JupyterHub does not strip"
    );
}

#[test]
fn debug_shows_no_key_material() {
    let k = keys(&format!("{NEW_HEX};{}", URL_SAFE.encode(RAW)));
    let debug = format!("{k:?} {k:#?}");
    assert!(debug.starts_with("CryptKeys { keys: 2, .. }"), "{debug}");
    for needle in [&NEW_HEX[..8], &URL_SAFE.encode(RAW)[..8], "fb", "ff"] {
        assert!(!debug.to_lowercase().contains(needle), "{debug}");
    }
}

#[test]
fn json_round_trip_and_plaintext() {
    let k = keys(OLD_HEX);
    // Keys in sorted order, so the plaintext is the same with `preserve_order` on or off.
    let state = json!({
        "access_token": "tok",
        "expires": 1.5e9,
        "groups": ["a", "b"],
        "name": "Zoë 🚀 日本",
        "nested": {"none": null, "ok": true},
        "ratio": 0.25,
    });
    let token = k.encrypt_json(&state).unwrap();
    assert_eq!(k.decrypt_json(&token).unwrap(), state);
    let plaintext = String::from_utf8(k.decrypt(&token).unwrap()).unwrap();
    assert_eq!(
        plaintext,
        r#"{"access_token": "tok", "expires": 1500000000.0, "groups": ["a", "b"], "name": "Zo\u00eb \ud83d\ude80 \u65e5\u672c", "nested": {"none": null, "ok": true}, "ratio": 0.25}"#
    );
    let not_json = k.encrypt(b"{not json").unwrap();
    assert!(matches!(
        k.decrypt_json(&not_json),
        Err(CryptError::NotJson(_))
    ));
    let not_utf8 = k.encrypt(&[b'"', 0xff, b'"']).unwrap();
    assert!(matches!(
        k.decrypt_json(&not_utf8),
        Err(CryptError::NotJson(_))
    ));
}
