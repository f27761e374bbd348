//! Cross-check against JupyterHub 6.1.1 itself: tokens made by one side must open on the other,
//! with the same `JUPYTERHUB_CRYPT_KEY`, and both sides must parse every key value alike.
//!
//! `fernet_crosscheck.py` answers with JupyterHub's own `CryptKeeper`, reading JSON ops on stdin.
//! Each Python child gets its `JUPYTERHUB_CRYPT_KEY` in its own environment only; this process's
//! environment is never changed.
//! The Python is `$PEERS_VENV/bin/python`, else `/var/cache/ganymede-peers/venv/bin/python`,
//! as installed by `bash scripts/peers.sh`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test binary: a failed expectation is a failed test"
)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use ganymede_crypt::{CryptError, CryptKeys, KEY_ENV};
use serde_json::{Value, json};

const DEFAULT_VENV: &str = "/var/cache/ganymede-peers/venv";

/// A key whose base64 has `+`, `/`, `-` and `_`, so the alphabets matter.
const RAW: [u8; 32] = [
    0xfb, 0xff, 0xbf, 0xf8, 0x3e, 0x0f, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c,
    0xfb, 0xef, 0xbe, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0,
];
const OLD_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
const NEW_HEX: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0";

fn python() -> PathBuf {
    let venv =
        std::env::var_os("PEERS_VENV").map_or_else(|| PathBuf::from(DEFAULT_VENV), PathBuf::from);
    let python = venv.join("bin/python");
    assert!(
        python.is_file(),
        "{} does not exist: install JupyterHub 6.1.1 with `bash scripts/peers.sh` \
         (or point PEERS_VENV at a venv that has it)",
        python.display()
    );
    python
}

/// Runs `ops` in one Python child whose `JUPYTERHUB_CRYPT_KEY` is `key` (unset if `None`).
fn jupyterhub(key: Option<&str>, ops: &[Value]) -> Vec<Value> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fernet_crosscheck.py");
    let mut command = Command::new(python());
    command
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match key {
        Some(key) => command.env(KEY_ENV, key),
        None => command.env_remove(KEY_ENV),
    };
    let mut child = command.spawn().expect("start python");
    let mut stdin = child.stdin.take().expect("python stdin");
    stdin
        .write_all(json!({ "ops": ops }).to_string().as_bytes())
        .expect("write ops to python");
    drop(stdin);
    let output = child.wait_with_output().expect("wait for python");
    assert!(
        output.status.success(),
        "{} failed: {}",
        script.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let answer: Value = serde_json::from_slice(&output.stdout).expect("python prints JSON");
    let results = answer["results"].as_array().expect("results").clone();
    assert_eq!(results.len(), ops.len(), "one result per op");
    results
}

fn keys(value: &str) -> CryptKeys {
    CryptKeys::from_env_value(value).unwrap()
}

fn token_str(token: &[u8]) -> &str {
    std::str::from_utf8(token).unwrap()
}

fn token_of(result: &Value) -> &[u8] {
    result["token"].as_str().expect("a token").as_bytes()
}

/// Asserts that a Python decrypt result opened and gave `plaintext`.
fn assert_opened(result: &Value, plaintext: &[u8], what: &str) {
    assert_eq!(result["ok"], json!(true), "{what}: {result}");
    assert_eq!(result["hex"], json!(hex::encode(plaintext)), "{what}");
}

/// Rust encrypts, JupyterHub decrypts, and the other way round, both with `value`.
fn both_directions(value: &str) {
    let ours = keys(value);
    let plaintexts: [&[u8]; 4] = [b"", b"hello", &[0, 0xff, 0x80, 0x0a], &[0x5a; 257]];
    let mut ops = Vec::new();
    for plaintext in plaintexts {
        let token = ours.encrypt(plaintext).unwrap();
        ops.push(json!({"op": "decrypt", "token": token_str(&token)}));
        ops.push(json!({"op": "encrypt", "hex": hex::encode(plaintext)}));
    }
    let results = jupyterhub(Some(value), &ops);
    for (plaintext, pair) in plaintexts.iter().zip(results.chunks(2)) {
        assert_opened(&pair[0], plaintext, "jupyterhub decrypts rust's token");
        assert_eq!(
            ours.decrypt(token_of(&pair[1])).unwrap(),
            *plaintext,
            "rust decrypts jupyterhub's token"
        );
    }
}

