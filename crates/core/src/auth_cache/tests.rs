//! The cache's own rules: generation, age, expiry, the size cap and activity updates.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use ganymede_db::{TokenId, TokenOwner, TokenRow, UserId, UserRow};
use ganymede_types::scope::ExpandedScopes;

use super::*;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + seconds, 0)
        .single()
        .unwrap()
}

fn identity(expires_at: Option<DateTime<Utc>>) -> Identity {
    Identity {
        principal: Principal::User(UserRow {
            id: UserId(1),
            name: "alice".to_owned(),
            admin: false,
            created: at(0),
            last_activity: None,
            cookie_id: "c".to_owned(),
            user_info: None,
        }),
        token: Some(TokenRow {
            id: TokenId(7),
            prefix: "abcd".to_owned(),
            owner: TokenOwner::User(UserId(1)),
            session_id: None,
            oauth_client_id: None,
            scopes: vec![],
            note: String::new(),
            created: at(0),
            last_activity: None,
            expires_at,
        }),
        scopes: ExpandedScopes::default(),
        membership: BTreeMap::new(),
    }
}

#[test]
fn a_hit_needs_the_same_generation() {
    let cache = AuthCache::default();
    let key = TokenKey::of("secret-token");
    cache.insert(key, 3, at(0), identity(None));
    assert!(cache.get(key, 3, at(1)).is_some());
    assert!(cache.get(key, 4, at(1)).is_none(), "a write happened since");
    assert!(
        cache.get(key, 3, at(1)).is_none(),
        "a stale entry is dropped, not kept for later"
    );
    assert!(cache.get(TokenKey::of("other-token"), 3, at(1)).is_none());
}

#[test]
fn entries_age_out_and_expired_tokens_miss() {
    let cache = AuthCache::default();
    let key = TokenKey::of("secret-token");
    cache.insert(key, 0, at(0), identity(None));
    assert!(
        cache
            .get(key, 0, at(0) + MAX_AGE - TimeDelta::seconds(1))
            .is_some()
    );
    assert!(cache.get(key, 0, at(0) + MAX_AGE).is_none());

    cache.insert(key, 0, at(0), identity(Some(at(5))));
    assert!(cache.get(key, 0, at(4)).is_some());
    assert!(cache.get(key, 0, at(5)).is_none(), "expired at 5");
}

#[test]
fn the_map_is_bounded() {
    let cache = AuthCache::default();
    for i in 0..MAX_ENTRIES {
        cache.insert(
            TokenKey::of(&format!("token-{i}")),
            0,
            at(0),
            identity(None),
        );
    }
    assert_eq!(cache.len(), MAX_ENTRIES);
    // Replacing an entry does not clear the map; a new key past the cap does.
    cache.insert(TokenKey::of("token-0"), 0, at(0), identity(None));
    assert_eq!(cache.len(), MAX_ENTRIES);
    cache.insert(TokenKey::of("one-more"), 0, at(0), identity(None));
    assert_eq!(cache.len(), 1);
}

#[test]
fn recorded_activity_updates_the_entry() {
    let cache = AuthCache::default();
    let key = TokenKey::of("secret-token");
    cache.insert(key, 0, at(0), identity(None));
    let mut used = identity(None);
    if let Some(token) = &mut used.token {
        token.last_activity = Some(at(2));
    }
    if let Principal::User(user) = &mut used.principal {
        user.last_activity = Some(at(2));
    }
    cache.recorded_activity(key, &used);
    let hit = cache.get(key, 0, at(3)).unwrap();
    assert_eq!(hit.token.unwrap().last_activity, Some(at(2)));
    let Principal::User(user) = hit.principal else {
        panic!("a user's token");
    };
    assert_eq!(user.last_activity, Some(at(2)));
}

#[test]
fn keys_are_hashes() {
    let key = TokenKey::of("secret-token");
    assert_ne!(&key.0[..], b"secret-token");
    assert_eq!(key, TokenKey::of("secret-token"));
}
