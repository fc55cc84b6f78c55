"""Compatibility path: :class:`WorkflowLogger` lives in :mod:`wf_structlog.scopes.legacy`."""

from __future__ import annotations

from .scopes.legacy import WorkflowLogger

__all__ = ["WorkflowLogger"]
