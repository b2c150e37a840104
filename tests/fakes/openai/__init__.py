"""A scripted OpenAI-compatible chat-completions server on 127.0.0.1 (streamed SSE or one JSON body)."""

from .server import FakeOpenAI, Reply, call, garbage, hang, text

__all__ = ["FakeOpenAI", "Reply", "call", "garbage", "hang", "text"]
