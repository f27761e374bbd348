//! Table-driven tests of the name rules; each case names what it checks.

use super::*;

type Expect = Result<(), NameRule>;

fn check<T>(
    kind: &str,
    cases: &[(&str, &str, Expect)],
    parse: impl Fn(&str) -> Result<T, NameError>,
) where
    T: AsRef<str> + std::fmt::Debug,
{
    for (case, input, expect) in cases {
        let got = parse(input);
        match (expect, &got) {
            (Ok(()), Ok(name)) => assert_eq!(name.as_ref(), *input, "{kind}: {case}"),
            (Err(rule), Err(error)) => assert_eq!(error.rule(), *rule, "{kind}: {case}"),
            _ => panic!("{kind}: {case}: input {input:?} expected {expect:?}, got {got:?}"),
        }
    }
}

#[test]
fn user_name() {
    let long = "a".repeat(255);
    let too_long = "é".repeat(256);
    type Row<'a> = (&'a str, &'a str, Expect);
    let cases: &[Row<'_>] = &[
        ("plain name", "alice", Ok(())),
        ("upper case is left to normalize_username", "Alice", Ok(())),
        ("email address", "a@b.c", Ok(())),
        ("inner space", "a b", Ok(())),
        ("unicode", "jürgen", Ok(())),
        ("dots with other characters", "a.", Ok(())),
        ("single percent escape that is not a dot", "%41", Ok(())),
        ("a dot beside a non-dot escape", ".%41", Ok(())),
        ("double-encoded dot is not a dot", "%252e", Ok(())),
        ("incomplete escape", "%2", Ok(())),
        ("non-ascii after %2", "%2é", Ok(())),
        (
            "inner control character, as JupyterHub allows",
            "a\nb",
            Ok(()),
        ),
        ("255 characters", &long, Ok(())),
        ("empty", "", Err(NameRule::Empty)),
        ("slash", "a/b", Err(NameRule::Slash)),
        ("lone slash", "/", Err(NameRule::Slash)),
        ("dot", ".", Err(NameRule::OnlyDots)),
        ("dot dot", "..", Err(NameRule::OnlyDots)),
        ("encoded dot", "%2e", Err(NameRule::OnlyDots)),
        (
            "encoded dots, mixed case and literal",
            "%2E.%2e",
            Err(NameRule::OnlyDots),
        ),
        (
            "leading space",
            " alice",
            Err(NameRule::SurroundingWhitespace),
        ),
        (
            "trailing tab",
            "alice\t",
            Err(NameRule::SurroundingWhitespace),
        ),
        (
            "trailing no-break space",
            "alice\u{a0}",
            Err(NameRule::SurroundingWhitespace),
        ),
        (
            "python also strips U+001F",
            "alice\u{1f}",
            Err(NameRule::SurroundingWhitespace),
        ),
        ("NUL", "a\0b", Err(NameRule::Nul)),
        ("256 characters", &too_long, Err(NameRule::TooLong)),
    ];
    check("user", cases, |s| UserName::new(s));
}

#[test]
fn server_name() {
    type Row<'a> = (&'a str, &'a str, Expect);
    let cases: &[Row<'_>] = &[
        ("default server", "", Ok(())),
        ("slug", "gpu-1", Ok(())),
        (
            "legacy name with spaces and upper case",
            "My Server",
            Ok(()),
        ),
        ("legacy name of dots", "..", Ok(())),
        ("slash", "a/b", Err(NameRule::Slash)),
        ("NUL", "\0", Err(NameRule::Nul)),
        ("256 characters", &"s".repeat(256), Err(NameRule::TooLong)),
    ];
    check("server", cases, |s| ServerName::new(s));
}

#[test]
fn server_name_check_new_named() {
    type Row<'a> = (&'a str, &'a str, bool);
    let cases: &[Row<'_>] = &[
        ("lowercase word", "gpu", true),
        ("letters, digits and single hyphens", "gpu-2-big", true),
        ("single letter", "a", true),
        ("30 characters", &"a".repeat(30), true),
        ("default server is not a new named server", "", false),
        ("31 characters", &"a".repeat(31), false),
        ("starts with a digit", "1gpu", false),
        ("ends with a hyphen", "gpu-", false),
        ("double hyphen", "a--b", false),
        ("upper case", "Gpu", false),
        ("underscore", "a_b", false),
        ("non-ascii", "grüße", false),
    ];
    for (case, input, ok) in cases {
        let name = ServerName::new(*input).unwrap();
        assert_eq!(name.is_safe_slug(), *ok, "{case}");
        let checked = name.check_new_named();
        assert_eq!(checked.is_ok(), *ok, "{case}");
        if let Err(error) = checked {
            assert_eq!(error.rule(), NameRule::NotSlug, "{case}");
        }
    }
}

#[test]
fn group_name() {
    type Row<'a> = (&'a str, &'a str, Expect);
    let cases: &[Row<'_>] = &[
        ("plain", "team", Ok(())),
        ("spaces and punctuation", "Team A (2024)", Ok(())),
        ("empty", "", Err(NameRule::Empty)),
        ("slash", "a/b", Err(NameRule::Slash)),
        ("NUL", "a\0", Err(NameRule::Nul)),
        ("256 characters", &"g".repeat(256), Err(NameRule::TooLong)),
    ];
    check("group", cases, |s| GroupName::new(s));
}

