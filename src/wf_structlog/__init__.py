"""wf_structlog: structured, nested, concurrency-safe logs for multi-agent LLM programs.

::

    from wf_structlog import get_logger
    log = get_logger().bind(agent="planner")
    log.info("llm_call", model="m-1", input_tokens=12, output_tokens=40)
"""

from __future__ import annotations

from . import testing
from ._runtime.logger import BoundLogger, get_logger
from .config import (
    ConfigError,
    Settings,
    configure,
    current_settings,
    reset,
    set_global_verbosity,
)
from .instrumentation import instrument, uninstrument
from .reading.reducer import Reducer, ReduceWarning, reduce, reduce_iter
from .schema import document_schema
from .scopes.agents import action, agent
from .scopes.auto import SimpleWorkflowLogger, log_llm_call
from .scopes.hierarchy import (
    InteractionScope,
    IterationScope,
    Scope,
    ScopeError,
    WorkflowScope,
    add_metadata,
    add_resource,
    current_scope,
    interaction,
    iteration,
    workflow,
)
from .scopes.legacy import WorkflowLogger
from .scopes.propagation import attach, carrier, carrier_env, wrap
from .scopes.threads import ContextThreadPoolExecutor
from .scopes.workflows import get_workflow_logger, set_current_workflow
from .structlog_chain import compose_structlog

__version__ = "0.1.0"

__all__ = [
    "BoundLogger",
    "ConfigError",
    "ContextThreadPoolExecutor",
    "InteractionScope",
    "IterationScope",
    "ReduceWarning",
    "Reducer",
    "Scope",
    "ScopeError",
    "Settings",
    "SimpleWorkflowLogger",
    "WorkflowLogger",
    "WorkflowScope",
    "__version__",
    "action",
    "add_metadata",
    "add_resource",
    "agent",
    "attach",
    "carrier",
    "carrier_env",
    "compose_structlog",
    "configure",
    "current_scope",
    "current_settings",
    "document_schema",
    "get_logger",
    "get_workflow_logger",
    "instrument",
    "interaction",
    "iteration",
    "log_llm_call",
    "reduce",
    "reduce_iter",
    "reset",
    "set_current_workflow",
    "set_global_verbosity",
    "testing",
    "uninstrument",
    "workflow",
    "wrap",
]
