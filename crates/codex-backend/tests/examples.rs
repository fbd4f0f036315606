//! Every example's `run` against codex-mock, with the replies a real session would get,
//! asserting what the example really did on the wire.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

#[allow(dead_code)]
#[path = "../examples/abort.rs"]
mod abort;
#[allow(dead_code)]
#[path = "../examples/agent.rs"]
mod agent;
#[allow(dead_code)]
#[path = "../examples/compaction.rs"]
mod compaction;
#[allow(dead_code)]
#[path = "../examples/images.rs"]
mod images;
#[allow(dead_code)]
#[path = "../examples/models.rs"]
mod models;
#[allow(dead_code)]
#[path = "../examples/multi_turn.rs"]
mod multi_turn;
#[allow(dead_code)]
#[path = "../examples/quickstart.rs"]
mod quickstart;
#[allow(dead_code)]
#[path = "../examples/realtime_call.rs"]
mod realtime_call;
#[allow(dead_code)]
#[path = "../examples/reasoning.rs"]
mod reasoning;
#[allow(dead_code)]
#[path = "../examples/seed_readme.rs"]
mod seed_readme;
#[allow(dead_code)]
#[path = "../examples/streaming.rs"]
mod streaming;
#[allow(dead_code)]
#[path = "../examples/structured_output.rs"]
mod structured_output;
#[allow(dead_code)]
#[path = "../examples/tools.rs"]
mod tools;
#[allow(dead_code)]
#[path = "../examples/two_tools_agent.rs"]
mod two_tools_agent;
#[allow(dead_code)]
#[path = "../examples/usage.rs"]
mod usage;

use std::time::Duration;

use codex_backend::ContentPart;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use common::*;
use serde_json::json;

/// The output text of the `function_call_output` for `call_id` in a request's input.
fn tool_output(input: &[serde_json::Value], call_id: &str) -> String {
    input
        .iter()
        .find(|i| i["type"] == "function_call_output" && i["call_id"] == call_id)
        .unwrap()["output"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn quickstart_example() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("Hello there"));
    assert_eq!(quickstart::run(&client).await.unwrap(), "Hello there");
    assert_eq!(responses_bodies(&mock).len(), 1);
}

#[tokio::test]
async fn streaming_example() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("Ferris scuttles on sand").chunked(7));
    assert_eq!(
        streaming::run(&client).await.unwrap(),
        "Ferris scuttles on sand"
    );
}

#[tokio::test]
async fn abort_example() {
    let (mock, _home, client) = setup().await;
    let long = "1\n".repeat(500);
    mock.push_response(Reply::drip(&long, Duration::from_millis(5)));
    let partial = abort::run(&client, Duration::from_millis(100))
        .await
        .unwrap();
    assert!(!partial.is_empty());
    assert!(partial.len() < long.len(), "the stream was stopped early");
    assert!(long.starts_with(&partial));
    assert_eq!(client.active_requests(), 0);
}

#[tokio::test]
async fn models_example() {
    let (mock, _home, client) = setup().await;
    let slugs = models::run(&client).await.unwrap();
    assert!(slugs.contains(&"gpt-5.4".to_owned()));
    assert!(!mock.requests_to("/backend-api/codex/models").is_empty());
}

#[tokio::test]
async fn multi_turn_example() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("Nice to meet you, Ada."));
    mock.push_response(Reply::text("Your name is Ada."));
    let answers = multi_turn::run(&client).await.unwrap();
    assert_eq!(answers, ["Nice to meet you, Ada.", "Your name is Ada."]);
    let second = &responses_bodies(&mock)[1];
    assert_eq!(second["input"].as_array().unwrap().len(), 3);
    assert_eq!(
        second["input"][1]["content"][0]["text"],
        "Nice to meet you, Ada."
    );
}

#[tokio::test]
async fn tools_example_runs_the_tool_and_sends_its_output() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("celsius_to_fahrenheit")
            .call_id("call_t1")
            .arguments(r#"{"celsius":21.5}"#),
    ]));
    mock.push_response(Reply::text("21.5 °C is 70.7 °F."));
    assert_eq!(tools::run(&client).await.unwrap(), "21.5 °C is 70.7 °F.");
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["tools"][0]["name"], "celsius_to_fahrenheit");
    assert_eq!(
        bodies[1]["input"][2],
        json!({"type":"function_call_output","call_id":"call_t1","output":"70.7"})
    );
}

#[tokio::test]
async fn images_example_sends_the_image() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::text("A single red pixel."));
    let image = ContentPart::image_bytes(images::TINY_PNG, "image/png");
    assert_eq!(
        images::run(&client, image).await.unwrap(),
        "A single red pixel."
    );
    let part = &responses_bodies(&mock)[0]["input"][0]["content"][1];
    assert_eq!(part["type"], "input_image");
    assert!(
        part["image_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,iVBORw0KGgo")
    );
}