#[test]
fn service_name() {
    type Row<'a> = (&'a str, &'a str, Expect);
    let cases: &[Row<'_>] = &[
        ("plain", "idle-culler", Ok(())),
        ("percent not followed by two hex digits", "100%", Ok(())),
        ("percent and one hex digit", "%4", Ok(())),
        ("dots with a letter", ".a.", Ok(())),
        ("escape", "a%41", Err(NameRule::Escaped)),
        ("escaped slash", "a%2Fb", Err(NameRule::Escaped)),
        ("encoded dot", "%2e", Err(NameRule::Escaped)),
        ("slash", "a/b", Err(NameRule::Slash)),
        ("empty", "", Err(NameRule::Empty)),
        ("dots", "...", Err(NameRule::OnlyDots)),
        (
            "leading space",
            " svc",
            Err(NameRule::SurroundingWhitespace),
        ),
        (
            "trailing newline",
            "svc\n",
            Err(NameRule::SurroundingWhitespace),
        ),
        ("NUL", "s\0", Err(NameRule::Nul)),
        ("256 characters", &"s".repeat(256), Err(NameRule::TooLong)),
    ];
    check("service", cases, |s| ServiceName::new(s));
}

#[test]
fn role_name() {
    let longest = format!("a{}", "b".repeat(254));
    type Row<'a> = (&'a str, &'a str, Expect);
    let cases: &[Row<'_>] = &[
        ("default role", "admin", Ok(())),
        ("three characters", "abc", Ok(())),
        ("all allowed specials inside", "a-b_c~d.e9", Ok(())),
        ("255 characters", &longest, Ok(())),
        ("two characters", "ab", Err(NameRule::RoleLength)),
        (
            "256 characters",
            &format!("{longest}c"),
            Err(NameRule::RoleLength),
        ),
        ("starts with a digit", "1ab", Err(NameRule::RoleStart)),
        ("starts with a hyphen", "-ab", Err(NameRule::RoleStart)),
        ("ends with a dot", "ab.", Err(NameRule::RoleEnd)),
        ("ends with an underscore", "ab_", Err(NameRule::RoleEnd)),
        ("upper case", "Admin", Err(NameRule::RoleCharacter)),
        ("space", "my role", Err(NameRule::RoleCharacter)),
        (
            "trailing newline python's $ would accept",
            "abc\n",
            Err(NameRule::RoleCharacter),
        ),
        ("non-ascii", "rôle", Err(NameRule::RoleCharacter)),
        ("empty", "", Err(NameRule::RoleLength)),
    ];
    check("role", cases, |s| RoleName::new(s));
}

#[test]
fn full_server_name() {
    type Row<'a> = (&'a str, &'a str, Result<(&'a str, &'a str), NameRule>);
    let cases: &[Row<'_>] = &[
        ("default server", "alice/", Ok(("alice", ""))),
        ("named server", "alice/gpu", Ok(("alice", "gpu"))),
        ("no slash", "alice", Err(NameRule::MissingSlash)),
        ("empty user", "/gpu", Err(NameRule::Empty)),
        (
            "second slash lands in the server name",
            "alice/a/b",
            Err(NameRule::Slash),
        ),
        ("invalid user", "../x", Err(NameRule::OnlyDots)),
    ];
    for (case, input, expect) in cases {
        let got: Result<FullServerName, _> = input.parse();
        match (expect, got) {
            (Ok((user, server)), Ok(name)) => {
                assert_eq!(
                    (name.user().as_str(), name.server().as_str()),
                    (*user, *server)
                );
                assert_eq!(name.to_string(), *input, "{case}: round trip");
            }
            (Err(rule), Err(error)) => assert_eq!(error.rule(), *rule, "{case}"),
            (_, got) => panic!("{case}: expected {expect:?}, got {got:?}"),
        }
    }
}

#[test]
fn error_messages() {
    let long = format!("{}/", "x".repeat(100));
    type Row<'a> = (&'a str, Result<UserName, NameError>, &'a str);
    let cases: &[Row<'_>] = &[
        (
            "names kind, value and rule",
            UserName::new("a/b"),
            r#"invalid user name "a/b": must not contain '/'"#,
        ),
        (
            "escapes control characters",
            UserName::new(" a\n"),
            r#"invalid user name " a\n": must not start or end with whitespace"#,
        ),
        (
            "shortens long values",
            UserName::new(long.as_str()),
            &format!(
                "invalid user name \"{}\"…: must not contain '/'",
                "x".repeat(64)
            ),
        ),
    ];
    for (case, got, message) in cases {
        let error = got.as_ref().err().map(ToString::to_string);
        assert_eq!(error.as_deref(), Some(*message), "{case}");
    }
    let role = RoleName::new("X").unwrap_err();
    assert_eq!(role.kind(), NameKind::Role);
}

#[test]
fn serde_validates() {
    type Row<'a> = (&'a str, &'a str, bool);
    let cases: &[Row<'_>] = &[
        ("valid user name", r#""alice""#, true),
        ("invalid user name", r#""a/b""#, false),
        ("not a string", "42", false),
    ];
    for (case, json, ok) in cases {
        let got: Result<UserName, _> = serde_json::from_str(json);
        assert_eq!(got.is_ok(), *ok, "{case}: {got:?}");
        if let Ok(name) = got {
            assert_eq!(
                serde_json::to_string(&name).unwrap(),
                *json,
                "{case}: round trip"
            );
        }
    }
    let server: FullServerName = serde_json::from_str(r#""alice/gpu""#).unwrap();
    assert_eq!(serde_json::to_string(&server).unwrap(), r#""alice/gpu""#);
    assert!(serde_json::from_str::<FullServerName>(r#""alice""#).is_err());
}
