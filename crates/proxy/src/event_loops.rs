//! More than one event loop on the public listener (`ganymede proxy --threads N`).
//!
//! Each loop is a thread with a single-threaded runtime, its own listening socket on the same
//! port and its own pool of target connections. `SO_REUSEPORT` lets the kernel spread new client
//! connections over the sockets, so a request's client and target connections are always served
//! by the same thread: no cross-thread wake-ups, which on one loop measured about a tenth less CPU
//! per request than tokio's work-stealing scheduler, while the loops together use every core.
//! One socket shared by every loop (whichever wakes first accepts) measured less throughput.
//!
//! Linux lets only processes of the same user join a port's `SO_REUSEPORT` group.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::conn::Builders;
use crate::metrics::Metrics;
use crate::server::{Listener, SHUTDOWN_GRACE, serve_public};
use crate::state::DataPlane;

/// The connections a listening socket may hold before they are accepted (as tokio's default).
const BACKLOG: i32 = 1024;

/// `count` listening sockets on `addr`, all with `SO_REUSEPORT`. With port 0 they share the port
/// the first one got.
pub(crate) fn reuseport_listeners(
    addr: SocketAddr,
    count: usize,
) -> io::Result<Vec<std::net::TcpListener>> {
    let mut addr = addr;
    let mut listeners = Vec::with_capacity(count);
    for _ in 0..count {
        let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
        socket.set_reuse_address(true)?;
        socket.set_reuse_port(true)?;
        socket.set_nonblocking(true)?;
        socket.bind(&addr.into())?;
        socket.listen(BACKLOG)?;
        let listener = std::net::TcpListener::from(socket);
        addr = listener.local_addr()?;
        listeners.push(listener);
    }
    Ok(listeners)
}

/// Starts event loop number `index` on its own thread, serving `listener` until `cancel`, then
/// letting its open requests finish for [`SHUTDOWN_GRACE`]. The receiver completes when the loop
/// has ended. `None` if the thread could not be started: the other loops serve its share.
pub(crate) fn start(
    index: usize,
    listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    plane: Arc<DataPlane>,
    metrics: Arc<Metrics>,
    builders: Arc<Builders>,
    cancel: CancellationToken,
) -> Option<oneshot::Receiver<()>> {
    let (ended, finished) = oneshot::channel();
    let body = move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => {
                tracing::error!(%error, "event loop {index}: cannot start a runtime");
                return;
            }
        };
        runtime.block_on(async move {
            let listener = match TcpListener::from_std(listener) {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::error!(%error, "event loop {index}: cannot use its listener");
                    return;
                }
            };
            let tracker = TaskTracker::new();
            serve_public(
                Listener::Tcp(listener),
                tls,
                plane,
                metrics,
                builders,
                cancel,
                tracker.clone(),
            )
            .await;
            tracker.close();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait()).await;
        });
        let _ = ended.send(());
    };
    match std::thread::Builder::new()
        .name(format!("proxy-loop-{index}"))
        .spawn(body)
    {
        Ok(_) => Some(finished),
        Err(error) => {
            tracing::error!(%error, "cannot start event loop {index}");
            None
        }
    }
}