#[test]
fn hex_keys_both_directions() {
    both_directions(OLD_HEX);
    both_directions(&hex::encode_upper(RAW));
}

#[test]
fn base64_keys_both_directions() {
    both_directions(&STANDARD.encode(RAW));
    both_directions(&URL_SAFE.encode(RAW));
}

#[test]
fn rotated_pair_both_directions() {
    let rotated = format!("{NEW_HEX};{OLD_HEX}");
    let (old, new, both) = (keys(OLD_HEX), keys(NEW_HEX), keys(&rotated));
    let rust_old = old.encrypt(b"written before rotation").unwrap();
    let rust_both = both.encrypt(b"written after rotation").unwrap();

    let decrypt = |t: &[u8]| json!({"op": "decrypt", "token": token_str(t)});
    let py_old = jupyterhub(
        Some(OLD_HEX),
        &[
            json!({"op": "encrypt", "hex": hex::encode(b"python before rotation")}),
            decrypt(&rust_both),
        ],
    );
    let py_both = jupyterhub(
        Some(&rotated),
        &[
            decrypt(&rust_old),
            decrypt(&rust_both),
            json!({"op": "encrypt", "hex": hex::encode(b"python after rotation")}),
            json!({"op": "first_key_decrypt", "token": token_str(&rust_both)}),
        ],
    );
    let py_new = jupyterhub(Some(NEW_HEX), &[decrypt(&rust_both)]);

    // Old data still opens after a new key is prepended, on both sides.
    assert_eq!(
        both.decrypt(token_of(&py_old[0])).unwrap(),
        b"python before rotation"
    );
    assert_opened(
        &py_both[0],
        b"written before rotation",
        "jupyterhub new;old, rust old",
    );
    // Both sides encrypt with the first key only.
    assert_opened(
        &py_both[1],
        b"written after rotation",
        "jupyterhub new;old, rust new;old",
    );
    assert_opened(
        &py_both[3],
        b"written after rotation",
        "jupyterhub first key alone",
    );
    assert_opened(
        &py_new[0],
        b"written after rotation",
        "jupyterhub new, rust new;old",
    );
    assert_eq!(
        py_old[1]["ok"],
        json!(false),
        "the old key must not open new data"
    );
    let py_token = token_of(&py_both[2]);
    assert_eq!(new.decrypt(py_token).unwrap(), b"python after rotation");
    assert!(matches!(
        old.decrypt(py_token),
        Err(CryptError::InvalidToken { .. })
    ));
}

#[test]
fn wrong_key_fails_on_both_sides() {
    let rust_token = keys(NEW_HEX).encrypt(b"not for you").unwrap();
    let results = jupyterhub(
        Some(OLD_HEX),
        &[
            json!({"op": "decrypt", "token": token_str(&rust_token)}),
            json!({"op": "encrypt", "hex": hex::encode(b"not for you either")}),
        ],
    );
    assert_eq!(results[0]["ok"], json!(false), "{}", results[0]);
    assert!(matches!(
        keys(NEW_HEX).decrypt(token_of(&results[1])),
        Err(CryptError::InvalidToken { .. })
    ));
}

/// An auth_state with what tends to break: non-ASCII text, escapes, floats and large integers.
fn auth_state() -> Value {
    json!({
        "access_token": "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        "refresh_token": null,
        "scope": ["read:user", "user:email"],
        "expires_at": 1_767_225_600,
        "expires_in": 28_800.0,
        "ratio": 0.1,
        "tiny": 1.25e-7,
        "huge": 1e22,
        "big_int": u64::MAX,
        "negative": -42,
        "admin": false,
        "name": "Zoë Ångström — 日本語 🚀🧪",
        "escapes": "quote \" backslash \\ slash / tab \t newline \n nul \u{0} del \u{7f} \u{2028}",
        "empty": {"list": [], "dict": {}, "string": ""},
        "oauth_user": {"login": "zoë", "id": 12345, "emails": [{"primary": true}]},
    })
}

/// Finite doubles from scattered bit patterns: a check on Python's float repr.
fn scattered_floats() -> Vec<f64> {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut floats = Vec::new();
    while floats.len() < 2000 {
        // SplitMix64.
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let x = f64::from_bits(z);
        if x.is_finite() {
            floats.push(x);
            // Also a value of ordinary size, where positional notation is used.
            floats.push((z >> 11) as f64 / (1u64 << (z % 64)) as f64);
        }
    }
    floats
}

