//! Large bodies stream through the proxy in both directions without being buffered.

use futures_util::StreamExt;
use ganymede_testkit::{ByteSink, ByteSource, byte_stream, http_client};

use crate::proxy;

/// 200 MiB each way.
const SIZE: u64 = 200 * 1024 * 1024;

/// The proxy's peak resident set size must stay under this, whatever the body sizes.
const MAX_PEAK_RSS_KB: u64 = 50 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_200_mb_upload_and_download_keep_peak_rss_under_50_mb() -> anyhow::Result<()> {
    let sink = ByteSink::start().await?;
    let source = ByteSource::start(SIZE).await?;
    let proxy = proxy().start().await?;
    proxy.add_target("/upload", &sink.url()).await?;
    proxy.add_target("/download", &source.url()).await?;
    let client = http_client()?;

    // Upload: a chunked body produced on the fly, never held in memory.
    let response = client
        .post(proxy.url("/upload/big"))
        .body(reqwest::Body::wrap_stream(byte_stream(SIZE)))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    let answer: serde_json::Value = response.json().await?;
    assert_eq!(answer["received"], SIZE);
    assert_eq!(sink.received(), SIZE);

    // Download: counted chunk by chunk.
    let response = client.get(proxy.url("/download/big")).send().await?;
    assert_eq!(response.status(), 200);
    assert_eq!(response.content_length(), Some(SIZE));
    let mut chunks = response.bytes_stream();
    let mut received = 0u64;
    while let Some(chunk) = chunks.next().await {
        received += chunk?.len() as u64;
    }
    assert_eq!(received, SIZE);

    let peak = proxy.peak_rss_kb()?;
    println!("proxy peak RSS (VmHWM) after 2 × 200 MiB: {peak} KiB");
    assert!(
        peak < MAX_PEAK_RSS_KB,
        "peak RSS {peak} KiB is over {MAX_PEAK_RSS_KB} KiB"
    );
    Ok(())
}
