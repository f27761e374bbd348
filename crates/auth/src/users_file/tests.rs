//! The users file: startup errors, logins, parse errors with lines, and reloading.

use std::collections::BTreeMap;
use std::fs::{self, File, Permissions};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

use super::*;
use crate::hash::hash_for_tests;

/// A directory holding `users.toml`; every write sets a distinct modification time, so a
/// reload never depends on the clock's resolution.
struct Fixture {
    dir: TempDir,
    writes: u64,
}

impl Fixture {
    fn new(text: &str) -> Self {
        let mut fixture = Self {
            dir: tempfile::tempdir().unwrap(),
            writes: 0,
        };
        fixture.write(text);
        fixture
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("users.toml")
    }

    fn write(&mut self, text: &str) {
        fs::write(self.path(), text).unwrap();
        self.chmod(0o600);
        self.writes += 1;
        let modified = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000 + self.writes);
        File::options()
            .write(true)
            .open(self.path())
            .unwrap()
            .set_modified(modified)
            .unwrap();
    }

    fn chmod(&self, mode: u32) {
        fs::set_permissions(self.path(), Permissions::from_mode(mode)).unwrap();
    }

    fn section(&self) -> AuthenticatorSection {
        let mut section = AuthenticatorSection {
            class: ganymede_config::AuthenticatorClass::UsersFile,
            ..AuthenticatorSection::default()
        };
        section.users_file.path = Some(self.path());
        section
    }

    fn open(&self) -> UsersFile {
        UsersFile::from_config(&self.section()).unwrap()
    }

    fn open_err(&self) -> String {
        UsersFile::from_config(&self.section())
            .unwrap_err()
            .to_string()
    }
}

fn user(name: &str, password: &str, extra: &str) -> String {
    format!(
        "[users.{name}]\npassword_hash = \"{}\"\n{extra}\n",
        hash_for_tests(password)
    )
}

async fn name_of(users: &UsersFile, name: &str, password: &str) -> Option<String> {
    users
        .authenticate(name, password)
        .await
        .unwrap()
        .map(|a| a.name)
}

#[tokio::test]
async fn checks_passwords() {
    let text = [
        user("alice", "alice-pw", ""),
        user(
            "bob",
            "bob-pw",
            "admin = true\ngroups = [\"physics\", \"chem\"]",
        ),
        user("carol", "carol-pw", "admin = false\ngroups = []"),
    ]
    .concat();
    let fixture = Fixture::new(&text);
    let users = fixture.open();
    assert_eq!(users.class(), "users-file");
    assert_eq!(users.user_count(), 3);

    let alice = users
        .authenticate("alice", "alice-pw")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(alice, Authenticated::new("alice"));
    let bob = users.authenticate("Bob", "bob-pw").await.unwrap().unwrap();
    assert_eq!(bob.name, "bob");
    assert_eq!(bob.admin, Some(true));
    assert_eq!(
        bob.groups,
        Some(vec!["physics".to_owned(), "chem".to_owned()])
    );
    let carol = users
        .authenticate("carol", "carol-pw")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((carol.admin, carol.groups), (Some(false), Some(vec![])));

    let refused = [
        ("alice", "bob-pw"),
        ("alice", "alice-pw "),
        ("alice", ""),
        ("nobody", "alice-pw"),
        ("", ""),
    ];
    for (name, password) in refused {
        assert_eq!(name_of(&users, name, password).await, None, "{name}");
    }
}

#[tokio::test]
async fn names_are_looked_up_normalised() {
    let fixture = Fixture::new(&user("alpha", "pw", ""));
    let mut section = fixture.section();
    section.username_map = BTreeMap::from([("wash".to_owned(), "alpha".to_owned())]);
    let users = UsersFile::from_config(&section).unwrap();
    assert_eq!(
        name_of(&users, "WASH", "pw").await.as_deref(),
        Some("alpha")
    );
    assert_eq!(
        name_of(&users, "Alpha", "pw").await.as_deref(),
        Some("alpha")
    );
}

#[test]
fn startup_errors_name_the_path_and_the_fix() {
    let fixture = Fixture::new(&user("alice", "pw", ""));
    let shown = fixture.path().display().to_string();

    let mut unset = fixture.section();
    unset.users_file.path = None;
    let error = UsersFile::from_config(&unset).unwrap_err().to_string();
    assert_eq!(
        error,
        "invalid `authenticator.users_file.path`: must be set when \
         `authenticator.class = \"users-file\"`"
    );

    for mode in [0o620, 0o602, 0o666] {
        fixture.chmod(mode);
        let error = fixture.open_err();
        assert!(error.contains(&shown), "{error}");
        assert!(error.contains(&format!("chmod go-w {shown}")), "{error}");
        assert!(error.contains(&format!("mode {mode:o}")), "{error}");
    }
    // Readable by others is allowed: hashes are not passwords.
    fixture.chmod(0o644);
    fixture.open();

    let mut directory = fixture.section();
    directory.users_file.path = Some(fixture.dir.path().to_owned());
    let error = UsersFile::from_config(&directory).unwrap_err().to_string();
    assert!(error.contains("is not a regular file"), "{error}");

    fs::remove_file(fixture.path()).unwrap();
    let error = fixture.open_err();
    assert!(
        error.starts_with(&format!("users file `{shown}` does not exist")),
        "{error}"
    );
    assert!(error.contains("authenticator.users_file.path"), "{error}");
}

