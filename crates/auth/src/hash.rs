//! argon2 password hashes in PHC string form (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`).

use argon2::password_hash::phc::{Output, PasswordHash};
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params};

use crate::error::AuthError;

/// The most memory one verification may take, in KiB (1 GiB): a hash with a mistyped `m=` must
/// not let every login allocate tens of gigabytes.
pub(crate) const MAX_MEMORY_KIB: u32 = 1024 * 1024;

/// A hash with argon2id's default parameters that no password matches in practice (its salt
/// and output are all zeros); checked against when a users file lists nobody.
const DEFAULT_DUMMY: &str = "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA\
                             $AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// Hashes a password with argon2id's default parameters and a random salt, for the users file.
///
/// Slow on purpose (tens of milliseconds): call it off the async runtime's worker threads.
pub fn hash_password(password: &str) -> Result<String, AuthError> {
    hash_with(Argon2::default(), password)
}

/// Hashes with the given hasher: production uses the defaults, tests cheap parameters.
pub(crate) fn hash_with(argon2: Argon2<'_>, password: &str) -> Result<String, AuthError> {
    argon2
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|error| AuthError::Hash(error.to_string()))
}

/// Cheap parameters for tests, which hash many times.
#[cfg(test)]
pub(crate) fn hash_for_tests(password: &str) -> String {
    let params = Params::new(Params::MIN_M_COST, 1, 1, None).unwrap();
    hash_with(
        Argon2::new(Algorithm::Argon2id, argon2::Version::V0x13, params),
        password,
    )
    .unwrap()
}

/// Parses a PHC string and checks it is an argon2 hash with usable parameters.
pub(crate) fn parse(phc: &str) -> Result<PasswordHash, String> {
    let hash = PasswordHash::new(phc).map_err(|error| format!("not a PHC string: {error}"))?;
    Algorithm::try_from(hash.algorithm.as_str()).map_err(|_| {
        format!(
            "algorithm `{}` is not argon2id, argon2i or argon2d",
            hash.algorithm.as_str()
        )
    })?;
    let params =
        Params::try_from(&hash).map_err(|error| format!("invalid argon2 parameters: {error}"))?;
    if params.m_cost() > MAX_MEMORY_KIB {
        return Err(format!(
            "memory cost m={} KiB is over the limit of {MAX_MEMORY_KIB} KiB",
            params.m_cost()
        ));
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err("has no salt or no hash".to_owned());
    }
    Ok(hash)
}

/// Whether `password` matches `hash`; `Err` only when the check itself failed.
pub(crate) fn verify(password: &str, hash: &PasswordHash) -> Result<bool, AuthError> {
    match Argon2::default().verify_password(password.as_bytes(), hash) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(error) => Err(AuthError::Hash(error.to_string())),
    }
}

/// A hash with the parameters of `like` that no password matches, so checking an unknown user
/// costs the same as checking a known one.
pub(crate) fn dummy_like(like: &PasswordHash) -> PasswordHash {
    let mut dummy = like.clone();
    let len = like
        .hash
        .as_ref()
        .map_or(Params::DEFAULT_OUTPUT_LEN, Output::len);
    dummy.hash = Output::new(&vec![0; len]).ok().or(dummy.hash);
    dummy
}

/// The dummy hash for a users file with no users.
pub(crate) fn default_dummy() -> Result<PasswordHash, AuthError> {
    parse(DEFAULT_DUMMY).map_err(AuthError::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_then_verify() {
        let phc = hash_for_tests("correct horse");
        let hash = parse(&phc).unwrap();
        assert!(verify("correct horse", &hash).unwrap());
        assert!(!verify("correct horsE", &hash).unwrap());
        assert!(!verify("", &hash).unwrap());
    }

    #[test]
    fn production_hash_uses_argon2id_defaults() {
        let phc = hash_password("pw").unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(verify("pw", &parse(&phc).unwrap()).unwrap());
        // A random salt: the same password never hashes the same twice.
        assert_ne!(hash_for_tests("pw"), hash_for_tests("pw"));
    }

    #[test]
    fn parse_refuses_what_cannot_be_checked() {
        let cases = [
            ("plain text", "not a PHC string"),
            (
                "$pbkdf2-sha256$i=1000$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
                "is not argon2id",
            ),
            (
                "$argon2id$v=19$m=99999999,t=1,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                "over the limit",
            ),
            ("$argon2id$v=19$m=19456,t=2,p=1", "no salt or no hash"),
        ];
        for (phc, want) in cases {
            let error = parse(phc).unwrap_err();
            assert!(error.contains(want), "{phc}: {error}");
        }
    }

    #[test]
    fn dummies_never_match_and_keep_parameters() {
        let default = default_dummy().unwrap();
        assert!(!verify("", &default).unwrap());
        let real = parse(&hash_for_tests("pw")).unwrap();
        let dummy = dummy_like(&real);
        assert_eq!(dummy.params, real.params);
        assert_ne!(dummy.hash, real.hash);
        assert!(!verify("pw", &dummy).unwrap());
    }
}
