//! WebSockets through the proxy: messages of both kinds come back intact, and the traffic counts
//! as route activity.

use futures_util::{SinkExt, StreamExt};
use ganymede_testkit::{WsEchoBackend, wait_until};
use tokio_tungstenite::tungstenite::Message;

use crate::{SOON, proxy};

/// Milliseconds since the Unix epoch, the unit of `last_activity`.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

#[tokio::test]
async fn websocket_echo_round_trips_1000_text_and_binary_messages_and_moves_last_activity()
-> anyhow::Result<()> {
    let backend = WsEchoBackend::start().await?;
    let proxy = proxy().start().await?;
    proxy.add_target("/user/alice", &backend.url()).await?;
    let before = proxy.last_activity_ms("/user/alice").await?;
    // Adding the route set last_activity to "now"; let the clock pass it so that any activity
    // recorded from here on is measurably later.
    assert!(wait_until(SOON, || now_ms() > before).await);

    let url = proxy.ws_url("/user/alice/api/kernels/k1/channels?session_id=s1");
    let (mut socket, handshake) = tokio_tungstenite::connect_async(url).await?;
    assert_eq!(handshake.status(), 101);
    for i in 0..1000usize {
        let message = if i % 2 == 0 {
            Message::text(format!("text message {i} {}", "é".repeat(i % 37)))
        } else {
            // Sizes from 1 byte to a few KiB, so some messages span several reads.
            let byte = u8::try_from(i % 251).unwrap_or(0);
            Message::binary(vec![byte; 1 + (i * 7) % 5000])
        };
        socket.send(message.clone()).await?;
        let echoed = tokio::time::timeout(SOON, socket.next())
            .await?
            .ok_or_else(|| anyhow::anyhow!("the WebSocket closed after {i} messages"))??;
        assert_eq!(echoed, message, "message {i}");
    }
    socket.close(None).await?;

    assert_eq!(
        backend.paths(),
        ["/user/alice/api/kernels/k1/channels?session_id=s1"]
    );
    let after = proxy.last_activity_ms("/user/alice").await?;
    assert!(
        after > before,
        "last_activity did not move: {before} then {after}"
    );
    Ok(())
}
