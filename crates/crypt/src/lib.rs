//! `JUPYTERHUB_CRYPT_KEY` parsing and auth_state encryption, bit-compatible with JupyterHub 6.1.1.
//!
//! JupyterHub encrypts each user's `auth_state` with a `MultiFernet` built from the keys in
//! `JUPYTERHUB_CRYPT_KEY` (`jupyterhub/crypto.py`): the first key encrypts, every key is tried to
//! decrypt, so prepending a new key rotates without losing old data.
//! [`CryptKeys`] does the same, and reads and writes the very same tokens, so a database can move
//! between JupyterHub and Ganymede in either direction.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use ganymede_crypt::CryptKeys;
//!
//! let keys = CryptKeys::from_env_value(
//!     "1d2a8e3c4b5f60718293a4b5c6d7e8f90112233445566778899aabbccddeeff0",
//! )?;
//! let token = keys.encrypt_json(&serde_json::json!({"access_token": "s3cr3t"}))?;
//! assert_eq!(keys.decrypt_json(&token)?["access_token"], "s3cr3t");
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod error;
mod keys;
mod pybase64;
mod pyjson;
mod token_base64;

pub use error::{CryptError, KeyError, KeyProblem};
pub use keys::CryptKeys;

/// The environment variable JupyterHub reads its encryption keys from.
///
/// Ganymede never reads it itself: the config crate passes its value to
/// [`CryptKeys::from_env_value`].
pub const KEY_ENV: &str = "JUPYTERHUB_CRYPT_KEY";

/// How to make a good key, quoted in every error message.
const MAKE_KEY_HINT: &str = "make a key with `openssl rand -hex 32`";
