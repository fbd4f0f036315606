//! Inputs for the benches: the generated Responses-style SSE stream that codex-sse's `parse`
//! and codex-types' `decode` benches both read, so that their figures are about the same bytes.

/// A Responses-style SSE stream: a comment, `response.created`, `deltas`
/// `response.output_text.delta` events with realistic payloads (item id, indices,
/// `logprobs: []`, `obfuscation`; some deltas need unescaping), then one `response.completed`
/// carrying output items (the text so far, up to 4 KiB each) and usage. The output items are
/// repeated until they take at least `completed_min` bytes and the whole stream at least
/// `total_min` bytes (always at least one item). Deterministic: a tiny LCG picks the words.
/// The stream holds `deltas + 2` events.
pub fn responses_stream(deltas: usize, completed_min: usize, total_min: usize) -> String {
    let words = [
        "The",
        " quick",
        " brown",
        " fox",
        " jumps",
        " over",
        " the",
        " lazy",
        " dog",
        ".",
        " Rust",
        "'s",
        " ownership",
        " model",
        " \\\"",
        "caf\u{e9}",
        " \u{1F600}",
        "\\n",
        " a",
        " b",
    ];
    let item_id = "msg_68a1f0c2d4e8819b9a7c3e5f1d2b4a6c08e0f1a2b3c4d5e6";
    let mut out = String::with_capacity(total_min.max(deltas * 256 + completed_min) + (1 << 20));
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut full = String::new();
    out.push_str(": codex bench stream\n\n");
    out.push_str("event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\"}}\n\n");
    for i in 0..deltas {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let word = words[(seed >> 33) as usize % words.len()];
        full.push_str(word);
        out.push_str("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":");
        out.push_str(&(i + 1).to_string());
        out.push_str(",\"item_id\":\"");
        out.push_str(item_id);
        out.push_str("\",\"output_index\":0,\"content_index\":0,\"delta\":\"");
        out.push_str(word);
        out.push_str("\",\"logprobs\":[],\"obfuscation\":\"");
        out.push_str(&format!("{:012x}", seed >> 16));
        out.push_str("\"}\n\n");
    }
    out.push_str(
        "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":",
    );
    out.push_str(&(deltas + 1).to_string());
    out.push_str(",\"response\":{\"id\":\"resp_1\",\"status\":\"completed\",\"output\":[");
    let completed_end = out.len() + completed_min;
    let mut k = 0;
    while k == 0 || out.len() < completed_end || out.len() < total_min {
        if k > 0 {
            out.push(',');
        }
        out.push_str("{\"type\":\"message\",\"id\":\"");
        out.push_str(item_id);
        out.push_str(
            "\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"",
        );
        out.push_str(&full[..full.len().min(4096)]);
        out.push_str("\",\"annotations\":[]}]}");
        k += 1;
    }
    out.push_str("],\"usage\":{\"input_tokens\":1200,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":200000,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":201200}}}\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::responses_stream;

    /// Every event's data is one JSON object, and the paddings hold.
    #[test]
    fn events_are_json_and_paddings_hold() {
        for (deltas, completed_min, total_min) in [(50, 10_000, 0), (50, 0, 200_000), (0, 0, 0)] {
            let s = responses_stream(deltas, completed_min, total_min);
            let data: Vec<serde_json::Value> = s
                .lines()
                .filter_map(|l| l.strip_prefix("data: "))
                .map(|d| serde_json::from_str(d).unwrap())
                .collect();
            assert_eq!(data.len(), deltas + 2);
            let last = data.last().unwrap();
            assert_eq!(last["type"], "response.completed");
            assert!(!last["response"]["output"].as_array().unwrap().is_empty());
            let completed = s.lines().rev().find(|l| l.starts_with("data: ")).unwrap();
            assert!(completed.len() >= completed_min);
            assert!(s.len() >= total_min);
        }
    }
}
