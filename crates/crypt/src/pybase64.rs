//! Python's lenient `base64.urlsafe_b64decode`, which JupyterHub uses on `JUPYTERHUB_CRYPT_KEY`'s
//! keys (tokens are decoded by `cryptography`: see `token_base64.rs`).
//!
//! Python decodes in `binascii.a2b_base64`'s non-strict mode: it maps `-` and `_` to `+` and `/`
//! (so both alphabets are accepted, even mixed), skips every byte outside the alphabet, stops at
//! the first complete padding, ignores the unused low bits of the last character, and fails only
//! when the data characters end part-way through a group of four without padding.
//! The `base64` crate is strict about all of these, so a key or token that JupyterHub accepts
//! could be refused; this decoder accepts exactly what Python accepts.

/// Decodes `input` as Python's `base64.urlsafe_b64decode` does, or `None` where Python raises
/// `binascii.Error`.
pub(crate) fn urlsafe_b64decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    // Position in the current group of four data characters, the bits not yet written, and how
    // many `=` have been seen since the last data character (counted only once two or more
    // characters of the group are in, as CPython does).
    let mut quad_pos = 0u8;
    let mut left = 0u8;
    let mut pads = 0u8;
    for &byte in input {
        if byte == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Some(out);
                }
            }
            continue;
        }
        let Some(sextet) = sextet(byte) else {
            continue;
        };
        pads = 0;
        match quad_pos {
            0 => {
                left = sextet;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (sextet >> 4));
                left = sextet & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (sextet >> 2));
                left = sextet & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | sextet);
                quad_pos = 0;
            }
        }
    }
    (quad_pos == 0).then_some(out)
}

/// The value of one base64 character after Python's url-safe translation.
fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::urlsafe_b64decode;

    #[test]
    fn decodes_like_python() {
        // Each expectation was checked with Python 3.11's `base64.urlsafe_b64decode`.
        let cases: &[(&str, Option<&[u8]>)] = &[
            ("", Some(b"")),
            ("YQ==", Some(b"a")),
            ("YWI=", Some(b"ab")),
            ("YWJj", Some(b"abc")),
            // Standard and url-safe alphabets, mixed.
            ("-_+/", Some(&[0xfb, 0xff, 0xbf])),
            // Junk and whitespace are skipped.
            ("Y W\nJ.j", Some(b"abc")),
            // Missing padding fails; one data character too many fails.
            ("YQ", None),
            ("YWI", None),
            ("YWJjZ", None),
            // Padding stops decoding; anything after it is ignored.
            ("YQ==YWJj", Some(b"a")),
            ("YWI=junk", Some(b"ab")),
            // `=` too early in a group is skipped, not an error.
            ("=YWJj", Some(b"abc")),
            ("Y=WJj", Some(b"abc")),
            // Padding split by junk still counts.
            ("YQ=.=", Some(b"a")),
            // Unused low bits of the last character are ignored.
            ("YR==", Some(b"a")),
            ("YWJ=", Some(b"ab")),
        ];
        for (input, want) in cases {
            let got = urlsafe_b64decode(input.as_bytes());
            assert_eq!(got.as_deref(), *want, "input {input:?}");
        }
    }
}
