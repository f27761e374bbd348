//! Idle keep-alive connections to plain-HTTP targets, for the fast lane; one pool per event loop.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use tokio::net::TcpStream;
use url::{Host, Url};

/// Every this many returns, connections idle for too long are closed.
const SWEEP_EVERY: u32 = 1024;

/// Idle connections by `host:port`, each with the time it was returned.
type IdleMap = HashMap<String, Vec<(TcpStream, Instant)>, foldhash::fast::RandomState>;

/// Plain TCP connections to targets, by `host:port`.
#[derive(Debug)]
pub(crate) struct RawPool {
    /// foldhash: keys are targets from the route table, not anything a client chose.
    idle: Mutex<IdleMap>,
    idle_timeout: Duration,
    returns: AtomicU32,
}

impl RawPool {
    pub(crate) fn new(idle_timeout: Duration) -> Self {
        Self {
            idle: Mutex::new(HashMap::default()),
            idle_timeout,
            returns: AtomicU32::new(0),
        }
    }

    /// The most recently returned connection to `key` that has not been idle too long.
    pub(crate) fn take(&self, key: &str) -> Option<TcpStream> {
        let mut idle = self.idle.lock().ok()?;
        let list = idle.get_mut(key)?;
        while let Some((stream, since)) = list.pop() {
            if since.elapsed() < self.idle_timeout {
                return Some(stream);
            }
        }
        None
    }

    /// Keeps `stream`, at a message boundary, for the next request to `key`.
    pub(crate) fn put(&self, key: &str, stream: TcpStream) {
        let sweep = self
            .returns
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY);
        let Ok(mut idle) = self.idle.lock() else {
            return;
        };
        let now = Instant::now();
        if sweep {
            let timeout = self.idle_timeout;
            idle.retain(|_, list| {
                list.retain(|(_, since)| now.duration_since(*since) < timeout);
                !list.is_empty()
            });
        }
        match idle.get_mut(key) {
            Some(list) => list.push((stream, now)),
            None => {
                idle.insert(key.to_owned(), vec![(stream, now)]);
            }
        }
    }
}

/// A new connection to `target`'s host and port, with Nagle off.
pub(crate) async fn connect(target: &Url) -> io::Result<TcpStream> {
    let port = target
        .port_or_known_default()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the target has no port"))?;
    let stream = match target.host() {
        Some(Host::Ipv4(ip)) => TcpStream::connect(SocketAddr::from((ip, port))).await?,
        Some(Host::Ipv6(ip)) => TcpStream::connect(SocketAddr::from((ip, port))).await?,
        Some(Host::Domain(name)) => TcpStream::connect((name, port)).await?,
        None => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the target has no host",
            ));
        }
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_come_back_newest_first_and_expire() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url: Url = format!("http://{}/", listener.local_addr().unwrap())
            .parse()
            .unwrap();
        let pool = RawPool::new(Duration::from_secs(60));
        let first = connect(&url).await.unwrap();
        let second = connect(&url).await.unwrap();
        let second_port = second.local_addr().unwrap().port();
        pool.put("a", first);
        pool.put("a", second);
        assert_eq!(
            pool.take("a").unwrap().local_addr().unwrap().port(),
            second_port
        );
        assert!(pool.take("a").is_some());
        assert!(pool.take("a").is_none());
        assert!(pool.take("b").is_none());

        let expired = RawPool::new(Duration::ZERO);
        expired.put("a", connect(&url).await.unwrap());
        assert!(expired.take("a").is_none());
    }
}
