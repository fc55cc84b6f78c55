"""The front doors on scopes: workflow, iteration and interaction, agents and actions,
automatic scopes, named workflows, the legacy ``WorkflowLogger``, and crossing threads and
processes. Every name here is also exported by :mod:`wf_structlog`.
"""

from __future__ import annotations

from . import hierarchy
from .hierarchy import *  # noqa: F403 (the package's public names are those of .hierarchy)

__all__ = hierarchy.__all__
