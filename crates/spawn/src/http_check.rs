//! Is a started server answering? JupyterHub's readiness rule: `GET <base_url>api`, no
//! redirects followed, any status below 500 means up.

use std::time::Duration;

/// A reusable HTTP client for readiness probes.
#[derive(Debug, Clone)]
pub struct HttpCheck {
    client: reqwest::Client,
}

/// What one probe saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The server answered; its `X-JupyterHub-Version`, if any.
    Up(Option<String>),
    /// Not yet: why.
    Down(String),
}

impl HttpCheck {
    /// A client with a short per-request timeout and no redirects.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .no_proxy()
            .build()?;
        Ok(Self { client })
    }

    /// Probes `url` once.
    pub async fn probe(&self, url: &str) -> Probe {
        match self.client.get(url).send().await {
            Ok(response) if response.status().as_u16() < 500 => Probe::Up(
                response
                    .headers()
                    .get("x-jupyterhub-version")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            ),
            Ok(response) => Probe::Down(format!("it answered {}", response.status())),
            Err(error) if error.is_connect() => Probe::Down("connection refused".to_owned()),
            Err(error) if error.is_timeout() => Probe::Down("no answer within 5 s".to_owned()),
            Err(error) => Probe::Down(error.to_string()),
        }
    }
}

/// Probes `url` until it is up or `timeout` passes, backing off from 10 ms to 1 s between
/// tries; `alive` is asked between tries so a server that died is not waited for.
pub async fn wait_for_http<F, Fut>(
    check: &HttpCheck,
    url: &str,
    timeout: Duration,
    mut alive: F,
) -> Result<Option<String>, String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(10);
    loop {
        let why = match check.probe(url).await {
            Probe::Up(version) => return Ok(version),
            Probe::Down(why) => why,
        };
        if !alive().await {
            return Err("the server's process exited".to_owned());
        }
        if tokio::time::Instant::now() + pause > deadline {
            return Err(format!(
                "the server did not answer at {url} within {} s (last try: {why})",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_port_is_down_and_gives_up() {
        let port = crate::free_port("127.0.0.1").unwrap();
        let check = HttpCheck::new().unwrap();
        let url = format!("http://127.0.0.1:{port}/user/a/api");
        assert!(matches!(check.probe(&url).await, Probe::Down(_)));
        let error = wait_for_http(&check, &url, Duration::from_millis(50), || async { true })
            .await
            .unwrap_err();
        assert!(error.contains("did not answer"), "{error}");
        let error = wait_for_http(&check, &url, Duration::from_secs(5), || async { false })
            .await
            .unwrap_err();
        assert!(error.contains("exited"), "{error}");
    }

    #[tokio::test]
    async fn a_404_is_up() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = socket.read(&mut buf).await;
            let _ = socket
                .write_all(b"HTTP/1.1 404 Not Found\r\nX-JupyterHub-Version: 6.1.1\r\ncontent-length: 0\r\n\r\n")
                .await;
        });
        let check = HttpCheck::new().unwrap();
        let up = check.probe(&format!("http://{addr}/api")).await;
        assert_eq!(up, Probe::Up(Some("6.1.1".to_owned())));
    }
}
