//! The `codex-mock` binary serves the scenarios given on its command line.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io::BufRead;
use std::process::Command;
use std::process::Stdio;

struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_serves_scenarios_in_order_then_default() {
    let home = std::env::temp_dir().join(format!("codex-mock-cli-{}", std::process::id()));
    let (_child, url) = start(&[
        "--scenario".as_ref(),
        "failed:slow_down".as_ref(),
        "status:503".as_ref(),
        "--scenario".as_ref(),
        "text:third".as_ref(),
        "--codex-home".as_ref(),
        home.as_os_str(),
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    // auth.json is written right after the URL is printed.
    let token = common::wait_for_access_token(&home).await;

    let r = common::post_responses(&url, &token).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.events().last().unwrap()["response"]["error"]["code"],
        "slow_down"
    );
    assert_eq!(common::post_responses(&url, &token).await.status, 503);
    assert!(
        common::post_responses(&url, &token)
            .await
            .text()
            .contains("third")
    );
    let r = common::post_responses(&url, &token).await;
    assert_eq!(r.event_types().last().unwrap(), "response.completed");
    assert_eq!(common::post_responses(&url, "wrong").await.status, 401);
    let _ = std::fs::remove_dir_all(&home);
}

#[test]
fn bad_arguments_exit_2() {
    let out = Command::new(env!("CARGO_BIN_EXE_codex-mock"))
        .args(["--scenario", "bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown scenario"));
}

// ---- the scenario grammar, exercised over real HTTP against the built binary ----

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/synthetic/failed_slow_down.synthetic.sse"
);

/// Start the binary with `args` and return it with the first line it printed (its URL).
fn start<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Child, String) {
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_codex-mock"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    std::io::BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().to_owned())
}

/// Start the binary with `args` (auth off) and return it with the URL it printed.
fn spawn(args: &[&str]) -> (Child, String) {
    let (child, url) = start(&[&["--no-auth"], args].concat());
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    (child, url)
}

async fn post(url: &str) -> common::RawResponse {
    common::post_responses(url, "any").await
}

