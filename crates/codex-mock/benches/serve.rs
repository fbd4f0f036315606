//! How fast the mock serves a long stream over loopback (so client benchmarks know the mock
//! is not their bottleneck). `cargo bench -p codex-mock`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;

use codex_mock::MockServer;
use codex_mock::Reply;
use criterion::Criterion;
use criterion::Throughput;
use criterion::criterion_group;
use criterion::criterion_main;
use tokio::io::AsyncReadExt;
use tokio::io::AsyncWriteExt;

const DELTAS: u64 = 20_000;

async fn fetch(port: u16, token: &str) -> usize {
    let body = serde_json::to_vec(&codex_mock::request_body(
        vec![codex_mock::user_text("hi")],
        None,
    ))
    .unwrap();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST /backend-api/codex/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0;
    loop {
        let n = s.read(&mut buf).await.unwrap();
        if n == 0 {
            return total;
        }
        total += n;
    }
}

fn serve(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, token) = rt.block_on(async {
        let s = MockServer::start().await.unwrap();
        let t = s.issuer().issue_tokens().access_token;
        (s, t)
    });
    server.set_default(codex_mock::Route::Responses, Reply::many_deltas(DELTAS));
    let port: u16 = server.url().rsplit(':').next().unwrap().parse().unwrap();
    let bytes = rt.block_on(fetch(port, &token));
    let mut g = c.benchmark_group("mock_serve");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(20);
    g.bench_function("many_deltas_20k", |b| {
        b.iter(|| black_box(rt.block_on(fetch(port, &token))))
    });
    g.finish();
}

criterion_group!(benches, serve);
criterion_main!(benches);
