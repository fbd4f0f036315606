//! [`ToolRegistry`]: typed async tool handlers, dispatched on the model's tool calls.
//!
//! [`crate::Conversation`] runs its tools through one; a loop written by hand (with
//! [`crate::CodexClient::stream_after`]) can use one on its own.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use codex_types::CustomTool;
use codex_types::FunctionTool;
use codex_types::ResponseItem;
use codex_types::Tool;
use codex_types::ToolOutput;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::error::ErrorKind;
use crate::error::Result;
use crate::events::ToolCall;

/// The boxed future a registered tool handler returns.
pub type ToolFuture =
    Pin<Box<dyn Future<Output = std::result::Result<ToolOutput, ToolError>> + Send>>;

type Handler = Arc<dyn Fn(Value) -> ToolFuture + Send + Sync>;

/// An async tool handler taking arguments of type `A`: any function or closure
/// `Fn(A) -> impl Future<Output = Result<Returns, Error>>` that is `Send + Sync + 'static`
/// and whose error is `Display` (implemented for all of them; never implement it by hand).
/// `A` is [`serde_json::Value`] for untyped handlers, the argument type for typed ones.
pub trait ToolHandler<A>:
    Fn(A) -> <Self as ToolHandler<A>>::Future + Send + Sync + 'static
{
    /// The future the handler returns.
    type Future: Future<Output = std::result::Result<Self::Returns, Self::Error>> + Send + 'static;
    /// The handler's value (the tool's output).
    type Returns: Send + 'static;
    /// The handler's failure, sent to the model as `error: <message>`.
    type Error: std::fmt::Display + Send + 'static;
}

impl<A, F, Fut, O, E> ToolHandler<A> for F
where
    F: Fn(A) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = std::result::Result<O, E>> + Send + 'static,
    O: Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    type Future = Fut;
    type Returns = O;
    type Error = E;
}

/// A tool handler's failure. Its message is sent to the model as the tool's output
/// (`error: <message>`), so the model can react; the loop goes on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError(String);

impl ToolError {
    /// A tool error with this message (sent to the model; keep secrets out).
    pub fn new(message: impl std::fmt::Display) -> Self {
        Self(message.to_string())
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ToolError {}

impl From<String> for ToolError {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl From<&str> for ToolError {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

#[derive(Clone)]
struct RegisteredTool {
    name: String,
    definition: Tool,
    handler: Handler,
}

/// Tools and their async handlers: the tool definitions to send
/// ([`definitions`](Self::definitions)) and the dispatch of the model's calls to the
/// handlers ([`dispatch`](Self::dispatch), [`run_calls`](Self::run_calls)).
///
/// What the model reads back, as codex-rs does (it answers an unknown tool with
/// `unsupported call` and bad arguments with `failed to parse function arguments`, as
/// output items, never as a failure of the loop):
///
/// - a handler's `Ok` value is the call's output;
/// - a handler's `Err` is `error: <message>`;
/// - a call to an unknown tool is `error: unknown tool <name>; it does not exist`;
/// - arguments that are not JSON are `error: the arguments are not valid JSON: …`, and
///   arguments that do not decode into a typed handler's argument type are
///   `error: invalid arguments: …` (the handler is not called);
/// - a `local_shell_call` is `error: this client does not run shell commands; …`;
/// - a handler that panics is `error: the tool failed unexpectedly`, one that outlasts the
///   [`with_timeout`](Self::with_timeout) limit `error: tool timed out`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use codex_backend::{CallId, FunctionCall, ToolCall, ToolError, ToolRegistry};
///
/// #[derive(serde::Deserialize, codex_backend::JsonSchema)]
/// struct Add { a: i64, b: i64 }
///
/// let mut tools = ToolRegistry::new();
/// tools.register("add", "Adds two integers", |args: Add| async move {
///     Ok::<_, ToolError>(args.a + args.b)
/// });
/// // The call the model made (as `Event::ToolCall` yields it).
/// let item = FunctionCall::new(CallId::new("call_1"), "add", r#"{"a":2,"b":40}"#);
/// let call = ToolCall::from_item(item.into()).ok_or("not a call")?;
/// let [_call, output] = tools.dispatch(&call).await;
/// assert_eq!(serde_json::to_value(&output)?["output"], "42");
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct ToolRegistry {
    tools: Vec<RegisteredTool>,
    timeout: Option<Duration>,
}

impl std::fmt::Debug for ToolRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolRegistry")
            .field("tools", &self.names().collect::<Vec<_>>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl ToolRegistry {
    /// An empty registry, without time limit.
    pub fn new() -> Self {
        Self::default()
    }

    /// A time limit for each tool call (default none); a handler that takes longer is
    /// dropped and its call answered with `error: tool timed out`.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Sets or clears the per-call time limit.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.timeout = timeout;
        self
    }

    /// The definitions of the registered tools, in registration order, as sent in the
    /// request's `tools`.
    pub fn definitions(&self) -> Vec<Tool> {
        self.tools.iter().map(|t| t.definition.clone()).collect()
    }

    /// The names of the registered tools, in registration order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|t| t.name.as_str())
    }

    /// True when a tool of this name is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.tools.iter().any(|t| t.name == name)
    }

    /// The number of registered tools.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// True when no tool is registered.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    fn insert(&mut self, definition: Tool, name: String, handler: Handler) -> &mut Self {
        let tool = RegisteredTool {
            name,
            definition,
            handler,
        };
        match self.tools.iter_mut().find(|t| t.name == tool.name) {
            Some(slot) => *slot = tool,
            None => self.tools.push(tool),
        }
        self
    }

    fn wrap<H>(handler: H) -> Handler
    where
        H: ToolHandler<Value, Returns: Into<ToolOutput>>,
    {
        Arc::new(move |args: Value| -> ToolFuture {
            let fut = handler(args);
            Box::pin(async move {
                match fut.await {
                    Ok(o) => Ok(o.into()),
                    Err(e) => Err(ToolError::new(e)),
                }
            })
        })
    }

    /// Registers a typed `function` tool (a tool of the same name is replaced): its
    /// parameters are the strict JSON Schema of `A` ([`crate::function_tool`]), the model's
    /// arguments are decoded into `A` before `handler` runs, and the handler's `Ok` value is
    /// the output: a string as it is, any other `Serialize` value as its JSON text.
    pub fn register<A>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        handler: impl ToolHandler<A, Returns: Serialize>,
    ) -> &mut Self
    where
        A: schemars::JsonSchema + DeserializeOwned + Send + 'static,
    {
        let name = name.into();
        let def = crate::schema::function_tool::<A>(name.clone(), description);
        // A string as it is; anything else as its JSON text, fields in declaration order.
        let handler = Self::typed(handler, |o| {
            let text = match serde_json::to_value(&o) {
                Ok(Value::String(s)) => Ok(s),
                _ => serde_json::to_string(&o),
            };
            text.map(ToolOutput::Text)
                .map_err(|e| ToolError::new(format!("the tool output cannot be encoded: {e}")))
        });
        self.insert(def.into(), name, handler)
    }

