//! The limiter with times made up by the test: no clock, no sleep.

use std::time::{Duration, Instant};

use super::*;

const MINUTE: Duration = Duration::from_secs(60);

#[test]
fn pauses_after_the_allowed_failures() {
    let limiter = LoginLimiter::new(3, 60);
    let t0 = Instant::now();
    let at = |secs: u64| t0 + Duration::from_secs(secs);
    limiter.record_failure("ann", "10.0.0.1", at(0));
    limiter.record_failure("ann", "10.0.0.1", at(1));
    assert_eq!(limiter.check("ann", "10.0.0.1", at(2)), Ok(()));
    limiter.record_failure("ann", "10.0.0.1", at(2));
    // The third failure starts a 60-second pause.
    assert_eq!(limiter.check("ann", "10.0.0.1", at(2)), Err(MINUTE));
    assert_eq!(
        limiter.check("ann", "10.0.0.1", at(61)),
        Err(Duration::from_secs(1))
    );
    // Other users and other clients are not affected.
    assert_eq!(limiter.check("bob", "10.0.0.1", at(3)), Ok(()));
    assert_eq!(limiter.check("ann", "10.0.0.2", at(3)), Ok(()));
    // When the pause is over, counting starts again from zero.
    assert_eq!(limiter.check("ann", "10.0.0.1", at(62)), Ok(()));
    limiter.record_failure("ann", "10.0.0.1", at(62));
    assert_eq!(limiter.check("ann", "10.0.0.1", at(62)), Ok(()));
}

#[test]
fn failures_outside_the_window_do_not_add_up() {
    let limiter = LoginLimiter::new(2, 60);
    let t0 = Instant::now();
    limiter.record_failure("ann", "c", t0);
    limiter.record_failure("ann", "c", t0 + MINUTE);
    assert_eq!(limiter.check("ann", "c", t0 + MINUTE), Ok(()));
    limiter.record_failure("ann", "c", t0 + MINUTE + Duration::from_secs(59));
    assert!(limiter.check("ann", "c", t0 + MINUTE * 2).is_err());
}

#[test]
fn success_clears_the_pair() {
    let limiter = LoginLimiter::new(2, 60);
    let t0 = Instant::now();
    limiter.record_failure("ann", "c", t0);
    limiter.record_success("ann", "c");
    assert!(limiter.is_empty());
    limiter.record_failure("ann", "c", t0);
    assert_eq!(limiter.check("ann", "c", t0), Ok(()));
}

#[test]
fn one_allowed_failure_pauses_at_once() {
    let limiter = LoginLimiter::new(1, 5);
    let t0 = Instant::now();
    limiter.record_failure("ann", "c", t0);
    assert_eq!(limiter.check("ann", "c", t0), Err(Duration::from_secs(5)));
}

#[test]
fn zero_turns_it_off() {
    for (allowed, seconds) in [(0, 600), (10, 0), (0, 0)] {
        let limiter = LoginLimiter::new(allowed, seconds);
        assert!(!limiter.is_enabled());
        let t0 = Instant::now();
        for _ in 0..20 {
            limiter.record_failure("ann", "c", t0);
        }
        assert_eq!(limiter.check("ann", "c", t0), Ok(()));
        assert!(limiter.is_empty());
    }
}

#[test]
fn from_config_reads_both_settings() {
    let section = AuthenticatorSection {
        allowed_failed_logins: 2,
        seconds_before_next_try: 30,
        ..AuthenticatorSection::default()
    };
    let limiter = LoginLimiter::from_config(&section);
    let t0 = Instant::now();
    limiter.record_failure("ann", "c", t0);
    limiter.record_failure("ann", "c", t0);
    assert_eq!(limiter.check("ann", "c", t0), Err(Duration::from_secs(30)));
}

#[test]
fn memory_is_bounded_under_random_names() {
    let limiter = LoginLimiter::new(1, 600).with_capacity(100);
    let t0 = Instant::now();
    // The pair to protect, then an attack with many long, distinct names.
    limiter.record_failure("victim", "c", t0);
    for i in 0..10_000 {
        let name = format!("{i}-{}", "x".repeat(1000));
        limiter.record_failure(&name, "attacker", t0);
        assert!(limiter.len() <= 100);
    }
    assert_eq!(limiter.len(), 100);
    // The oldest pair was forgotten; the most recent ones are still paused.
    assert_eq!(limiter.check("victim", "c", t0), Ok(()));
    let last = format!("9999-{}", "x".repeat(1000));
    assert!(limiter.check(&last, "attacker", t0).is_err());
    let first_kept = format!("9900-{}", "x".repeat(1000));
    assert!(limiter.check(&first_kept, "attacker", t0).is_err());
    let evicted = format!("9899-{}", "x".repeat(1000));
    assert_eq!(limiter.check(&evicted, "attacker", t0), Ok(()));
}

#[test]
fn touching_a_pair_protects_it_from_eviction() {
    let limiter = LoginLimiter::new(5, 600).with_capacity(2);
    let t0 = Instant::now();
    limiter.record_failure("a", "c", t0);
    limiter.record_failure("b", "c", t0);
    limiter.record_failure("a", "c", t0);
    limiter.record_failure("z", "c", t0);
    assert_eq!(limiter.len(), 2);
    // "a" was used after "b", so "b" went.
    for _ in 0..3 {
        limiter.record_failure("a", "c", t0);
    }
    assert!(limiter.check("a", "c", t0).is_err());
    limiter.record_failure("b", "c", t0);
    assert_eq!(limiter.len(), 2);
}

#[test]
fn huge_pauses_do_not_overflow() {
    let limiter = LoginLimiter::new(1, u64::MAX);
    let t0 = Instant::now();
    limiter.record_failure("ann", "c", t0);
    assert!(limiter.check("ann", "c", t0).is_err());
}
