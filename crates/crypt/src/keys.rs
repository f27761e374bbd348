//! [`CryptKeys`]: the parsed `JUPYTERHUB_CRYPT_KEY` and the `MultiFernet` operations on it.
//!
//! Parsing follows `jupyterhub/crypto.py` (`CryptKeeper._keys_default` and `_validate_key`) to
//! the letter, surprises included:
//! - the value is split on `;`, and parts that are blank (Python's `str.strip()` leaves nothing)
//!   are skipped, but the other parts are *not* stripped, so `"k1; k2"` is an error;
//! - a part must be ASCII, then its length picks the form: 44 is base64 (standard or url-safe
//!   alphabet, decoded leniently as Python does), 64 is hex (either case), and 32 is taken as
//!   the raw key bytes themselves; any other length, or a 44 or 64 that fails to decode to 32
//!   bytes, is an error.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use fernet::Fernet;

use crate::error::{CryptError, KeyError, KeyProblem};
use crate::{pybase64, pyjson, token_base64};

/// The keys from `JUPYTERHUB_CRYPT_KEY`, ready to encrypt and decrypt auth_state.
///
/// The first key encrypts; every key is tried in order to decrypt, as Python's `MultiFernet`
/// does, so `new;old` reads data written under `old` and writes it under `new`.
/// With no keys (the variable unset or blank) it is JupyterHub's "encryption unavailable" state:
/// every operation returns [`CryptError::Unavailable`].
///
/// `Debug` shows only how many keys there are.
/// The keys it holds are zeroed on drop (by `fernet`); the copies made while parsing are not.
#[derive(Clone, Default)]
pub struct CryptKeys {
    fernets: Vec<Fernet>,
}

/// The current time to pass `fernet` so that it never rejects a token for its timestamp.
///
/// Python's `MultiFernet.decrypt(token)` with no TTL ignores the timestamp entirely, but the
/// `fernet` crate's `decrypt` refuses tokens stamped more than 60 seconds in the future, which
/// would lose auth_state written by a hub whose clock ran ahead.
/// With no TTL its only time check is `now + 60 < timestamp`, which this value makes false for
/// every timestamp without overflowing.
const NO_TIME_CHECK: u64 = u64::MAX - 60;

// === impl CryptKeys ===

