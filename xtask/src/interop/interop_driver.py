"""`cargo xtask interop`: drive the Python SDK codex-backend-sdk against codex-mock.

Usage: python interop_driver.py SCENARIO   (env: MOCK_URL, CODEX_HOME, REQUESTS_CA_BUNDLE)

The SDK is used unmodified. Its hard-coded https://chatgpt.com and https://auth.openai.com
URLs are rewritten to MOCK_URL by wrapping requests.Session.request, the only HTTP entry point
both 0.1.x and 0.5.x use. Prints one line "ok: <detail>" and exits 0, or raises (exit 1).
"""

import json
import os
import sys

import requests

MOCK = os.environ["MOCK_URL"].rstrip("/")
_request = requests.sessions.Session.request


def _rewrite(self, method, url, *args, **kwargs):
    for real in ("https://chatgpt.com", "https://auth.openai.com"):
        if isinstance(url, str) and url.startswith(real):
            url = MOCK + url[len(real):]
    return _request(self, method, url, *args, **kwargs)


requests.sessions.Session.request = _rewrite

import codex_backend_sdk as sdk  # noqa: E402  (after the rewrite is in place)

LEGACY = sdk.__version__.startswith("0.1.")
TOOL = {
    "type": "function",
    "name": "exec_command",
    "description": "Run a shell command.",
    "strict": False,
    "parameters": {
        "type": "object",
        "properties": {"cmd": {"type": "string"}},
        "required": ["cmd"],
    },
}
TOOL_OUTPUT = "interop-tool-output"


def client():
    store = sdk.load_tokens()
    assert store is not None, "no auth.json in CODEX_HOME"
    return sdk.CodexClient(store=store, model="gpt-5.4")


def user(text):
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def expect(value, needle):
    assert needle in value, f"{needle!r} not in {value!r}"
    return value


def respond(c):
    if LEGACY:
        text, _ = c.respond("Say the word.")
    else:
        text = c.responses.create(input="Say the word.").output_text
    return expect(text, "interop-respond-ok")


def stream(c):
    parts = []
    if LEGACY:
        for ev in c.stream("Say the words."):
            if isinstance(ev, sdk.TextDelta):
                parts.append(ev.text)
    else:
        for ev in c.responses.create(input="Say the words.", stream=True):
            if getattr(ev, "type", None) == "response.output_text.delta":
                parts.append(ev.delta)
    assert len(parts) > 1, f"{len(parts)} deltas"
    return expect("".join(parts), "interop stream ok")


def tools(c):
    """A tool call, our output sent back, and an answer that quotes it."""
    if LEGACY:
        calls = [ev for ev in c.stream("Run it.", tools=[TOOL]) if isinstance(ev, sdk.ToolCall)]
        assert len(calls) == 1, calls
        call = calls[0]
        assert call.name == "exec_command" and json.loads(call.arguments)["cmd"]
        history = [user("Run it."), call.as_history_item(), call.to_tool_result(TOOL_OUTPUT)]
        text = "".join(
            ev.text
            for ev in c.stream(None, conversation_history=history, tools=[TOOL])
            if isinstance(ev, sdk.TextDelta)
        )
    else:
        first = c.responses.create(input=[user("Run it.")], tools=[TOOL])
        calls = [i for i in first.output if i.get("type") == "function_call"]
        assert len(calls) == 1, first.output
        call = calls[0]
        assert call["name"] == "exec_command" and json.loads(call["arguments"])["cmd"]
        output = {"type": "function_call_output", "call_id": call["call_id"], "output": TOOL_OUTPUT}
        text = c.responses.create(input=[user("Run it."), call, output], tools=[TOOL]).output_text
    return expect(text, TOOL_OUTPUT)


def models(c):
    if LEGACY:
        slugs = [m.slug for m in c.list_models()]
    else:
        slugs = [m.id for m in c.models.list().data]
    assert "gpt-5.4" in slugs, slugs
    return ",".join(slugs)


def usage(c):
    payload = c.usage() if LEGACY else c.codex.usage()
    assert payload["plan_type"] == "plus", payload
    return f"plan {payload['plan_type']}"


def compaction(c):
    history = [user("First question."), {"type": "message", "role": "assistant",
               "content": [{"type": "output_text", "text": "First answer."}]}]
    if LEGACY:
        items = c.compact(history).output_items
    else:
        items = c.responses.compact(input=history).output
        items = [i if isinstance(i, dict) else i.model_dump() for i in items]
    kinds = [i.get("type") for i in items]
    assert kinds.count("compaction") + kinds.count("compaction_summary") == 1, kinds
    return ",".join(str(k) for k in kinds)


SCENARIOS = {f.__name__: f for f in (respond, stream, tools, models, usage, compaction)}

if __name__ == "__main__":
    detail = SCENARIOS[sys.argv[1]](client())
    print(f"ok: {detail}"[:200])