/// POST /responses and return the raw HTTP/1.1 bytes (read to EOF) and the elapsed time.
async fn post_raw(url: &str) -> (Vec<u8>, std::time::Duration) {
    use tokio::io::AsyncReadExt;
    use tokio::io::AsyncWriteExt;
    let body = common::responses_body();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", common::port(url)))
        .await
        .unwrap();
    let head = format!(
        "POST /backend-api/codex/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer any\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let start = std::time::Instant::now();
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(std::time::Duration::from_secs(20), s.read_to_end(&mut raw))
        .await
        .unwrap()
        .unwrap();
    (raw, start.elapsed())
}

/// The sizes of the HTTP/1.1 chunks of a chunked response (without the final 0) and the
/// de-chunked body.
fn chunks(raw: &[u8]) -> (Vec<usize>, Vec<u8>) {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    let mut b = &raw[end + 4..];
    let (mut sizes, mut body) = (Vec::new(), Vec::new());
    loop {
        let le = b.windows(2).position(|w| w == b"\r\n").unwrap();
        let size = usize::from_str_radix(std::str::from_utf8(&b[..le]).unwrap(), 16).unwrap();
        b = &b[le + 2..];
        if size == 0 {
            return (sizes, body);
        }
        sizes.push(size);
        body.extend_from_slice(&b[..size]);
        b = &b[size + 2..];
    }
}

fn items_done(r: &common::RawResponse) -> Vec<serde_json::Value> {
    r.events()
        .into_iter()
        .filter(|e| e["type"] == "response.output_item.done")
        .map(|e| e["item"].clone())
        .collect()
}

#[tokio::test]
async fn scenario_grammar_over_http() {
    let (_child, url) = spawn(&[
        "--scenario",
        "status:429,retry-after=3",
        "status:429,retry-after-ms=250",
        "usage-limit:pro,resets-at=1800000000",
        "tools:2",
        "tools:3",
        "custom-tool",
        &format!("replay:{FIXTURE},chunk=7,delay-ms=1"),
        "text:hello big world,chunk=64,delay-ms=5",
        "failed:rate_limit_exceeded",
        "stall:0.3",
        "keepalive:2,interval-ms=10",
        "drip:abc,interval-ms=1",
        "huge:100000",
        "no-content-type",
        "status:503",
        "unauthorized-once",
        "truncated",
        "drop",
        "error",
        "incomplete:content_filter",
        "text:a, b,header=x-mock-test:yes",
        "--route",
        "models",
        "--scenario",
        "status:500,retry-after=1",
    ]);

    let r = post(&url).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(r.header("retry-after-ms"), None);

    let r = post(&url).await;
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after-ms"), Some("250"));
    assert_eq!(r.header("retry-after"), None);

    let r = post(&url).await;
    assert_eq!(r.status, 429);
    let v = r.json();
    assert_eq!(v["error"]["type"], "usage_limit_reached");
    assert_eq!(v["error"]["plan_type"], "pro");
    assert_eq!(v["error"]["resets_at"], 1_800_000_000);
    assert_eq!(r.header("x-codex-primary-used-percent"), Some("100.0"));

    for n in [2, 3] {
        let r = post(&url).await;
        let calls: Vec<_> = items_done(&r)
            .into_iter()
            .filter(|i| i["type"] == "function_call")
            .collect();
        assert_eq!(calls.len(), n, "{:?}", r.event_types());
        let mut ids: Vec<_> = calls.iter().map(|c| c["call_id"].clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), n);
        for c in &calls {
            let args: serde_json::Value =
                serde_json::from_str(c["arguments"].as_str().unwrap()).unwrap();
            assert!(args["city"].is_string());
        }
        assert_eq!(r.event_types().last().unwrap(), "response.completed");
    }

    let r = post(&url).await;
    assert_eq!(items_done(&r)[0]["type"], "custom_tool_call");

    // replay with chunk=7: the body is the file byte for byte, sent in 7-byte HTTP chunks.
    let file = std::fs::read(FIXTURE).unwrap();
    let (raw, _) = post_raw(&url).await;
    let (sizes, body) = chunks(&raw);
    assert_eq!(body, file);
    assert!(sizes.iter().all(|&s| s <= 7), "{sizes:?}");
    assert_eq!(sizes.len(), file.len().div_ceil(7));

    // text with chunk=64 and delay-ms=5: pieces of at most 64 bytes, at least 5 ms apart
    // (a lower bound only, so a slow machine cannot make it fail).
    let (raw, elapsed) = post_raw(&url).await;
    let (sizes, body) = chunks(&raw);
    assert!(sizes.iter().all(|&s| s <= 64), "{sizes:?}");
    assert!(sizes.len() >= body.len() / 64);
    assert!(elapsed >= std::time::Duration::from_millis(5 * (sizes.len() as u64 - 1)));
    let text = String::from_utf8(body).unwrap();
    assert!(text.contains("\"text\":\"hello big world\""), "{text}");

    let r = post(&url).await;
    let last = r.events().last().unwrap().clone();
    assert_eq!(last["type"], "response.failed");
    assert_eq!(last["response"]["error"]["code"], "rate_limit_exceeded");
    assert_eq!(
        last["response"]["error"]["message"],
        codex_mock::RATE_LIMIT_MESSAGE
    );

    // stall:0.3: created arrives, then nothing for 0.3 s, then the rest. The stall starts
    // when the server writes `created`, before the client's first read, so the last read
    // comes at least 0.3 s after the request was sent (not 0.3 s after the first read: that
    // gap can be a few microseconds shorter, as a loaded run showed).
    let r = post(&url).await;
    assert_eq!(r.event_types().last().unwrap(), "response.completed");
    let last = r.reads.last().unwrap().0;
    assert!(
        last >= std::time::Duration::from_millis(300),
        "{:?}",
        r.reads
    );

    let r = post(&url).await;
    assert_eq!(r.text().matches(": keep-alive\n\n").count(), 2);
    assert_eq!(r.event_types().last().unwrap(), "response.completed");

    let r = post(&url).await;
    let deltas: Vec<_> = r
        .events()
        .into_iter()
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(deltas, ["a", "b", "c"]);

    let r = post(&url).await;
    let delta = r
        .events()
        .into_iter()
        .find(|e| e["type"] == "response.output_text.delta")
        .unwrap();
    assert_eq!(delta["delta"].as_str().unwrap().len(), 100_000);

    let r = post(&url).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), None);
    assert_eq!(r.event_types().last().unwrap(), "response.completed");

    assert_eq!(post(&url).await.status, 503);

    // 401 once, then OK.
    assert_eq!(post(&url).await.status, 401);

    let r = post(&url).await;
    assert!(r.complete);
    assert!(!r.event_types().contains(&"response.completed".to_owned()));

    let r = post(&url).await;
    assert!(!r.complete, "drop must not end the body cleanly");

    assert_eq!(post(&url).await.event_types().last().unwrap(), "error");

    let r = post(&url).await;
    let last = r.events().last().unwrap().clone();
    assert_eq!(last["type"], "response.incomplete");
    assert_eq!(
        last["response"]["incomplete_details"]["reason"],
        "content_filter"
    );

    // An ARG may contain commas; options come after it.
    let r = post(&url).await;
    assert_eq!(r.header("x-mock-test"), Some("yes"));
    assert!(r.text().contains("\"text\":\"a, b\""), "{}", r.text());

    // Queue used up: the default text reply.
    let r = post(&url).await;
    assert!(r.text().contains(codex_mock::DEFAULT_TEXT));

    // --route models queued a 500 with Retry-After for /models, then the catalog.
    let path = "/backend-api/codex/models?client_version=1.0.0";
    let auth = [("Authorization", "Bearer any")];
    let r = common::send(&url, "GET", path, &auth, b"").await;
    assert_eq!(r.status, 500);
    assert_eq!(r.header("retry-after"), Some("1"));
    let r = common::send(&url, "GET", path, &auth, b"").await;
    assert_eq!(r.status, 200);
    assert!(r.json()["models"].is_array());
}

