//! The started proxy's stdout and stderr go to `<data_dir>/proxy.log` (appended, mode 0600),
//! not through a pipe: a proxy outlives a hub that is killed or that leaves it running
//! (`hub.cleanup_proxy = false`), and its next log line must not meet a closed pipe (Node.js
//! dies of that, and users would lose their servers with it). The lines this start wrote are
//! quoted in the error that says why it failed.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::Context;

/// Lines quoted in an error message.
const TAIL_LINES: usize = 20;

/// At most this much of the end of this start's output is read for them.
const TAIL_BYTES: u64 = 16 * 1024;

/// One start's output: the file, and where this start's lines begin.
#[derive(Debug)]
pub(super) struct Output {
    path: PathBuf,
    start: u64,
}

impl Output {
    /// Opens `path` for appending and returns the child's stdout and stderr on it.
    pub(super) fn open(path: &Path) -> anyhow::Result<(Self, Stdio, Stdio)> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)
            .with_context(|| format!("cannot open the proxy's log {}", path.display()))?;
        let start = file.metadata().map(|m| m.len()).unwrap_or(0);
        let stdout = file
            .try_clone()
            .with_context(|| format!("cannot open the proxy's log {}", path.display()))?;
        let output = Self {
            path: path.to_owned(),
            start,
        };
        Ok((output, Stdio::from(stdout), Stdio::from(file)))
    }

    /// Where the output goes.
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// The last lines this start wrote, indented, or a note that there were none.
    pub(super) fn tail(&self) -> String {
        let lines = self.read_tail();
        if lines.is_empty() {
            return "    (no output)".to_owned();
        }
        lines
            .iter()
            .map(|line| format!("    {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn read_tail(&self) -> Vec<String> {
        let Ok(mut file) = std::fs::File::open(&self.path) else {
            return Vec::new();
        };
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let from = self.start.max(len.saturating_sub(TAIL_BYTES));
        let mut bytes = Vec::new();
        if file.seek(SeekFrom::Start(from)).is_err()
            || file.take(TAIL_BYTES).read_to_end(&mut bytes).is_err()
        {
            return Vec::new();
        }
        let text = String::from_utf8_lossy(&bytes);
        let mut lines: Vec<&str> = text.lines().collect();
        if from > self.start && !lines.is_empty() {
            // The first line was cut in the middle.
            lines.remove(0);
        }
        let skip = lines.len().saturating_sub(TAIL_LINES);
        lines[skip..].iter().map(|l| (*l).to_owned()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tail_is_this_starts_last_lines() {
        let dir = tempfile_dir();
        let path = dir.join("proxy.log");
        let (first, _, _) = Output::open(&path).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        std::fs::write(first.path(), "an earlier start\n").unwrap();
        let (output, _, _) = Output::open(&path).unwrap();
        assert_eq!(output.tail(), "    (no output)");
        let lines: String = (1..=30).map(|i| format!("line {i}\n")).collect();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str(&lines);
        std::fs::write(&path, text).unwrap();
        let tail = output.tail();
        assert!(tail.starts_with("    line 11\n"), "{tail}");
        assert!(tail.ends_with("    line 30"), "{tail}");
        assert!(!tail.contains("earlier"), "{tail}");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(mode & 0o777, 0o600);
    }

    fn tempfile_dir() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ganymede-proxy-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
