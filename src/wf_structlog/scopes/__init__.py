"""The front doors on scopes: workflow, iteration and interaction, agents and actions,
automatic scopes, named workflows, the legacy ``WorkflowLogger``, and crossing threads and
processes. Every name here is also exported by :mod:`wf_structlog`.
"""

from __future__ import annotations

from .hierarchy import (
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

__all__ = [
    "InteractionScope",
    "IterationScope",
    "Scope",
    "ScopeError",
    "WorkflowScope",
    "add_metadata",
    "add_resource",
    "current_scope",
    "interaction",
    "iteration",
    "workflow",
]
