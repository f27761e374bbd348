//! `/proc/<pid>/stat`: whether a pid is still the process the hub started.
//!
//! A pid alone is not an identity: after the server exits the kernel may hand the number to
//! another process. The start time (in clock ticks since boot) of the pair does not repeat.

/// What the hub needs from `/proc/<pid>/stat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    /// The one-letter state; `Z` is a zombie, dead but not reaped.
    pub(crate) state: char,
    /// The process group.
    pub(crate) pgid: i32,
    /// Field 22: start time in clock ticks after boot.
    pub(crate) start_time: u64,
}

/// Parses a `stat` line; the command name (field 2) may hold spaces and parentheses, so the
/// fields are counted from its last `)`.
pub(crate) fn parse(line: &str) -> Option<ProcStat> {
    let rest = &line[line.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        pgid: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// The stat of `pid`, or `None` when there is no such process.
pub(crate) fn read(pid: i32) -> Option<ProcStat> {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|line| parse(&line))
}

/// Whether `pid` is alive and is the process that started at `start_time`.
pub(crate) fn is_same_live_process(pid: i32, start_time: u64) -> bool {
    read(pid).is_some_and(|stat| stat.start_time == start_time && stat.state != 'Z')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_name_with_spaces_and_parentheses() {
        let line = "4242 (jupyter (lab) x) S 1 4242 4242 0 -1 4194560 1 0 0 0 2 3 0 0 20 0 \
                    1 0 987654 1000 10 18446744073709551615";
        assert_eq!(
            parse(line),
            Some(ProcStat {
                state: 'S',
                pgid: 4242,
                start_time: 987_654
            })
        );
    }

    #[test]
    fn rejects_truncated_lines() {
        assert_eq!(parse("12 (x) S 1"), None);
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn reads_this_process() {
        let me = i32::try_from(std::process::id()).unwrap();
        let stat = read(me).unwrap();
        assert!(is_same_live_process(me, stat.start_time));
        assert!(!is_same_live_process(me, stat.start_time + 1));
    }
}
