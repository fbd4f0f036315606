//! [`FunctionCallSpec`]: one function call of [`Reply::tool_calls`](super::Reply::tool_calls),
//! built by named steps so a call's name and id cannot be swapped.

/// One function call of [`Reply::tool_calls`](crate::Reply::tool_calls).
///
/// Built by named steps, [`named`](Self::named), [`call_id`](Self::call_id) and
/// [`arguments`](Self::arguments), so the tool's name and the call's id cannot trade places
/// the way three positional strings could (the SDK's `FunctionCall::new` takes the id first,
/// as a typed `CallId`):
///
/// ```
/// use codex_mock::FunctionCallSpec;
/// let call = FunctionCallSpec::named("lookup")
///     .call_id("call_7")
///     .arguments(r#"{"n":1}"#);
/// assert_eq!((call.name.as_str(), call.call_id.as_str()), ("lookup", "call_7"));
/// ```
///
/// Three positional strings, in either order, no longer compile:
///
/// ```compile_fail
/// use codex_mock::FunctionCallSpec;
/// let call = FunctionCallSpec::new("call_7", "lookup", "{}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FunctionCallSpec {
    /// Tool name.
    pub name: String,
    /// `call_id` the client must answer with.
    pub call_id: String,
    /// Arguments, a JSON document encoded as a string.
    pub arguments: String,
}

impl FunctionCallSpec {
    /// A call of the tool `name`, with call id `call_<name>` and arguments `{}` until
    /// [`call_id`](Self::call_id) and [`arguments`](Self::arguments) say otherwise.
    pub fn named(name: impl Into<String>) -> FunctionCallSpec {
        let name = name.into();
        FunctionCallSpec {
            call_id: format!("call_{name}"),
            name,
            arguments: "{}".to_owned(),
        }
    }

    /// The `call_id` the client must answer with.
    #[must_use]
    pub fn call_id(mut self, call_id: impl Into<String>) -> FunctionCallSpec {
        self.call_id = call_id.into();
        self
    }

    /// The arguments, a JSON document encoded as a string (sent as is, even if not JSON).
    #[must_use]
    pub fn arguments(mut self, arguments: impl Into<String>) -> FunctionCallSpec {
        self.arguments = arguments.into();
        self
    }
}