    /// Registers a `function` tool with a hand-written JSON Schema whose handler takes typed
    /// arguments (decoded into `A` first; see [`register`](Self::register) to derive the
    /// schema from `A`).
    pub fn register_typed<A>(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: impl ToolHandler<A, Returns: Into<ToolOutput>>,
    ) -> &mut Self
    where
        A: DeserializeOwned + Send + 'static,
    {
        let name = name.into();
        let def = FunctionTool::new(name.clone(), description, parameters);
        let handler = Self::typed(handler, |o| Ok(o.into()));
        self.insert(def.into(), name, handler)
    }

    /// A handler that decodes the arguments into `A`, runs `handler` and turns its value
    /// into the output with `output`.
    fn typed<A, H>(
        handler: H,
        output: fn(H::Returns) -> std::result::Result<ToolOutput, ToolError>,
    ) -> Handler
    where
        A: DeserializeOwned + Send + 'static,
        H: ToolHandler<A>,
    {
        Arc::new(move |args: Value| -> ToolFuture {
            let call = serde_json::from_value::<A>(args).map(&handler);
            Box::pin(async move {
                match call {
                    Ok(fut) => match fut.await {
                        Ok(o) => output(o),
                        Err(e) => Err(ToolError::new(e)),
                    },
                    Err(e) => Err(ToolError::new(format!("invalid arguments: {e}"))),
                }
            })
        })
    }

    /// Registers a `function` tool from its name, description and JSON Schema of the
    /// arguments, with its async handler (gets the parsed arguments).
    pub fn register_function(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: impl ToolHandler<Value, Returns: Into<ToolOutput>>,
    ) -> &mut Self {
        let name = name.into();
        let def = FunctionTool::new(name.clone(), description, parameters);
        self.insert(def.into(), name, Self::wrap(handler))
    }

    /// Registers a `custom` (freeform) tool with its async handler (gets the input as a
    /// JSON string).
    pub fn register_custom(
        &mut self,
        name: impl Into<String>,
        description: impl Into<String>,
        handler: impl ToolHandler<Value, Returns: Into<ToolOutput>>,
    ) -> &mut Self {
        let name = name.into();
        let def = CustomTool::new(name.clone(), description);
        self.insert(def.into(), name, Self::wrap(handler))
    }