#[test]
fn help_lists_every_scenario() {
    let out = Command::new(env!("CARGO_BIN_EXE_codex-mock"))
        .arg("--help")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for name in [
        "text",
        "tools",
        "shell",
        "custom-tool",
        "reasoning",
        "structured",
        "web-search",
        "rate-limits",
        "failed",
        "incomplete",
        "error",
        "truncated",
        "drop",
        "stall",
        "keepalive",
        "drip",
        "huge",
        "many",
        "status",
        "usage-limit",
        "unauthorized-once",
        "no-content-type",
        "replay",
        "default",
    ] {
        assert!(
            help.lines().any(|l| l.trim_start().starts_with(name)),
            "{name} missing from --help:\n{help}"
        );
    }
    for opt in [
        "chunk=",
        "delay-ms=",
        "retry-after=",
        "retry-after-ms=",
        "header=",
    ] {
        assert!(help.contains(opt), "{opt}");
    }
}

/// The binary run with `args` exits 2 with one stderr line containing `needle`, no stdout.
fn assert_usage_error(args: &[&str], needle: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_codex-mock"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(out.stdout.is_empty(), "{args:?}");
}

#[test]
fn bad_values_exit_2_with_one_line() {
    for (args, needle) in [
        (&["--scenario", "nope"][..], "unknown scenario"),
        (&["--scenario", "status:abc"], "abc"),
        (&["--scenario", "status:429,retry-after=soon"], "soon"),
        (&["--scenario", "text,chunk=0"], "chunk"),
        (&["--scenario", "text,bogus=1"], "unknown option"),
        (&["--scenario", "tools:0"], "tool call count"),
        (&["--scenario", "replay:/nonexistent/x.sse"], "cannot read"),
        (&["--scenario", "replay"], "replay needs a file"),
        (&["--route", "nowhere"], "unknown route"),
        (&["--bogus"], "unknown argument"),
        (&["--scenario"], "needs a value"),
    ] {
        assert_usage_error(args, needle);
    }
}

/// One request over HTTPS trusting only the CA in the PEM file `ca_file`.
async fn tls_request(
    url: &str,
    ca_file: &std::path::Path,
    alpn: &[u8],
    req: http::Request<http_body_util::Full<bytes::Bytes>>,
) -> (http::StatusCode, http::Version, bytes::Bytes) {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let ca = CertificateDer::from_pem_file(ca_file).unwrap().to_vec();
    common::tls_request(common::port(url), ca, "127.0.0.1", alpn, req).await
}