#[tokio::test]
async fn reasoning_example() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::reasoning(
        "1001 = 7 * 11 * 13.",
        "No, 1001 is not prime.",
    ));
    let r = reasoning::run(&client).await.unwrap();
    assert_eq!(r.summary, "1001 = 7 * 11 * 13.");
    assert_eq!(r.answer, "No, 1001 is not prime.");
    let body = &responses_bodies(&mock)[0];
    assert_eq!(
        body["reasoning"],
        json!({"effort":"high","summary":"detailed"})
    );
    assert_eq!(body["include"], json!(["reasoning.encrypted_content"]));
}

#[tokio::test]
async fn structured_output_example() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::structured(
        json!({"country":"Japan","capital":"Tokyo","population":14000000}),
    ));
    let c = structured_output::run(&client).await.unwrap();
    assert_eq!(c.capital, "Tokyo");
    assert_eq!(c.population, 14_000_000);
    let format = &responses_bodies(&mock)[0]["text"]["format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["name"], "capital");
    assert_eq!(format["strict"], true);
}

#[tokio::test]
async fn compaction_example() {
    let (mock, _home, client) = setup().await;
    let (before, after) = compaction::run(&client).await.unwrap();
    assert_eq!(before, 6);
    // The mock keeps the user messages and adds one compaction item.
    assert_eq!(after, 4);
    let last = responses_bodies(&mock).pop().unwrap();
    let types: Vec<&str> = last["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["message", "message", "message", "compaction", "message"]
    );
}

#[tokio::test]
async fn usage_example() {
    let (_mock, _home, client) = setup().await;
    let u = usage::run(&client).await.unwrap();
    assert_eq!(serde_json::to_value(&u).unwrap()["plan_type"], "plus");
}

#[tokio::test]
async fn realtime_call_example() {
    let (mock, _home, client) = setup().await;
    let call = realtime_call::run(&client, realtime_call::SAMPLE_OFFER)
        .await
        .unwrap();
    assert!(call.call_id.starts_with("rtc_"));
    assert!(call.sdp_answer.starts_with("v=0"));
    let req = &mock.requests_to("/v1/realtime/calls")[0];
    let parts = req.multipart().unwrap();
    let session = parts.iter().find(|p| p.name == "session").unwrap();
    let v: serde_json::Value = serde_json::from_slice(&session.data).unwrap();
    assert_eq!(v["instructions"], "You are a friendly voice assistant.");
    assert_eq!(v["audio"]["output"]["voice"], "marin");
}