#[test]
fn auth_state_json_both_directions() {
    let state = auth_state();
    let floats = json!(scattered_floats());
    let ours = keys(OLD_HEX);
    let rust_state = ours.encrypt_json(&state).unwrap();
    let rust_floats = ours.encrypt_json(&floats).unwrap();
    let results = jupyterhub(
        Some(OLD_HEX),
        &[
            json!({"op": "decrypt_json", "token": token_str(&rust_state)}),
            json!({"op": "decrypt", "token": token_str(&rust_state)}),
            json!({"op": "dumps", "value": state}),
            json!({"op": "encrypt_json", "value": state}),
            json!({"op": "decrypt", "token": token_str(&rust_floats)}),
            json!({"op": "dumps", "value": floats}),
        ],
    );
    assert_eq!(results[0]["ok"], json!(true), "{}", results[0]);
    assert_eq!(
        results[0]["value"], state,
        "jupyterhub reads rust's auth_state"
    );

    // The plaintext is byte-for-byte what JupyterHub's json.dumps writes.
    let ours_text = hex::decode(results[1]["hex"].as_str().unwrap()).unwrap();
    let theirs_text = results[2]["text"].as_str().unwrap();
    assert_eq!(String::from_utf8(ours_text).unwrap(), theirs_text);
    let ours_floats = hex::decode(results[4]["hex"].as_str().unwrap()).unwrap();
    let ours_floats = String::from_utf8(ours_floats).unwrap();
    let theirs_floats = results[5]["text"].as_str().unwrap();
    for (a, b) in ours_floats.split(", ").zip(theirs_floats.split(", ")) {
        assert_eq!(a, b, "a float's repr");
    }
    assert_eq!(ours_floats, theirs_floats);

    let theirs = ours.decrypt_json(token_of(&results[3])).unwrap();
    assert_eq!(theirs, state, "rust reads jupyterhub's auth_state");
    let their_plaintext = ours.decrypt(token_of(&results[3])).unwrap();
    assert_eq!(String::from_utf8(their_plaintext).unwrap(), theirs_text);
}

#[test]
fn altered_tokens_open_on_both_sides_or_neither() {
    let ours = keys(OLD_HEX);
    let plaintext = b"lenient base64";
    let results = jupyterhub(
        Some(OLD_HEX),
        &[json!({"op": "mangled", "hex": hex::encode(plaintext)})],
    );
    let variants = results[0]["variants"].as_array().unwrap();
    assert!(variants.len() > 10);
    for variant in variants {
        let name = variant["name"].as_str().unwrap();
        let token = variant["token"].as_str().unwrap();
        let rust = ours.decrypt(token.as_bytes());
        match variant["ok"].as_bool().unwrap() {
            true => assert_eq!(rust.unwrap(), plaintext, "{name}: jupyterhub opens it"),
            false => assert!(
                matches!(rust, Err(CryptError::InvalidToken { .. })),
                "{name}: jupyterhub refuses it, rust gave {rust:?}"
            ),
        }
    }
}

