//! Browser sessions: signed cookie values and XSRF tokens, keyed by the cookie secret.
//!
//! A signed value is `<value>.<issued unix seconds>.<base64url HMAC-SHA256>` (cookie-safe, so
//! scripts can copy it from the cookie jar verbatim), where the MAC covers
//! the cookie's name as well, so a value signed for one cookie cannot be replayed as another.
//! The issue time lets the hub enforce `cookie_max_age_days` itself instead of trusting the
//! browser's `Max-Age`.
//!
//! An XSRF token is a MAC of the browser's XSRF id (the session id and the user's cookie id once
//! logged in, a random anonymous id before): it needs no storage, changes when the user logs in or
//! out, and is checked in constant time.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// The keys that sign cookies and XSRF tokens, derived from the cookie secret.
#[derive(Clone)]
pub struct SessionKeys {
    cookie_key: [u8; 32],
    xsrf_key: [u8; 32],
}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionKeys(<redacted>)")
    }
}

impl SessionKeys {
    /// Keys derived from the cookie secret; one key per purpose, so an XSRF token is never a
    /// valid cookie signature.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            cookie_key: derive(secret, b"ganymede cookie v1"),
            xsrf_key: derive(secret, b"ganymede xsrf v1"),
        }
    }

    /// Keys from a fresh random secret: sessions last as long as the process (tests, and hubs
    /// built without a cookie secret).
    pub fn random() -> Self {
        let secret: [u8; 32] = rand::random();
        Self::from_secret(&secret)
    }

    /// `value` signed for the cookie `name`, issued at `now` (unix seconds).
    pub fn sign(&self, name: &str, value: &str, now: i64) -> String {
        let mac = self.cookie_mac(name, value, now);
        format!("{value}.{now}.{mac}")
    }

    /// The value of a signed cookie if its signature is valid and it was issued at most
    /// `max_age_secs` before `now` (and not in the future).
    pub fn verify(&self, name: &str, signed: &str, max_age_secs: i64, now: i64) -> Option<String> {
        let (rest, mac) = signed.rsplit_once('.')?;
        let (value, issued) = rest.rsplit_once('.')?;
        let issued: i64 = issued.parse().ok()?;
        let expected = self.cookie_mac(name, value, issued);
        if !bool::from(expected.as_bytes().ct_eq(mac.as_bytes())) {
            return None;
        }
        // A minute of clock skew between hub replicas is tolerated.
        let fresh = issued <= now.saturating_add(60) && now.saturating_sub(issued) <= max_age_secs;
        fresh.then(|| value.to_owned())
    }

    /// The XSRF token of a browser whose XSRF id is `xsrf_id`.
    pub fn xsrf_token(&self, xsrf_id: &str) -> String {
        let mut mac = keyed(&self.xsrf_key);
        mac.update(xsrf_id.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is the XSRF token of `xsrf_id`, compared in constant time.
    pub fn check_xsrf(&self, xsrf_id: &str, token: &str) -> bool {
        let expected = self.xsrf_token(xsrf_id);
        bool::from(expected.as_bytes().ct_eq(token.as_bytes()))
    }

    fn cookie_mac(&self, name: &str, value: &str, issued: i64) -> String {
        let mut mac = keyed(&self.cookie_key);
        for part in [name.as_bytes(), b"|", value.as_bytes(), b"|"] {
            mac.update(part);
        }
        mac.update(issued.to_string().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

fn derive(secret: &[u8], purpose: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(purpose);
    hash.update(secret);
    hash.finalize().into()
}

fn keyed(key: &[u8; 32]) -> HmacSha256 {
    // HMAC takes keys of any length, so this never fails; the fallback keeps the API infallible.
    HmacSha256::new_from_slice(key).unwrap_or_else(|_| HmacSha256::new(&Default::default()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_values_round_trip_and_reject_tampering() {
        let keys = SessionKeys::from_secret(b"0123456789abcdef0123456789abcdef");
        let signed = keys.sign("jupyterhub-hub-login", "abc123", 1_000);
        assert_eq!(
            keys.verify("jupyterhub-hub-login", &signed, 100, 1_050),
            Some("abc123".to_owned())
        );
        // expired, from the future, another cookie, another secret, tampered value
        assert_eq!(
            keys.verify("jupyterhub-hub-login", &signed, 100, 1_101),
            None
        );
        assert_eq!(keys.verify("jupyterhub-hub-login", &signed, 100, 900), None);
        assert_eq!(keys.verify("_xsrf", &signed, 100, 1_050), None);
        let other = SessionKeys::from_secret(b"another secret of thirty-two b!!");
        assert_eq!(
            other.verify("jupyterhub-hub-login", &signed, 100, 1_050),
            None
        );
        let tampered = signed.replacen("abc123", "abc124", 1);
        assert_eq!(
            keys.verify("jupyterhub-hub-login", &tampered, 100, 1_050),
            None
        );
        for garbage in ["", ".", "a.b", "a.1.", "a.x.y"] {
            assert_eq!(
                keys.verify("jupyterhub-hub-login", garbage, 100, 1_050),
                None
            );
        }
    }

    #[test]
    fn xsrf_tokens_bind_the_id() {
        let keys = SessionKeys::random();
        let token = keys.xsrf_token("session:cookie");
        assert!(keys.check_xsrf("session:cookie", &token));
        assert!(!keys.check_xsrf("session:other", &token));
        assert!(!keys.check_xsrf("session:cookie", ""));
        assert!(!SessionKeys::random().check_xsrf("session:cookie", &token));
    }
}
