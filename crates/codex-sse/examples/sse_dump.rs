//! `sse_dump`: read a raw Server-Sent Events stream from stdin, print one JSON object per
//! dispatched event, then one end-of-input line.
//!
//! ```text
//! cargo run -p codex-sse --example sse_dump -- [--chunk N] [--max-event-size BYTES] < capture.sse
//! ```
//!
//! Output (one JSON object per line, on stdout):
//!
//! - per event: `{"event": <type, "message" by default>, "data": <string>, "id": <last event id
//!   or null>, "retry": <reconnection time in ms in effect, or null>}`
//! - after end of input: `{"eof": true, "truncated": <bool>, "last_event_id": <string or null>}`
//!
//! `--chunk N` feeds the input to the parser in N-byte chunks (default: whole reads from stdin).
//! Parse errors (an event larger than `--max-event-size`, default 64 MiB) are reported on
//! stderr; the dump continues with the next event and the exit status is 1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::process::ExitCode;

use bytes::Bytes;
use codex_sse::{Config, Frame, Parser};

#[path = "../tests/common/dump.rs"]
mod dump;

fn usage() -> ExitCode {
    eprintln!("usage: sse_dump [--chunk N] [--max-event-size BYTES] < stream");
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut chunk: Option<usize> = None;
    let mut config = Config::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = |args: &mut dyn Iterator<Item = String>| {
            args.next().and_then(|v| v.parse::<usize>().ok())
        };
        match arg.as_str() {
            "--chunk" => match value(&mut args) {
                Some(n) if n > 0 => chunk = Some(n),
                _ => return usage(),
            },
            "--max-event-size" => match value(&mut args) {
                Some(n) => config = config.max_event_size(n),
                None => return usage(),
            },
            "-h" | "--help" => {
                let _ = usage();
                return ExitCode::SUCCESS;
            }
            _ => return usage(),
        }
    }

    let mut parser = Parser::with_config(config);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    let mut stdin = std::io::stdin().lock();
    let mut buf = vec![0u8; chunk.unwrap_or(64 * 1024).max(1)];
    let drain =
        |parser: &mut Parser, out: &mut dyn Write, failed: &mut bool| -> std::io::Result<()> {
            while let Some(frame) = parser.next_frame() {
                match frame {
                    Ok(Frame::Event(e)) => writeln!(out, "{}", dump::event_line(&e))?,
                    Ok(_) => {}
                    Err(err) => {
                        *failed = true;
                        eprintln!("sse_dump: at byte {}: {err}", parser.bytes_consumed());
                    }
                }
            }
            Ok(())
        };
    let result = (|| -> std::io::Result<()> {
        loop {
            // With --chunk, fill exactly N bytes per feed (except at the end of input).
            let mut filled = 0;
            while filled < buf.len() {
                let n = match stdin.read(&mut buf[filled..]) {
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                if n == 0 {
                    break;
                }
                filled += n;
                if chunk.is_none() {
                    break;
                }
            }
            if filled == 0 {
                break;
            }
            parser.feed(Bytes::copy_from_slice(&buf[..filled]));
            drain(&mut parser, &mut out, &mut failed)?;
        }
        let end = parser.finish();
        drain(&mut parser, &mut out, &mut failed)?;
        writeln!(out, "{}", dump::eof_line(&end))?;
        out.flush()
    })();
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sse_dump: {e}");
            ExitCode::FAILURE
        }
        Ok(()) if failed => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
    }
}
