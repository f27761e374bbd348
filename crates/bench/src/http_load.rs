//! Route loading through the REST API and idle keep-alive connections.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Request, Uri};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, sleep, timeout};

#[derive(clap::Args)]
pub(crate) struct AddRoutesArgs {
    /// Base URL of the proxy's REST API, e.g. http://127.0.0.1:8001
    #[arg(long)]
    api: String,
    /// API token (sent as `Authorization: token <T>`).
    #[arg(long, env = "CONFIGPROXY_AUTH_TOKEN", hide_env_values = true)]
    token: String,
    /// Number of routes to add.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Concurrent in-flight requests.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Route target for every route.
    #[arg(long, default_value = "http://127.0.0.1:9")]
    target: String,
    /// Route path prefix; route i is `<prefix><start + i>`.
    #[arg(long, default_value = "/user/u")]
    prefix: String,
    /// First route index.
    #[arg(long, default_value_t = 0)]
    start: usize,
}

pub(crate) async fn add_routes(args: AddRoutesArgs) -> Result<()> {
    let concurrency = args.concurrency.max(1);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(concurrency)
        .build_http();
    let api = args.api.trim_end_matches('/').to_owned();
    let auth = format!("token {}", args.token);
    let body = Bytes::from(serde_json::json!({ "target": args.target }).to_string());
    let end = args.start + args.count;
    let next = Arc::new(AtomicUsize::new(args.start));
    let errors = Arc::new(AtomicUsize::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, api, auth, body, prefix) = (
            client.clone(),
            api.clone(),
            auth.clone(),
            body.clone(),
            args.prefix.clone(),
        );
        let (next, errors, first_error) = (next.clone(), errors.clone(), first_error.clone());
        tasks.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= end {
                    break;
                }
                let url = format!("{api}/api/routes{prefix}{i}");
                let one = async {
                    let req = Request::post(url.as_str())
                        .header(AUTHORIZATION, auth.as_str())
                        .header(CONTENT_TYPE, "application/json")
                        .body(Full::new(body.clone()))?;
                    let resp = client.request(req).await?;
                    let status = resp.status();
                    let text = resp.into_body().collect().await?.to_bytes();
                    if !status.is_success() {
                        bail!(
                            "POST {url}: {status}: {}",
                            String::from_utf8_lossy(&text[..text.len().min(200)])
                        );
                    }
                    Ok(())
                };
                let res = match timeout(Duration::from_secs(30), one).await {
                    Ok(r) => r,
                    Err(_) => Err(anyhow!("POST {url}: timed out")),
                };
                if let Err(e) = res {
                    errors.fetch_add(1, Ordering::Relaxed);
                    if let Ok(mut g) = first_error.lock() {
                        g.get_or_insert(format!("{e:#}"));
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let errors = errors.load(Ordering::Relaxed);
    println!(
        "add-routes count={} concurrency={concurrency} elapsed_s={elapsed:.3} routes_per_sec={:.1} errors={errors}",
        args.count,
        args.count as f64 / elapsed.max(1e-9)
    );
    if errors > 0 {
        let e = first_error.lock().ok().and_then(|g| g.clone());
        bail!(
            "{errors} of {} route additions failed; first: {}",
            args.count,
            e.unwrap_or_default()
        );
    }
    Ok(())
}

#[derive(clap::Args)]
pub(crate) struct IdleConnsArgs {
    /// URL to request once on every connection, e.g. http://127.0.0.1:8000/user/u1/
    #[arg(long)]
    url: String,
    /// Number of connections.
    #[arg(long, default_value_t = 10_000)]
    count: usize,
    /// Connections being opened at the same time.
    #[arg(long, default_value_t = 128)]
    concurrency: usize,
    /// Keep the connections open this long, then exit (or until killed).
    #[arg(long, default_value_t = 3600.0)]
    hold_seconds: f64,
    /// If > 0, send another request on every connection this often, so servers
    /// with a short keep-alive timeout do not close them.
    #[arg(long, default_value_t = 0.0)]
    refresh_seconds: f64,
    /// While holding, print the number of live connections this often (0 = never).
    #[arg(long, default_value_t = 10.0)]
    report_every: f64,
    /// Give up opening connections after this many seconds.
    #[arg(long, default_value_t = 120.0)]
    open_timeout: f64,
}

/// Counters shared by all connection tasks.
#[derive(Default)]
struct ConnStats {
    established: AtomicUsize,
    failed: AtomicUsize,
    non_2xx: AtomicUsize,
    live: AtomicUsize,
    first_error: std::sync::Mutex<Option<String>>,
}

impl ConnStats {
    fn fail(&self, e: &anyhow::Error) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut g) = self.first_error.lock() {
            g.get_or_insert(format!("{e:#}"));
        }
    }
}

struct Target {
    host: String,
    port: u16,
    authority: String,
    path: String,
}

fn build_get(t: &Target) -> Result<Request<Empty<Bytes>>> {
    Ok(Request::get(t.path.as_str())
        .header(HOST, t.authority.as_str())
        .body(Empty::new())?)
}