#[tokio::test]
async fn agent_example_runs_its_safe_tools() {
    let (mock, home, client) = setup().await;
    let sandbox = home.path().join("sandbox");
    std::fs::create_dir_all(sandbox.join("src")).unwrap();
    std::fs::write(sandbox.join("README.md"), "hi").unwrap();
    std::fs::write(home.path().join("secret.txt"), "outside").unwrap();
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("current_time")
            .call_id("c1")
            .arguments("{}"),
        FunctionCallSpec::named("calculate")
            .call_id("c2")
            .arguments(r#"{"expression":"(17 + 25) * 3"}"#),
        FunctionCallSpec::named("list_directory")
            .call_id("c3")
            .arguments(r#"{"path":"."}"#),
        FunctionCallSpec::named("list_directory")
            .call_id("c4")
            .arguments(r#"{"path":".."}"#),
        FunctionCallSpec::named("calculate")
            .call_id("c5")
            .arguments(r#"{"expression":"1/0"}"#),
        FunctionCallSpec::named("shell")
            .call_id("c6")
            .arguments(r#"{"cmd":"rm -rf /"}"#),
    ]));
    mock.push_response(Reply::text("It is now; 126; README.md and src/."));
    let r = agent::run(&client, &sandbox, "do it").await.unwrap();
    assert_eq!(r.text, "It is now; 126; README.md and src/.");
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["tools"].as_array().unwrap().len(), 3);
    let input = bodies[1]["input"].as_array().unwrap();
    let out = |id: &str| tool_output(input, id);
    let now = out("c1");
    assert_eq!(now.len(), 20, "{now}");
    assert!(now.ends_with('Z') && now.starts_with("20"));
    assert_eq!(out("c2"), "126");
    assert_eq!(out("c3"), "README.md\nsrc/");
    assert!(out("c4").contains("outside the sandbox"), "{}", out("c4"));
    assert!(!out("c4").contains("secret.txt"));
    assert_eq!(out("c5"), "error: division by zero");
    assert!(out("c6").contains("unknown tool shell"));
}

#[test]
fn agent_calculator_and_clock() {
    assert_eq!(agent::calculate("1 + 2 * 3").unwrap(), 7.0);
    assert_eq!(agent::calculate("-(2 - 5) / 2").unwrap(), 1.5);
    assert!(agent::calculate("2 +").is_err());
    assert!(agent::calculate("2 $ 3").is_err());
    assert!(agent::calculate(&"(".repeat(100)).is_err());
    assert!(agent::calculate(&"1+".repeat(200)).is_err());
    assert_eq!(agent::rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(agent::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(agent::rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
}

#[tokio::test]
async fn seed_readme_runs_every_python_readme_example() {
    let (mock, home, client) = setup().await;
    let photo = home.path().join("photo.png");
    std::fs::write(&photo, images::TINY_PNG).unwrap();
    let essay = "word ".repeat(400);
    for reply in [
        Reply::text("Quicksort picks a pivot."),
        Reply::text("Quicksort picks a pivot."),
        Reply::drip(&essay, Duration::from_millis(5)),
        Reply::text("Hi Alice."),
        Reply::text("Your name is Alice."),
        Reply::tool_calls(vec![
            FunctionCallSpec::named("get_weather")
                .call_id("call_w")
                .arguments(r#"{"city":"Paris"}"#),
        ]),
        Reply::text("22 degrees in Paris."),
        Reply::text("A photo."),
        Reply::text("A red pixel."),
        Reply::reasoning("3x = 15", "x = 5"),
        Reply::structured(json!({"name":"Alice","age":30})),
        Reply::compaction("enc_summary"),
        Reply::text("Continuing."),
    ] {
        mock.push_response(reply);
    }
    seed_readme::run(&client, &photo, realtime_call::SAMPLE_OFFER)
        .await
        .unwrap();
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies.len(), 13);
    // Multi-turn: the second turn replays the first.
    assert_eq!(bodies[4]["input"].as_array().unwrap().len(), 3);
    // Tools: the strict schema from the type, then the call and its output.
    assert_eq!(bodies[5]["tools"][0]["name"], "get_weather");
    assert_eq!(
        bodies[5]["tools"][0]["parameters"]["required"],
        json!(["city"])
    );
    let input = bodies[6]["input"].as_array().unwrap();
    assert_eq!(input.len(), 3);
    assert_eq!(input[2]["call_id"], "call_w");
    assert_eq!(
        input[2]["output"],
        r#"{"city":"Paris","temperature":22,"unit":"celsius"}"#
    );
    // Images: a URL, then a file sent inline.
    assert_eq!(
        bodies[7]["input"][0]["content"][1]["image_url"],
        "https://example.com/photo.jpg"
    );
    assert!(
        bodies[8]["input"][0]["content"][1]["image_url"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(
        bodies[9]["reasoning"],
        json!({"effort":"medium","summary":"concise"})
    );
    assert_eq!(bodies[10]["text"]["format"]["name"], "Person");
    // Compaction v2, then the compacted history replayed.
    let last_type =
        |b: &serde_json::Value| b["input"].as_array().unwrap().last().unwrap()["type"].clone();
    assert_eq!(last_type(&bodies[11]), "compaction_trigger");
    assert!(
        bodies[12]["input"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["type"] == "compaction")
    );
    assert!(!mock.requests_to("/backend-api/codex/models").is_empty());
    assert!(!mock.requests_to("/backend-api/wham/usage").is_empty());
    assert_eq!(mock.requests_to("/v1/realtime/calls").len(), 1);
    assert_eq!(client.active_requests(), 0);
}

/// Non-blank lines that are not `//` comments (how the Python README's examples were
/// counted too: non-blank lines that are not `#` comments, 120 in its 13 `python` blocks).
fn code_lines(source: &str) -> usize {
    source
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .count()
}

#[test]
fn seed_readme_is_at_most_1_3x_the_python_readme() {
    const PYTHON_LINES: usize = 120;
    let source = include_str!("../examples/seed_readme.rs");
    let n = code_lines(source);
    assert!(
        n * 10 <= PYTHON_LINES * 13,
        "seed_readme.rs has {n} lines, over 1.3 x {PYTHON_LINES}"
    );
    // The header states the count; keep it true.
    assert!(
        source.contains(&format!("{n} of Rust")),
        "update the line count in seed_readme.rs's header to {n}"
    );
}

#[tokio::test]
async fn two_tools_agent_runs_both_typed_tools() {
    let (mock, _home, client) = setup().await;
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("w1")
            .arguments(r#"{"city":"Paris"}"#),
        FunctionCallSpec::named("get_weather")
            .call_id("w2")
            .arguments(r#"{"city":"Atlantis"}"#),
        FunctionCallSpec::named("celsius_to_fahrenheit")
            .call_id("f1")
            .arguments(r#"{"celsius":18.5}"#),
        FunctionCallSpec::named("celsius_to_fahrenheit")
            .call_id("f2")
            .arguments(r#"{"kelvin":3}"#),
    ]));
    mock.push_response(Reply::text("Paris: 65.3 °F."));
    let r = two_tools_agent::run(&client, "Paris in °F?").await.unwrap();
    assert_eq!(r.text, "Paris: 65.3 °F.");
    let bodies = responses_bodies(&mock);
    let tools = bodies[0]["tools"].as_array().unwrap();
    assert_eq!(tools.len(), 2);
    assert_eq!(tools[1]["parameters"]["required"], json!(["celsius"]));
    let input = bodies[1]["input"].as_array().unwrap();
    let out = |id: &str| tool_output(input, id);
    assert_eq!(out("w1"), r#"{"city":"Paris","celsius":18.5}"#);
    assert_eq!(out("w2"), "error: no weather for Atlantis");
    assert_eq!(out("f1"), "65.3");
    assert!(
        out("f2").starts_with("error: invalid arguments:"),
        "{}",
        out("f2")
    );
}
