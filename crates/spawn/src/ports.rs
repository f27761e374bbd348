//! Ports for new servers. The hub picks a port (bind 0, read it, close) before the server
//! binds it, as JupyterHub does; with hundreds of starts at once the kernel can hand the same
//! free port to two of them, and the second server's probe would be answered by the first.
//! So ports handed out recently are not handed out again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::SpawnError;
use crate::unix_user::free_port;

/// How long a handed-out port stays reserved: longer than any server takes to bind it.
const RESERVED_FOR: Duration = Duration::from_secs(300);

/// Hands out free ports, never the same one twice within [`RESERVED_FOR`].
#[derive(Debug, Default)]
pub struct PortPicker {
    recent: Mutex<HashMap<u16, Instant>>,
}

impl PortPicker {
    /// A free port on `ip` not handed out recently.
    pub fn pick(&self, ip: &str) -> Result<u16, SpawnError> {
        let mut recent = self
            .recent
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let now = Instant::now();
        recent.retain(|_, at| now.duration_since(*at) < RESERVED_FOR);
        let mut last = 0;
        for _ in 0..64 {
            let port = free_port(ip)?;
            if let std::collections::hash_map::Entry::Vacant(slot) = recent.entry(port) {
                slot.insert(now);
                return Ok(port);
            }
            last = port;
        }
        Err(SpawnError::Io {
            what: format!("cannot find a port on {ip} that was not just handed out (last: {last})"),
            source: std::io::Error::from(std::io::ErrorKind::AddrInUse),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_hands_out_a_port_twice() {
        let picker = PortPicker::default();
        let ports: std::collections::HashSet<u16> = (0..500)
            .map(|_| picker.pick("127.0.0.1").unwrap())
            .collect();
        assert_eq!(ports.len(), 500);
    }
}
