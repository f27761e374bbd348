//! Test support for Ganymede's protocol tests: the real `ganymede proxy` binary as a child
//! process, and small backends to put behind it.
//!
//! Everything binds `127.0.0.1:0` and reads the port back, nothing sleeps to synchronise (waits
//! are polls or notifications bounded by a deadline, see [`wait`]), and every process or task a
//! helper starts is stopped when its handle is dropped.
//!
//! Backends answer HTTP/1.1 only, which is what the proxy speaks to its targets:
//! - [`EchoBackend`]: answers with JSON describing the request it saw ([`Echoed`]), over plain
//!   HTTP or, with a [`TestCert`], HTTPS;
//! - [`WsEchoBackend`]: a WebSocket server that sends every message back;
//! - [`ByteSink`] and [`ByteSource`]: count uploaded bytes, and stream a download of N bytes;
//! - [`ResettingBackend`]: sends headers and part of a body, then resets the connection.

#![forbid(unsafe_code)]

mod echo;
mod process;
mod reset;
mod serve;
mod stream;
mod tempdir;
mod tls;
pub mod wait;
mod websocket;

pub use echo::{EchoBackend, Echoed};
pub use process::{DEFAULT_TOKEN, Log, ProxyAddrs, ProxyBuilder, ProxyProcess};
pub use reset::ResettingBackend;
pub use serve::Backend;
pub use stream::{ByteSink, ByteSource, CHUNK, byte_stream};
pub use tempdir::TempDir;
pub use tls::TestCert;
pub use wait::{patience, wait_until, wait_until_async};
pub use websocket::WsEchoBackend;

/// An HTTP client for tests: never through a proxy from the environment, and every request
/// bounded in time (30 s, times [`patience`]).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .no_proxy()
        .timeout(patience(std::time::Duration::from_secs(30)))
        .build()?)
}

/// A `127.0.0.1` port that nothing listens on (bound, read back, and closed again).
pub fn closed_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
