//! Errors: [`KeyError`] when `JUPYTERHUB_CRYPT_KEY` is read, [`CryptError`] when it is used.
//!
//! No message ever contains key material or a token: a bad key is named by its position only.

use std::fmt;

/// A key in `JUPYTERHUB_CRYPT_KEY` that JupyterHub would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "key {position} of {count} in JUPYTERHUB_CRYPT_KEY {problem}; \
     each `;`-separated key must be 32 bytes written as 64 hex characters \
     or 44 base64 characters ({hint})",
    hint = crate::MAKE_KEY_HINT
)]
pub struct KeyError {
    /// The key's position, counting from 1, among the non-blank `;`-separated parts.
    pub position: usize,
    /// How many non-blank parts the value has.
    pub count: usize,
    /// What is wrong with that key.
    pub problem: KeyProblem,
}

/// What is wrong with one key in `JUPYTERHUB_CRYPT_KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// The key has a character outside ASCII.
    NotAscii,
    /// The key has leading or trailing whitespace, which JupyterHub keeps as part of the key.
    SurroundingWhitespace {
        /// The key's length in bytes, whitespace included.
        len: usize,
    },
    /// The key is 64 characters long, the length of hex, but is not hex.
    NotHex,
    /// The key is 44 characters long, the length of base64, but is not base64 of 32 bytes.
    NotBase64,
    /// The key has a length that is neither hex (64), base64 (44) nor raw bytes (32).
    WrongLength {
        /// The key's length in bytes.
        len: usize,
    },
}

/// Why [`CryptKeys`](crate::CryptKeys) could not encrypt or decrypt.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CryptError {
    /// `JUPYTERHUB_CRYPT_KEY` is unset or blank, like JupyterHub's `NoEncryptionKeys`.
    #[error(
        "encryption is not available: set JUPYTERHUB_CRYPT_KEY to one or more `;`-separated keys ({hint})",
        hint = crate::MAKE_KEY_HINT
    )]
    Unavailable,
    /// No key decrypts the token, or the token is malformed or was tampered with.
    #[error("invalid token: none of the {keys} key(s) in JUPYTERHUB_CRYPT_KEY decrypts it")]
    InvalidToken {
        /// How many keys were tried.
        keys: usize,
    },
    /// The token decrypted, but its plaintext is not the UTF-8 JSON that auth_state is stored as.
    #[error("decrypted auth_state is not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
}

// === impl KeyProblem ===

impl fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAscii => f.write_str("has a character that is not ASCII"),
            Self::SurroundingWhitespace { len } => write!(
                f,
                "is {len} characters long with leading or trailing whitespace, \
                 which JupyterHub does not strip"
            ),
            Self::NotHex => f.write_str("is 64 characters long but not hex"),
            Self::NotBase64 => {
                f.write_str("is 44 characters long but not base64 that decodes to 32 bytes")
            }
            Self::WrongLength { len } => write!(f, "is {len} characters long"),
        }
    }
}