fn sse_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(|d| serde_json::from_str::<serde_json::Value>(d).unwrap())
        .filter(|e| e["type"] == "response.output_text.delta")
        .map(|e| e["delta"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn tls_ca_out_log_script_and_auto_compact_flags() {
    let dir = std::env::temp_dir().join(format!("codex-mock-cli-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (ca, log, script) = (
        dir.join("ca.pem"),
        dir.join("requests.jsonl"),
        dir.join("script.json"),
    );
    std::fs::write(
        &script,
        r#"[
            {"user_contains": "weather", "reply": "text:Sunny today."},
            {"reply": "shell:echo hi,tool=shell"},
            {"route": "settings-user", "reply": "status:503"}
        ]"#,
    )
    .unwrap();
    let (child, url) = start(&[
        "--tls".as_ref(),
        "--ca-out".as_ref(),
        ca.as_os_str(),
        "--log".as_ref(),
        log.as_os_str(),
        "--script".as_ref(),
        script.as_os_str(),
        "--auto-compact-limit".as_ref(),
        "gpt-5.4=1000".as_ref(),
        "--codex-home".as_ref(),
        dir.as_os_str(),
    ]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    // The CA file exists before the URL is printed.
    assert!(
        std::fs::read_to_string(&ca)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let bearer = format!("Bearer {}", common::wait_for_access_token(&dir).await);
    let responses = |text: &str| {
        let body = serde_json::to_vec(&codex_mock::request_body(
            vec![codex_mock::user_text(text)],
            None,
        ))
        .unwrap();
        http::Request::post(format!("{url}/backend-api/codex/responses"))
            .header("authorization", &bearer)
            .header("content-type", "application/json")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap()
    };
    // The rule, over h2; then the queued shell call, over HTTP/1.1.
    let (status, version, body) = tls_request(&url, &ca, b"h2", responses("weather?")).await;
    assert_eq!((status.as_u16(), version), (200, http::Version::HTTP_2));
    assert_eq!(sse_text(&body), "Sunny today.");
    let (_, version, body) = tls_request(&url, &ca, b"http/1.1", responses("go")).await;
    assert_eq!(version, http::Version::HTTP_11);
    let text = String::from_utf8_lossy(&body).into_owned();
    assert!(text.contains(r#""name":"shell""#), "{text}");
    assert!(
        text.contains(r#"\"command\":[\"bash\",\"-lc\",\"echo hi\"]"#),
        "{text}"
    );
    let get = |path: &str| {
        http::Request::get(format!("{url}{path}"))
            .header("authorization", &bearer)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap()
    };
    let (status, _, _) =
        tls_request(&url, &ca, b"h2", get("/backend-api/wham/settings/user")).await;
    assert_eq!(status, 503);
    let (_, _, body) = tls_request(
        &url,
        &ca,
        b"h2",
        get("/backend-api/codex/models?client_version=0.171.0"),
    )
    .await;
    let models: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(models["models"][0]["slug"], "gpt-5.4");
    assert_eq!(models["models"][0]["auto_compact_token_limit"], 1000);
    // The log: one line per request, the bearer redacted.
    let logged = std::fs::read_to_string(&log).unwrap();
    assert!(!logged.contains(&bearer[7..]));
    let lines: Vec<serde_json::Value> = logged
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0]["version"], "HTTP/2.0");
    assert_eq!(lines[1]["version"], "HTTP/1.1");
    assert_eq!(
        lines[0]["body"]["input"][0]["content"][0]["text"],
        "weather?"
    );
    assert_eq!(lines[3]["query"], "client_version=0.171.0");
    assert_eq!(lines[3]["headers"]["authorization"], "[redacted]");
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_new_flags_exit_2_with_one_line() {
    let dir = std::env::temp_dir().join(format!("codex-mock-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad_script = dir.join("bad.json");
    std::fs::write(&bad_script, r#"[{"reply": "text:x", "when": "y"}]"#).unwrap();
    let bad_script = bad_script.to_str().unwrap();
    for (args, needle) in [
        (&["--ca-out", "/tmp/x.pem"][..], "needs --tls"),
        (&["--auto-compact-limit", "gpt-5.4=lots"], "lots"),
        (&["--auto-compact-limit", "=5"], "empty model slug"),
        (&["--script", "/nonexistent/s.json"], "cannot read"),
        (&["--script", bad_script], "unknown key \"when\""),
        (&["--scenario", "shell"], "shell needs a command"),
        (&["--scenario", "shell:ls,tool=bash"], "bash"),
    ] {
        assert_usage_error(args, needle);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