    /// Registers any tool definition and its async handler (a tool of the same name is
    /// replaced).
    ///
    /// A `function` tool's handler gets the parsed JSON arguments; a `custom` tool's
    /// handler gets its freeform input as a JSON string. The handler's `Ok` value (a
    /// `String`, `&str` or [`ToolOutput`]) is sent back as the call's output; its `Err` is
    /// sent as `error: <message>`. Other tool types (web search, local shell) have no
    /// client-side handler: [`ErrorKind::Tool`].
    pub fn register_tool(
        &mut self,
        tool: impl Into<Tool>,
        handler: impl ToolHandler<Value, Returns: Into<ToolOutput>>,
    ) -> Result<&mut Self> {
        let tool = tool.into();
        let name = match &tool {
            Tool::Function(f) => f.name.clone(),
            Tool::Custom(c) => c.name.clone(),
            _ => {
                return Err(Error::new(
                    ErrorKind::Tool,
                    "only function and custom tools can have a client-side handler",
                ));
            }
        };
        if name.is_empty() {
            return Err(Error::new(ErrorKind::Tool, "a tool name must not be empty"));
        }
        Ok(self.insert(tool, name, Self::wrap(handler)))
    }

    /// Runs the handler of `call` and returns the two history items of the call: the call
    /// itself and its output (see the type's docs for what an unknown tool or bad arguments
    /// give). Append both to the history before the next request.
    pub async fn dispatch(&self, call: &ToolCall) -> [ResponseItem; 2] {
        let item = call.as_history_item().clone();
        let output = self
            .run_calls(std::slice::from_ref(&item))
            .await
            .pop()
            .unwrap_or_else(|| call.to_tool_result("error: the tool failed unexpectedly"));
        [item, output]
    }

    /// Runs the handlers of `calls` (function, custom and local-shell call items; other
    /// items are skipped) concurrently; returns one output item per call, in the order of
    /// the calls.
    pub async fn run_calls(&self, calls: &[ResponseItem]) -> Vec<ResponseItem> {
        let mut set = tokio::task::JoinSet::new();
        let mut outputs: Vec<Option<ResponseItem>> = vec![None; calls.len()];
        for (i, call) in calls.iter().enumerate() {
            let (name, arg, custom_call) = match call {
                ResponseItem::FunctionCall(c) => {
                    (c.name.as_str(), Some(c.arguments.as_str()), false)
                }
                ResponseItem::CustomToolCall(c) => (c.name.as_str(), None, true),
                ResponseItem::LocalShellCall(c) => {
                    outputs[i] = Some(c.output(
                        "error: this client does not run shell commands; use the tools provided",
                    ));
                    continue;
                }
                _ => continue,
            };
            let answer = |text: String| -> Option<ResponseItem> {
                match call {
                    ResponseItem::FunctionCall(c) => Some(c.output(text)),
                    ResponseItem::CustomToolCall(c) => Some(c.output(text)),
                    _ => None,
                }
            };
            let Some(tool) = self.tools.iter().find(|t| t.name == name) else {
                tracing::warn!(tool = name, "the model called an unknown tool");
                outputs[i] = answer(format!("error: unknown tool {name}; it does not exist"));
                continue;
            };
            let args = match (arg, custom_call) {
                (_, true) => match call {
                    ResponseItem::CustomToolCall(c) => Value::String(c.input.clone()),
                    _ => Value::Null,
                },
                (Some(raw), false) if raw.trim().is_empty() => Value::Object(Default::default()),
                (Some(raw), false) => match serde_json::from_str::<Value>(raw) {
                    Ok(v) => v,
                    Err(e) => {
                        outputs[i] =
                            answer(format!("error: the arguments are not valid JSON: {e}"));
                        continue;
                    }
                },
                (None, false) => Value::Null,
            };
            let fut = (tool.handler)(args);
            let timeout = self.timeout;
            set.spawn(async move {
                let r = match timeout {
                    Some(t) => match tokio::time::timeout(t, fut).await {
                        Ok(r) => r,
                        Err(_) => Err(ToolError::new("tool timed out")),
                    },
                    None => fut.await,
                };
                (i, r)
            });
        }
        let mut results: Vec<Option<std::result::Result<ToolOutput, ToolError>>> =
            (0..calls.len()).map(|_| None).collect();
        while let Some(joined) = set.join_next().await {
            match joined {
                Ok((i, r)) => {
                    if let Some(slot) = results.get_mut(i) {
                        *slot = Some(r);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "a tool task failed"),
            }
        }
        for (i, call) in calls.iter().enumerate() {
            if outputs[i].is_some() {
                continue;
            }
            let out = match results[i].take() {
                Some(Ok(o)) => o,
                Some(Err(e)) => ToolOutput::Text(format!("error: {e}")),
                None => ToolOutput::Text("error: the tool failed unexpectedly".to_owned()),
            };
            outputs[i] = match call {
                ResponseItem::FunctionCall(c) => Some(ResponseItem::FunctionCallOutput(
                    codex_types::FunctionCallOutput::new(c.call_id.clone(), out),
                )),
                ResponseItem::CustomToolCall(c) => Some(ResponseItem::CustomToolCallOutput(
                    codex_types::CustomToolCallOutput::new(c.call_id.clone(), out),
                )),
                _ => None,
            };
        }
        outputs.into_iter().flatten().collect()
    }
}
