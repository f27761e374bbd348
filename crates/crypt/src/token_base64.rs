//! How `cryptography`'s Fernet decodes a token's base64, which decides which altered tokens still
//! open.
//!
//! Since its Fernet moved to Rust (cryptography 51, what `pip install jupyterhub==6.1.1`
//! resolves today), a token is decoded after dropping ASCII whitespace anywhere in it (space,
//! tab, LF, FF, CR; not VT), in the url-safe alphabet only, with padding optional (but never
//! more than a group needs) and the unused low bits of the last character ignored. Stray
//! characters or the standard alphabet's `+` and `/`, which the older Python implementation
//! skipped or mapped, now make the token invalid. `tests/fernet_crosscheck.rs` holds both sides
//! to the same answers against the pinned release.

use base64::Engine as _;
use base64::alphabet::URL_SAFE;
use base64::engine::DecodePaddingMode;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};

const LENIENT_URL_SAFE: GeneralPurpose = GeneralPurpose::new(
    &URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The token's bytes, or `None` where `cryptography` raises `InvalidToken` for its encoding.
pub(crate) fn decode(token: &[u8]) -> Option<Vec<u8>> {
    if token.iter().any(u8::is_ascii_whitespace) {
        let compact: Vec<u8> = token
            .iter()
            .copied()
            .filter(|byte| !byte.is_ascii_whitespace())
            .collect();
        LENIENT_URL_SAFE.decode(compact).ok()
    } else {
        LENIENT_URL_SAFE.decode(token).ok()
    }
}
