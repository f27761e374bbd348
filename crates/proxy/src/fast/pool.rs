//! Idle keep-alive connections to plain-HTTP targets, for the fast lane; one pool per event loop.

use std::io;
use std::net::SocketAddr;

use tokio::net::TcpStream;
use url::{Host, Url};

use crate::idle::{IdleConnections, Reusable};

/// Plain TCP connections to targets, by `host:port`.
pub(crate) type RawPool = IdleConnections<String, TcpStream>;

/// A closed one shows when it is used; the fast lane then replaces it once.
impl Reusable for TcpStream {
    fn is_closed(&self) -> bool {
        false
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
        let pool = RawPool::new(std::time::Duration::from_secs(60));
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

        let expired = RawPool::new(std::time::Duration::ZERO);
        expired.put("a", connect(&url).await.unwrap());
        assert!(expired.take("a").is_none());
    }
}
