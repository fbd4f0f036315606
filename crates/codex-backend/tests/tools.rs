//! Issue 17: the stand-alone tool registry: typed registration, dispatch of a `ToolCall` into
//! the two history items, and the error texts the model reads (unknown tool, bad arguments),
//! on its own and in a hand-written loop against codex-mock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codex_backend::CallId;
use codex_backend::Event;
use codex_backend::FunctionCall;
use codex_backend::Input;
use codex_backend::ResponseItem;
use codex_backend::ToolCall;
use codex_backend::ToolError;
use codex_backend::ToolRegistry;
use codex_mock::FunctionCallSpec;
use codex_mock::Reply;
use common::*;
use futures_util::StreamExt;
use serde_json::Value;
use serde_json::json;

#[derive(serde::Deserialize, codex_backend::JsonSchema)]
struct Weather {
    city: String,
    unit: Option<String>,
}

#[derive(serde::Serialize)]
struct Report {
    city: String,
    temperature: i32,
    unit: String,
}

#[derive(serde::Deserialize, codex_backend::JsonSchema)]
struct Echo {
    text: String,
}

fn registry() -> ToolRegistry {
    let mut tools = ToolRegistry::new();
    tools
        .register(
            "get_weather",
            "The temperature in a city",
            |w: Weather| async move {
                if w.city.is_empty() {
                    return Err(ToolError::new("no city given"));
                }
                Ok(Report {
                    city: w.city,
                    temperature: 22,
                    unit: w.unit.unwrap_or_else(|| "celsius".to_owned()),
                })
            },
        )
        .register("echo", "Says it back", |e: Echo| async move {
            Ok::<_, ToolError>(e.text)
        });
    tools
}

fn call(name: &str, id: &str, args: &str) -> ToolCall {
    ToolCall::from_item(FunctionCall::new(CallId::new(id), name, args).into()).unwrap()
}

/// The output text of a `function_call_output` item.
fn output_of(item: &ResponseItem) -> String {
    let v = serde_json::to_value(item).unwrap();
    assert_eq!(v["type"], "function_call_output");
    v["output"].as_str().unwrap().to_owned()
}

#[test]
fn typed_registration_sends_strict_schemas() {
    let tools = registry();
    assert_eq!(tools.names().collect::<Vec<_>>(), ["get_weather", "echo"]);
    let defs = serde_json::to_value(tools.definitions()).unwrap();
    assert_eq!(defs[0]["type"], "function");
    assert_eq!(defs[0]["strict"], true);
    let params = &defs[0]["parameters"];
    assert_eq!(params["additionalProperties"], false);
    assert_eq!(params["required"], json!(["city", "unit"]));
    assert_eq!(
        params["properties"]["unit"]["type"],
        json!(["string", "null"])
    );
}

#[tokio::test]
async fn dispatch_gives_the_call_and_its_output() {
    let tools = registry();
    let c = call("get_weather", "call_1", r#"{"city":"Paris","unit":null}"#);
    let [item, output] = tools.dispatch(&c).await;
    assert_eq!(&item, c.as_history_item());
    let v = serde_json::to_value(&output).unwrap();
    assert_eq!(v["call_id"], "call_1");
    // A Serialize value is sent as its JSON text.
    let report: Value = serde_json::from_str(&output_of(&output)).unwrap();
    assert_eq!(
        report,
        json!({"city":"Paris","temperature":22,"unit":"celsius"})
    );
    // A string is sent as it is (not JSON-quoted).
    let [_, output] = tools
        .dispatch(&call("echo", "call_2", r#"{"text":"hi \"there\""}"#))
        .await;
    assert_eq!(output_of(&output), r#"hi "there""#);
}

#[tokio::test]
async fn unknown_tools_and_bad_arguments_become_text_the_model_reads() {
    let tools = registry();
    let [_, out] = tools.dispatch(&call("nope", "c1", "{}")).await;
    assert_eq!(
        output_of(&out),
        "error: unknown tool nope; it does not exist"
    );
    let [_, out] = tools.dispatch(&call("echo", "c2", "{not json")).await;
    assert!(
        output_of(&out).starts_with("error: the arguments are not valid JSON"),
        "{}",
        output_of(&out)
    );
    // Valid JSON that does not fit the argument type: the handler is not called.
    let [_, out] = tools.dispatch(&call("echo", "c3", r#"{"txt":"x"}"#)).await;
    assert!(
        output_of(&out).starts_with("error: invalid arguments: missing field `text`"),
        "{}",
        output_of(&out)
    );
    // The handler's own error.
    let [_, out] = tools
        .dispatch(&call("get_weather", "c4", r#"{"city":"","unit":null}"#))
        .await;
    assert_eq!(output_of(&out), "error: no city given");
}

#[tokio::test]
async fn a_hand_written_loop_runs_tools_through_the_registry() {
    let (mock, _home, client) = setup().await;
    let tools = registry();
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("get_weather")
            .call_id("call_1")
            .arguments(r#"{"city":"Paris","unit":null}"#),
        FunctionCallSpec::named("missing")
            .call_id("call_2")
            .arguments("{}"),
    ]));
    mock.push_response(Reply::text("22 degrees in Paris"));
    let opts = codex_backend::CallOptions::new().tools(tools.definitions());
    let mut history = vec![ResponseItem::user_text("Weather in Paris?")];
    let mut stream = client
        .stream_after(&history, Input::none(), opts.clone())
        .await
        .unwrap();
    while let Some(event) = stream.next().await {
        if let Event::ToolCall(call) = event.unwrap() {
            history.extend(tools.dispatch(&call).await);
        }
    }
    let answer = client
        .respond_after(&history, Input::none(), opts)
        .await
        .unwrap();
    assert_eq!(answer.text, "22 degrees in Paris");
    let bodies = responses_bodies(&mock);
    assert_eq!(bodies[0]["tools"][0]["name"], "get_weather");
    let input = bodies[1]["input"].as_array().unwrap();
    let kinds: Vec<&str> = input.iter().map(|i| i["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "message",
            "function_call",
            "function_call_output",
            "function_call",
            "function_call_output"
        ]
    );
    assert_eq!(input[2]["call_id"], "call_1");
    assert!(
        input[2]["output"]
            .as_str()
            .unwrap()
            .contains("\"temperature\":22")
    );
    assert_eq!(
        input[4]["output"],
        "error: unknown tool missing; it does not exist"
    );
}

#[tokio::test]
async fn a_conversation_uses_a_given_registry() {
    let (mock, _home, client) = setup().await;
    let mut conv = client.conversation().with_tools(registry());
    conv.register("shout", "Upper-cases", |e: Echo| async move {
        Ok::<_, ToolError>(e.text.to_uppercase())
    });
    mock.push_response(Reply::tool_calls(vec![
        FunctionCallSpec::named("shout")
            .call_id("call_1")
            .arguments(r#"{"text":"hi"}"#),
    ]));
    mock.push_response(Reply::text("done"));
    let r = conv.run("Shout hi").await.unwrap();
    assert_eq!(r.text, "done");
    let bodies = responses_bodies(&mock);
    let names: Vec<&str> = bodies[0]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_weather", "echo", "shout"]);
    assert_eq!(bodies[1]["input"][2]["output"], "HI");
}
