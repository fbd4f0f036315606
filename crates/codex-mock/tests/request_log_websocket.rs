//! The request log file (`--log`, `builder().request_log`) holds the WebSocket upgrade and
//! every frame the client sent, as docs/mock.md says, not only plain HTTP requests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

mod common;

use common::log_lines;
use common::server_with_log_file;
use futures_util::SinkExt;
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[tokio::test]
async fn the_log_file_holds_the_upgrade_and_each_frame() {
    let (s, token, log) = server_with_log_file("wslog").await;
    let url = s.backend_base_url().replace("http://", "ws://") + "/responses";
    let mut req = url.as_str().into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    let addr = url.trim_start_matches("ws://").split('/').next().unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut ws, _) = tokio_tungstenite::client_async(req, tcp).await.unwrap();
    let mut frame = codex_mock::request_body(vec![codex_mock::user_text("hi")], None);
    frame["type"] = "response.create".into();
    ws.send(Message::text(frame.to_string())).await.unwrap();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if msg.to_text().unwrap().contains("\"response.completed\"") {
            break;
        }
    }
    ws.close(None).await.unwrap();
    drop(ws);

    let lines = log_lines(&log);
    let kinds: Vec<(String, String)> = lines
        .iter()
        .map(|l| {
            (
                l["method"].as_str().unwrap().to_owned(),
                l["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let path = "/backend-api/codex/responses".to_owned();
    assert_eq!(
        kinds,
        vec![
            ("GET".to_owned(), path.clone()),
            (codex_mock::WS_FRAME_METHOD.to_owned(), path)
        ]
    );
    assert_eq!(lines[1]["body"]["type"], "response.create");
    assert_eq!(lines[1]["body"]["input"][0]["content"][0]["text"], "hi");
    assert_eq!(lines[1]["headers"]["authorization"], "[redacted]");
    assert_eq!(
        lines.iter().map(|l| l["seq"].as_u64()).collect::<Vec<_>>(),
        vec![Some(1), Some(2)]
    );
    // The in-memory log holds the same two entries.
    assert_eq!(s.requests().len(), 2);
    std::fs::remove_dir_all(log.parent().unwrap()).unwrap();
}
