"""The language model of ``agent = "llm"``: ADK's LiteLlm, so one setting points the engine at any
OpenAI-compatible server (Ollama, llama.cpp's server, vLLM) or at Gemini.

LiteLLM fetches its model-cost map from the network at import unless told not to, and loads a ``.env``
file in its development mode: both are switched off here, before the first import.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from google.adk.models import BaseLlm

from .settings import EngineSettings

# OpenAI's client refuses to start without a key; local servers accept any.
NO_KEY = "no-key"
LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Proxy", "LiteLLM Router")


def prepare_litellm_import() -> None:
    """Environment LiteLLM reads at import: the bundled cost map, production mode, no Gemini advice."""
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("LITELLM_MODE", "PRODUCTION")
    os.environ.setdefault("ADK_SUPPRESS_GEMINI_LITELLM_WARNINGS", "1")


def completion_args(settings: EngineSettings) -> dict[str, Any]:
    """What every completion call gets: server, key, time limit; no silent retries that multiply it."""
    args: dict[str, Any] = {"timeout": settings.llm_timeout, "num_retries": 0, "max_retries": 0}
    if settings.llm_base_url:
        args["api_base"] = settings.llm_base_url
    if settings.llm_api_key is not None:
        args["api_key"] = settings.llm_api_key.get_secret_value()
    elif settings.llm_base_url:
        args["api_key"] = NO_KEY
    return args


def build_llm(settings: EngineSettings) -> BaseLlm:
    """The configured model as an ADK ``BaseLlm``."""
    prepare_litellm_import()
    import litellm  # once, at start: the import takes seconds, not the first message
    from google.adk.models.lite_llm import LiteLlm

    litellm.suppress_debug_info = True  # its "Give Feedback / Get Help" banner would go to stdout
    for name in LITELLM_LOGGERS:  # its own stderr handlers bypass the redactor and the console's log file
        for handler in list(logging.getLogger(name).handlers):
            logging.getLogger(name).removeHandler(handler)

    return LiteLlm(model=settings.llm_model, **completion_args(settings))
