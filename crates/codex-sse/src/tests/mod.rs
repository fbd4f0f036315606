//! Unit tests: one per WHATWG rule and per contract point.
//!
//! - `whatwg`: one test per rule of the WHATWG event-stream interpretation.
//! - `contract`: this crate's promises beyond the standard (zero-copy slices, offsets,
//!   the size limit, error text).
//! - `fast_paths`: the line scanners, the fast paths and the event-type caches agree with
//!   the plain rules.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use bytes::Bytes;

use crate::{Config, EndOfStream, Error, Event, Frame, Parser};

fn run_cfg(chunks: &[&[u8]], config: Config) -> (Vec<Result<Frame, Error>>, EndOfStream) {
    let mut p = Parser::with_config(config);
    let mut out = Vec::new();
    for c in chunks {
        p.feed(Bytes::copy_from_slice(c));
        while let Some(f) = p.next_frame() {
            out.push(f);
        }
    }
    let end = p.finish();
    while let Some(f) = p.next_frame() {
        out.push(f);
    }
    assert_eq!(
        end.bytes_consumed,
        chunks.iter().map(|c| c.len() as u64).sum::<u64>()
    );
    (out, end)
}

fn events_cfg(chunks: &[&[u8]], config: Config) -> (Vec<Event>, EndOfStream) {
    let (frames, end) = run_cfg(chunks, config);
    let evs = frames
        .into_iter()
        .filter_map(|f| match f.unwrap() {
            Frame::Event(e) => Some(e),
            _ => None,
        })
        .collect();
    (evs, end)
}

fn events(input: &[u8]) -> Vec<Event> {
    events_cfg(&[input], Config::default()).0
}

fn datas(input: &[u8]) -> Vec<String> {
    events(input).iter().map(|e| e.data().to_owned()).collect()
}

mod contract;
mod fast_paths;
mod whatwg;