async fn request_once(
    sender: &mut hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
    t: &Target,
    stats: &ConnStats,
) -> Result<()> {
    sender.ready().await?;
    let resp = timeout(Duration::from_secs(30), sender.send_request(build_get(t)?))
        .await
        .map_err(|_| anyhow!("request timed out"))??;
    if !resp.status().is_success() {
        stats.non_2xx.fetch_add(1, Ordering::Relaxed);
    }
    resp.into_body().collect().await?;
    Ok(())
}

pub(crate) async fn idle_conns(args: IdleConnsArgs) -> Result<()> {
    let (soft, hard) = crate::sys::raise_nofile()?;
    if (soft as usize) < args.count + 64 {
        eprintln!(
            "idle-conns: RLIMIT_NOFILE is {soft} (hard {hard}); {} connections may not fit",
            args.count
        );
    }
    let uri: Uri = args
        .url
        .parse()
        .with_context(|| format!("bad url {}", args.url))?;
    let host = uri.host().context("url has no host")?.to_owned();
    let port = uri.port_u16().unwrap_or(80);
    let target = Arc::new(Target {
        authority: uri
            .authority()
            .map_or_else(|| host.clone(), |a| a.as_str().to_owned()),
        path: uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        host,
        port,
    });
    let stats = Arc::new(ConnStats::default());
    let sem = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let (stop_tx, stop_rx) = watch::channel(false);
    let refresh =
        (args.refresh_seconds > 0.0).then(|| Duration::from_secs_f64(args.refresh_seconds));
    let started = Instant::now();
    let open_deadline = started + Duration::from_secs_f64(args.open_timeout);

    for i in 0..args.count {
        let (target, stats, sem, mut stop_rx) =
            (target.clone(), stats.clone(), sem.clone(), stop_rx.clone());
        tokio::spawn(async move {
            let Ok(permit) = sem.acquire_owned().await else {
                return;
            };
            let open = async {
                let stream = TcpStream::connect((target.host.as_str(), target.port)).await?;
                stream.set_nodelay(true)?;
                let (mut sender, conn) =
                    hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
                        .await?;
                stats.live.fetch_add(1, Ordering::Relaxed);
                let driver_stats = stats.clone();
                tokio::spawn(async move {
                    let _ = conn.await;
                    driver_stats.live.fetch_sub(1, Ordering::Relaxed);
                });
                request_once(&mut sender, &target, &stats).await?;
                Ok::<_, anyhow::Error>(sender)
            };
            let mut sender = match tokio::time::timeout_at(open_deadline, open).await {
                Ok(Ok(s)) => s,
                Ok(Err(e)) => return stats.fail(&e),
                Err(_) => return stats.fail(&anyhow!("open timed out")),
            };
            stats.established.fetch_add(1, Ordering::Relaxed);
            drop(permit);
            // Hold the connection (dropping `sender` would let hyper close it).
            match refresh {
                None => {
                    let _ = stop_rx.changed().await;
                }
                Some(period) => {
                    // Spread refreshes over the period.
                    let offset = period.mul_f64((i % 1000) as f64 / 1000.0);
                    let mut ticker = tokio::time::interval_at(Instant::now() + offset, period);
                    loop {
                        tokio::select! {
                            _ = stop_rx.changed() => break,
                            _ = ticker.tick() => {
                                if request_once(&mut sender, &target, &stats).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }
            }
            drop(sender);
        });
    }

    // Wait (bounded) until every connection either succeeded or failed.
    while stats.established.load(Ordering::Relaxed) + stats.failed.load(Ordering::Relaxed)
        < args.count
        && Instant::now() < open_deadline + Duration::from_secs(1)
    {
        sleep(Duration::from_millis(20)).await;
    }
    let established = stats.established.load(Ordering::Relaxed);
    println!(
        "idle-conns count={} established={established} failed={} non_2xx={} live={} elapsed_s={:.2} nofile={soft}",
        args.count,
        stats.failed.load(Ordering::Relaxed),
        stats.non_2xx.load(Ordering::Relaxed),
        stats.live.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Some(e) = stats.first_error.lock().ok().and_then(|g| g.clone()) {
        eprintln!("idle-conns: first error: {e}");
    }
    println!("READY");

    let hold_end = Instant::now() + Duration::from_secs_f64(args.hold_seconds);
    let report = Duration::from_secs_f64(if args.report_every > 0.0 {
        args.report_every
    } else {
        args.hold_seconds.max(1.0)
    });
    while Instant::now() < hold_end {
        let next = (Instant::now() + report).min(hold_end);
        tokio::time::sleep_until(next).await;
        if args.report_every > 0.0 {
            println!(
                "idle-conns t={:.0}s live={} failed={}",
                started.elapsed().as_secs_f64(),
                stats.live.load(Ordering::Relaxed),
                stats.failed.load(Ordering::Relaxed)
            );
        }
    }
    let _ = stop_tx.send(true);
    if established == 0 {
        bail!("no connection to {} could be established", args.url);
    }
    Ok(())
}