#[test]
fn parse_errors_name_the_line() {
    let good = hash_for_tests("pw");
    let cases = [
        ("[users.alice]\npassword_hash = \"x\"\n= oops\n", 3, "key"),
        (
            &*format!("[users.alice]\npassword_hash = \"{good}\"\npasword = \"x\"\n"),
            3,
            "unknown field `pasword`",
        ),
        (
            "# users\n\n[users.alice]\nadmin = true\n",
            3,
            "missing field `password_hash`",
        ),
        (
            &*format!(
                "[users.ok]\npassword_hash = \"{good}\"\n\n[users.bad]\npassword_hash = \"plain\"\n"
            ),
            4,
            "user \"bad\": `password_hash` not a PHC string",
        ),
        (
            &*format!("[users.Alice]\npassword_hash = \"{good}\"\n"),
            1,
            "user \"Alice\": write the name as the hub names it, \"alice\"",
        ),
        (
            &*format!("[users.\"a/b\"]\npassword_hash = \"{good}\"\n"),
            1,
            "user \"a/b\": invalid user name",
        ),
        (
            &*format!("[users.ann]\npassword_hash = \"{good}\"\ngroups = [\"\"]\n"),
            1,
            "user \"ann\": invalid group name",
        ),
        ("[people.alice]\n", 1, "unknown field `people`"),
        ("[users.alice]\npassword_hash = 3\n", 2, "invalid type"),
    ];
    for (text, line, message) in cases {
        let fixture = Fixture::new(text);
        let error = fixture.open_err();
        let want = format!("users file `{}` line {line}: ", fixture.path().display());
        assert!(error.starts_with(&want), "{error}\n  wanted {want}");
        assert!(error.contains(message), "{error}\n  wanted {message}");
    }
}

#[tokio::test]
async fn an_empty_file_lets_nobody_in() {
    let fixture = Fixture::new("");
    let users = fixture.open();
    assert_eq!(users.user_count(), 0);
    assert_eq!(name_of(&users, "alice", "").await, None);
}

#[tokio::test]
async fn reloads_when_the_file_changes() {
    let mut fixture = Fixture::new(&user("alice", "pw1", ""));
    let users = fixture.open();
    assert_eq!(name_of(&users, "bob", "pw").await, None);

    // Adding a user and changing a password take effect at the next login.
    fixture.write(&[user("alice", "pw2", ""), user("bob", "pw", "")].concat());
    assert_eq!(name_of(&users, "bob", "pw").await.as_deref(), Some("bob"));
    assert_eq!(name_of(&users, "alice", "pw1").await, None);
    assert_eq!(
        name_of(&users, "alice", "pw2").await.as_deref(),
        Some("alice")
    );
    assert_eq!(users.user_count(), 2);

    // Removing a user does too.
    fixture.write(&user("alice", "pw2", ""));
    assert_eq!(name_of(&users, "bob", "pw").await, None);
}

#[tokio::test]
async fn a_bad_version_keeps_the_last_good_one() {
    let mut fixture = Fixture::new(&user("alice", "pw", ""));
    let users = fixture.open();

    // Broken TOML.
    fixture.write("[users.alice\n");
    assert_eq!(
        name_of(&users, "alice", "pw").await.as_deref(),
        Some("alice")
    );
    assert_eq!(
        name_of(&users, "alice", "pw").await.as_deref(),
        Some("alice")
    );

    // A valid file that others may write is not trusted.
    fixture.write(&user("mallory", "pw", "admin = true"));
    fixture.chmod(0o666);
    assert_eq!(name_of(&users, "mallory", "pw").await, None);
    assert_eq!(
        name_of(&users, "alice", "pw").await.as_deref(),
        Some("alice")
    );

    // A deleted file.
    fs::remove_file(fixture.path()).unwrap();
    assert_eq!(
        name_of(&users, "alice", "pw").await.as_deref(),
        Some("alice")
    );

    // Fixed again: the new version is used.
    fixture.write(&user("bob", "pw", ""));
    assert_eq!(name_of(&users, "bob", "pw").await.as_deref(), Some("bob"));
    assert_eq!(name_of(&users, "alice", "pw").await, None);
}

#[tokio::test]
async fn from_config_picks_the_class() {
    let fixture = Fixture::new(&user("alice", "pw", ""));
    let backend = crate::from_config(&fixture.section()).unwrap();
    assert_eq!(backend.class(), "users-file");
    assert!(backend.authenticate("alice", "pw").await.unwrap().is_some());
}

#[test]
fn line_of_counts_from_one() {
    let cases = [
        ("", 0, 1),
        ("a\nb", 0, 1),
        ("a\nb", 2, 2),
        ("a\nb\n", 99, 3),
    ];
    for (text, offset, line) in cases {
        assert_eq!(line_of(text, offset), line, "{text:?} {offset}");
    }
}