impl CryptKeys {
    /// Parses the value of `JUPYTERHUB_CRYPT_KEY` exactly as JupyterHub 6.1.1 does.
    ///
    /// The value holds one or more keys separated by `;`, the first used to encrypt.
    /// Each key is 32 bytes written as 64 hex characters or as 44 base64 characters (standard or
    /// url-safe); for compatibility a 32-character ASCII string is also taken as raw key bytes.
    /// Blank parts are skipped, so an empty or blank value gives the no-keys state, as an unset
    /// variable does ([`CryptKeys::default`]).
    ///
    /// # Errors
    ///
    /// [`KeyError`] names the first bad key by its position, never by its value.
    pub fn from_env_value(value: &str) -> Result<Self, KeyError> {
        let parts: Vec<&str> = value
            .split(';')
            .filter(|part| !part.chars().all(is_python_space))
            .collect();
        let count = parts.len();
        let fernets = parts
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let raw = validate_key(part).map_err(|problem| KeyError {
                    position: i + 1,
                    count,
                    problem,
                })?;
                Ok(fernet_from_raw(&raw))
            })
            .collect::<Result<_, KeyError>>()?;
        Ok(Self { fernets })
    }

    /// The no-keys state, as when `JUPYTERHUB_CRYPT_KEY` is unset.
    pub fn none() -> Self {
        Self::default()
    }

    /// How many keys there are.
    ///
    /// JupyterHub re-encrypts a user's auth_state whenever it reads it while there is more than
    /// one key, so that rotation completes as users log in.
    pub fn len(&self) -> usize {
        self.fernets.len()
    }

    /// Whether there are no keys, so encryption is unavailable.
    pub fn is_empty(&self) -> bool {
        self.fernets.is_empty()
    }

    /// JupyterHub's `CryptKeeper.check_available`: an error when there are no keys.
    ///
    /// JupyterHub refuses to start when `enable_auth_state` is on and this fails.
    ///
    /// # Errors
    ///
    /// [`CryptError::Unavailable`] when there are no keys.
    pub fn check_available(&self) -> Result<(), CryptError> {
        if self.fernets.is_empty() {
            Err(CryptError::Unavailable)
        } else {
            Ok(())
        }
    }

    /// Encrypts `plaintext` with the first key into a Fernet token (url-safe base64 bytes).
    ///
    /// # Errors
    ///
    /// [`CryptError::Unavailable`] when there are no keys.
    ///
    /// # Panics
    ///
    /// If the system clock is before 1970 or the OS random number generator fails.
    pub fn encrypt(&self, plaintext: &[u8]) -> Result<Vec<u8>, CryptError> {
        let first = self.fernets.first().ok_or(CryptError::Unavailable)?;
        Ok(first.encrypt(plaintext).into_bytes())
    }

    /// Decrypts a Fernet token with the first key that verifies it, ignoring its age as
    /// JupyterHub does.
    ///
    /// # Errors
    ///
    /// [`CryptError::Unavailable`] when there are no keys, [`CryptError::InvalidToken`] when the
    /// token is malformed, tampered with, or made with none of the keys.
    pub fn decrypt(&self, token: &[u8]) -> Result<Vec<u8>, CryptError> {
        self.check_available()?;
        let invalid = || CryptError::InvalidToken {
            keys: self.fernets.len(),
        };
        // Decode as `cryptography` does, then hand `fernet` the canonical form: it decodes
        // strictly, and `cryptography` accepts whitespace, missing padding and non-canonical
        // final bits.
        let data = token_base64::decode(token).ok_or_else(invalid)?;
        if data.len() < 9 || data[0] != 0x80 {
            return Err(invalid());
        }
        let canonical = URL_SAFE.encode(&data);
        self.fernets
            .iter()
            .find_map(|f| f.decrypt_at_time(&canonical, None, NO_TIME_CHECK).ok())
            .ok_or_else(invalid)
    }

    /// JupyterHub's `CryptKeeper.encrypt(data)`: `json.dumps(data).encode('utf8')`, encrypted.
    ///
    /// The plaintext is byte-for-byte what Python's `json.dumps` writes for the same value, with
    /// keys in the map's order (sorted unless `serde_json`'s `preserve_order` is on).
    /// JupyterHub stores a `None` auth_state as SQL `NULL` without encrypting it; that choice is
    /// the caller's.
    ///
    /// # Errors
    ///
    /// [`CryptError::Unavailable`] when there are no keys.
    pub fn encrypt_json(&self, value: &serde_json::Value) -> Result<Vec<u8>, CryptError> {
        self.check_available()?;
        self.encrypt(pyjson::dumps(value).as_bytes())
    }

    /// JupyterHub's `CryptKeeper.decrypt(token)`: decrypted, UTF-8 decoded and parsed as JSON.
    ///
    /// # Errors
    ///
    /// As [`CryptKeys::decrypt`], and [`CryptError::NotJson`] when the plaintext is not UTF-8
    /// JSON.
    pub fn decrypt_json(&self, token: &[u8]) -> Result<serde_json::Value, CryptError> {
        let plaintext = self.decrypt(token)?;
        serde_json::from_slice(&plaintext).map_err(CryptError::NotJson)
    }
}

impl fmt::Debug for CryptKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CryptKeys")
            .field("keys", &self.fernets.len())
            .finish_non_exhaustive()
    }
}

// === helpers ===

/// JupyterHub's `_validate_key`: one non-blank part of the value to 32 raw key bytes.
fn validate_key(part: &str) -> Result<[u8; 32], KeyProblem> {
    if !part.is_ascii() {
        return Err(KeyProblem::NotAscii);
    }
    let bytes = part.as_bytes();
    let decoded = match bytes.len() {
        44 => pybase64::urlsafe_b64decode(bytes).ok_or(KeyProblem::NotBase64),
        64 => hex::decode(bytes).map_err(|_| KeyProblem::NotHex),
        _ => Ok(bytes.to_vec()),
    };
    let problem = match decoded {
        Ok(raw) => match <[u8; 32]>::try_from(raw.as_slice()) {
            Ok(key) => return Ok(key),
            Err(_) if bytes.len() == 44 => KeyProblem::NotBase64,
            Err(_) => KeyProblem::WrongLength { len: bytes.len() },
        },
        Err(problem) => problem,
    };
    // Whitespace around a key is the likeliest cause (a key file's newline, a space after `;`),
    // and JupyterHub keeps it, so say so rather than give a puzzling length.
    if part.trim_matches(is_python_space) == part {
        Err(problem)
    } else {
        Err(KeyProblem::SurroundingWhitespace { len: bytes.len() })
    }
}

/// A `fernet` key from raw bytes, as JupyterHub's `Fernet(base64.urlsafe_b64encode(key))`.
fn fernet_from_raw(raw: &[u8; 32]) -> Fernet {
    // `Fernet::new` only fails on input that is not url-safe base64 of 32 bytes.
    match Fernet::new(&URL_SAFE.encode(raw)) {
        Some(fernet) => fernet,
        None => unreachable!("url-safe base64 of 32 bytes is a valid fernet key"),
    }
}

/// Python's `str.isspace` for one character, which decides which parts `str.strip()` empties.
///
/// It is Rust's `char::is_whitespace` plus the four ASCII separators U+001C to U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

#[cfg(test)]
mod tests;