/// `JUPYTERHUB_CRYPT_KEY` values, good and bad, that both sides must parse alike.
fn key_values() -> Vec<String> {
    let std = STANDARD.encode(RAW);
    let url = URL_SAFE.encode(RAW);
    let unpadded = url.trim_end_matches('=').to_owned();
    let mut flipped = url.clone().into_bytes();
    flipped[42] = b'x';
    let flipped = String::from_utf8(flipped).unwrap();
    let mut values: Vec<String> = [
        // Blank: no keys.
        "",
        " ",
        ";",
        ";;",
        " ; \t ;\n",
        "\u{1c}",
        "\u{1f};",
        "\u{a0}",
        "\u{3000}; \u{2028}",
        // Raw 32-byte keys.
        "abcdefghijklmnopqrstuvwxyz012345",
        " bcdefghijklmnopqrstuvwxyz01234 ",
        "\u{1}bcdefghijklmnopqrstuvwxyz01234",
        "ébcdefghijklmnopqrstuvwxyz0123",
        // Near misses.
        "0x",
        "not a key",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    values.extend([
        OLD_HEX.to_owned(),
        OLD_HEX.to_uppercase(),
        hex::encode(RAW),
        format!("{}{}", &OLD_HEX[..32], &OLD_HEX[32..].to_uppercase()),
        std.clone(),
        url.clone(),
        format!("{}{}", &url[..20], &std[20..]),
        flipped,
        unpadded.clone(),
        format!("{unpadded}=="),
        format!("={unpadded}"),
        format!("{}.{}=", &unpadded[..10], &unpadded[10..42]),
        format!("{}={}", &unpadded[..2], &unpadded[2..]),
        format!("{}==", &unpadded[..42]),
        format!("{unpadded}A"),
        format!("{} ", &unpadded),
        format!(" {unpadded}"),
        format!("{}\n", &unpadded),
        "A".repeat(44),
        STANDARD.encode([0xffu8; 48]),
        STANDARD.encode([0x00u8; 48]),
        format!("0x{}", &OLD_HEX[..62]),
        format!("{}g", &OLD_HEX[..63]),
        format!("{OLD_HEX}\n"),
        format!("{OLD_HEX}\r\n"),
        format!(" {OLD_HEX}"),
        format!("\u{a0}{OLD_HEX}"),
        format!("{NEW_HEX};{OLD_HEX}"),
        format!("{NEW_HEX};{std};{OLD_HEX}"),
        format!(";{NEW_HEX};;{url};"),
        format!("{NEW_HEX}; {OLD_HEX}"),
        format!("{NEW_HEX} ;{OLD_HEX}"),
        format!("{NEW_HEX},{OLD_HEX}"),
        format!("{NEW_HEX};{}", &OLD_HEX[..63]),
        format!("{NEW_HEX};é{}", &OLD_HEX[2..]),
    ]);
    for c in ['a', 'A', '0', '=', ' '] {
        for len in [1, 31, 32, 33, 43, 44, 45, 63, 64, 65] {
            values.push(c.to_string().repeat(len));
        }
    }
    values
}

#[test]
fn key_parsing_agrees_with_jupyterhub() {
    let values = key_values();
    let parsed: Vec<_> = values
        .iter()
        .map(|v| CryptKeys::from_env_value(v))
        .collect();
    let mut ops = vec![json!({"op": "available"})];
    for (value, parsed) in values.iter().zip(&parsed) {
        let rust_token = match parsed {
            Ok(k) if !k.is_empty() => {
                Some(String::from_utf8(k.encrypt(b"probe").unwrap()).unwrap())
            }
            _ => None,
        };
        ops.push(json!({"op": "keys", "value": value, "rust_token": rust_token}));
    }
    let results = jupyterhub(None, &ops);

    // Unset: JupyterHub's NoEncryptionKeys, our Unavailable.
    assert_eq!(results[0]["ok"], json!(false));
    let theirs = results[0]["error"].as_str().unwrap();
    assert!(theirs.starts_with("NoEncryptionKeys"), "{theirs}");
    assert!(matches!(
        CryptKeys::none().check_available(),
        Err(CryptError::Unavailable)
    ));

    let accepted = results[1..]
        .iter()
        .filter(|r| r["ok"] == json!(true))
        .count();
    assert!(
        accepted > 20 && values.len() - accepted > 40,
        "the table should hold both kinds: {accepted} of {} accepted",
        values.len()
    );
    let mut disagreements = Vec::new();
    for ((value, ours), theirs) in values.iter().zip(&parsed).zip(&results[1..]) {
        let agree = match (ours, theirs["ok"].as_bool().unwrap()) {
            (Err(_), false) => true,
            (Ok(k), true) => {
                let tokens = theirs["tokens"].as_array().unwrap();
                k.len() == theirs["count"].as_u64().unwrap() as usize
                    && tokens.iter().all(|t| {
                        k.decrypt(t.as_str().unwrap().as_bytes()).ok().as_deref()
                            == Some(&b"probe"[..])
                    })
                    && (k.is_empty() || theirs["rust_first_key"]["hex"] == hex::encode(b"probe"))
            }
            _ => false,
        };
        if !agree {
            disagreements.push(format!(
                "{value:?}\n    rust:   {ours:?}\n    python: {theirs}"
            ));
        }
    }
    assert!(
        disagreements.is_empty(),
        "{} of {} values parsed differently:\n{}",
        disagreements.len(),
        values.len(),
        disagreements.join("\n")
    );
}
