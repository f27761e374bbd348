//! WebSocket echo server, echo load generator and connection churn.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, sleep, timeout, timeout_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::hist::Histogram;

type Ws = WebSocketStream<TcpStream>;

/// Upper bound on control frames skipped while waiting for one echo.
const MAX_CONTROL_FRAMES: usize = 64;
/// Upper bound on frames read while waiting for the close handshake.
const MAX_CLOSE_FRAMES: usize = 64;

#[derive(clap::Args)]
pub(crate) struct EchoServerArgs {
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    ip: String,
    /// Port to bind; 0 picks a free one. The bound port is printed on stdout.
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Exit after this many seconds (the benchmark script normally kills it sooner).
    #[arg(long, default_value_t = 6 * 3600)]
    max_seconds: u64,
}

pub(crate) async fn echo_server(args: EchoServerArgs) -> Result<()> {
    let listener = TcpListener::bind((args.ip.as_str(), args.port))
        .await
        .with_context(|| format!("binding {}:{}", args.ip, args.port))?;
    println!("{}", listener.local_addr()?.port());
    let end = Instant::now() + Duration::from_secs(args.max_seconds);
    loop {
        let accepted = match timeout_at(end, listener.accept()).await {
            Err(_) => return Ok(()),
            Ok(a) => a,
        };
        match accepted {
            Ok((stream, _)) => {
                tokio::spawn(async move {
                    if let Err(e) = echo_conn(stream).await {
                        // Resets at the end of a load run are expected; keep quiet unless asked.
                        if std::env::var_os("GANYMEDE_BENCH_DEBUG").is_some() {
                            eprintln!("ws-echo-server: connection error: {e:#}");
                        }
                    }
                });
            }
            Err(e) => {
                // Typically EMFILE; back off briefly instead of spinning.
                eprintln!("ws-echo-server: accept failed: {e}");
                sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

async fn echo_conn(stream: TcpStream) -> Result<()> {
    stream.set_nodelay(true)?;
    let mut ws = tokio_tungstenite::accept_async(stream).await?;
    while let Some(msg) = ws.next().await {
        // Pings are answered and closes acknowledged by tungstenite itself;
        // after a close the stream ends on the next poll.
        if let m @ (Message::Text(_) | Message::Binary(_)) = msg? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

async fn connect(url: &str, connect_timeout: Duration) -> Result<Ws> {
    let uri: hyper::Uri = url.parse().with_context(|| format!("bad url {url}"))?;
    let host = uri.host().context("url has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    timeout(connect_timeout, async {
        let stream = TcpStream::connect((host.as_str(), port)).await?;
        stream.set_nodelay(true)?;
        let (ws, _resp) = tokio_tungstenite::client_async(url, stream).await?;
        Ok::<_, anyhow::Error>(ws)
    })
    .await
    .map_err(|_| anyhow!("connect timed out after {connect_timeout:?}"))?
}

/// Send one text message and wait for its echo.
async fn round_trip(ws: &mut Ws, payload: &Utf8Bytes) -> Result<()> {
    ws.send(Message::Text(payload.clone())).await?;
    for _ in 0..MAX_CONTROL_FRAMES {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => {
                if t.as_str() != payload.as_str() {
                    bail!("echo mismatch: got {} bytes", t.len());
                }
                return Ok(());
            }
            Some(Ok(Message::Binary(_))) => bail!("unexpected binary message"),
            Some(Ok(Message::Close(_))) | None => bail!("connection closed by peer"),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
        }
    }
    bail!("too many control frames while waiting for an echo")
}

/// Close handshake, bounded in time and frames.
async fn close(mut ws: Ws) {
    let _ = timeout(Duration::from_secs(2), async {
        if ws.close(None).await.is_err() {
            return;
        }
        for _ in 0..MAX_CLOSE_FRAMES {
            match ws.next().await {
                None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
}

fn payload_of(message: &str, size: Option<usize>) -> Utf8Bytes {
    match size {
        Some(n) => Utf8Bytes::from("x".repeat(n)),
        None => Utf8Bytes::from(message.to_owned()),
    }
}

#[derive(clap::Args)]
pub(crate) struct LoadArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8000/ws/echo
    #[arg(long)]
    url: String,
    /// Concurrent connections, each doing one echo at a time.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Measurement duration in seconds (after all connections are open).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Text message to echo.
    #[arg(long, default_value = "hello from ganymede-bench")]
    message: String,
    /// Use a message of this many bytes instead of --message.
    #[arg(long)]
    size: Option<usize>,
    /// Per-connection connect + handshake timeout in seconds.
    #[arg(long, default_value_t = 10.0)]
    connect_timeout: f64,
}

pub(crate) async fn load(args: LoadArgs) -> Result<()> {
    let payload = payload_of(&args.message, args.size);
    let ct = Duration::from_secs_f64(args.connect_timeout);
    let n = args.connections.max(1);
    let connects = futures_util::future::join_all((0..n).map(|_| connect(&args.url, ct))).await;
    let mut conns = Vec::with_capacity(n);
    let mut first_error = None;
    for c in connects {
        match c {
            Ok(ws) => conns.push(ws),
            Err(e) => {
                first_error.get_or_insert_with(|| format!("connect: {e:#}"));
            }
        }
    }
    let connect_errors = n - conns.len();
    if conns.is_empty() {
        bail!(
            "no WebSocket connection to {} succeeded: {}",
            args.url,
            first_error.unwrap_or_default()
        );
    }
    let connected = conns.len();
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.seconds);
    // A stuck echo fails the connection instead of hanging the run.
    let hard = deadline + Duration::from_secs(5);
    let mut tasks = Vec::with_capacity(connected);
    for mut ws in conns {
        let payload = payload.clone();
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::new();
            let mut err = None;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match timeout_at(hard, round_trip(&mut ws, &payload)).await {
                    Ok(Ok(())) => hist.record(t0.elapsed()),
                    Ok(Err(e)) => {
                        err = Some(format!("{e:#}"));
                        break;
                    }
                    Err(_) => {
                        err = Some("echo timed out".to_owned());
                        break;
                    }
                }
            }
            let end = Instant::now();
            close(ws).await;
            (hist, err, end)
        }));
    }
    let mut hist = Histogram::new();
    let mut errors = connect_errors;
    let mut last_end = start;
    for t in tasks {
        let (h, err, end) = t.await?;
        hist.merge(&h);
        last_end = last_end.max(end);
        if let Some(e) = err {
            errors += 1;
            first_error.get_or_insert(e);
        }
    }
    let elapsed = (last_end - start).as_secs_f64().max(1e-9);
    println!(
        "ws-load connections={n} connected={connected} seconds={elapsed:.2} messages={} msgs_per_sec={:.1} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} errors={errors}",
        hist.count(),
        hist.count() as f64 / elapsed,
        hist.quantile_ms(0.50),
        hist.quantile_ms(0.99),
        hist.max_ms(),
    );
    if let Some(e) = first_error {
        eprintln!("ws-load: first error: {e}");
    }
    Ok(())
}

#[derive(clap::Args)]
pub(crate) struct ChurnArgs {
    /// WebSocket URL, e.g. ws://127.0.0.1:8000/ws/echo
    #[arg(long)]
    url: String,
    /// Concurrent workers; each opens, echoes, closes, repeat.
    #[arg(long, default_value_t = 8)]
    connections: usize,
    /// Duration in seconds.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Echo round trips per connection before closing it.
    #[arg(long, default_value_t = 3)]
    echoes: usize,
    /// Cap on total connection cycles per second (0 = as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Print a progress line every this many seconds (0 = only the final line).
    #[arg(long, default_value_t = 0.0)]
    report_every: f64,
}

pub(crate) async fn churn(args: ChurnArgs) -> Result<()> {
    let payload = Utf8Bytes::from("churn".to_owned());
    let workers = args.connections.max(1);
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(args.seconds);
    let cycles = Arc::new(AtomicU64::new(0));
    let messages = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let per_worker_period =
        (args.rate > 0.0).then(|| Duration::from_secs_f64(workers as f64 / args.rate));
    let mut tasks = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (url, payload) = (args.url.clone(), payload.clone());
        let (cycles, messages, errors, first_error) = (
            cycles.clone(),
            messages.clone(),
            errors.clone(),
            first_error.clone(),
        );
        let echoes = args.echoes;
        tasks.push(tokio::spawn(async move {
            let mut ticker = per_worker_period.map(tokio::time::interval);
            while Instant::now() < deadline {
                if let Some(t) = ticker.as_mut() {
                    t.tick().await;
                    if Instant::now() >= deadline {
                        break;
                    }
                }
                let one = async {
                    let mut ws = connect(&url, Duration::from_secs(10)).await?;
                    for _ in 0..echoes {
                        round_trip(&mut ws, &payload).await?;
                        messages.fetch_add(1, Ordering::Relaxed);
                    }
                    close(ws).await;
                    Ok::<_, anyhow::Error>(())
                };
                match timeout(Duration::from_secs(20), one).await {
                    Ok(Ok(())) => {
                        cycles.fetch_add(1, Ordering::Relaxed);
                    }
                    res => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        let msg = match res {
                            Ok(Err(e)) => format!("{e:#}"),
                            _ => "cycle timed out".to_owned(),
                        };
                        if let Ok(mut g) = first_error.lock() {
                            g.get_or_insert(msg);
                        }
                        sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    let mut reporter = (args.report_every > 0.0).then(|| {
        let period = Duration::from_secs_f64(args.report_every);
        tokio::time::interval_at(start + period, period)
    });
    let all = futures_util::future::join_all(tasks);
    tokio::pin!(all);
    loop {
        tokio::select! {
            res = &mut all => {
                for r in res {
                    r?;
                }
                break;
            }
            _ = async {
                match reporter.as_mut() {
                    Some(r) => { r.tick().await; }
                    None => std::future::pending::<()>().await,
                }
            } => {
                println!(
                    "ws-churn t={:.0}s cycles={} errors={}",
                    start.elapsed().as_secs_f64(),
                    cycles.load(Ordering::Relaxed),
                    errors.load(Ordering::Relaxed)
                );
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64().max(1e-9);
    let c = cycles.load(Ordering::Relaxed);
    println!(
        "ws-churn workers={workers} seconds={elapsed:.1} cycles={c} cycles_per_sec={:.1} messages={} errors={}",
        c as f64 / elapsed,
        messages.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed)
    );
    if let Some(e) = first_error.lock().ok().and_then(|g| g.clone()) {
        eprintln!("ws-churn: first error: {e}");
    }
    Ok(())
}
