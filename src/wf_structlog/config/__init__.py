"""Configuration: presets (TOML files in ``configs/``), environment variables, overrides.

Each setting comes from the first of: an argument to :func:`configure`, its environment
variable, the preset file, its default (the ``dev`` preset's value). ``WORKFLOW_LOGGING=false``
(also ``0``, ``off``, ``no``) turns everything off whatever else says. A bad value is a
:class:`ConfigError` that names where it came from (``WF_LOG_LEVEL: unknown level 'loud':
...``); with no ``configure()`` call, the first logging call leaves bad variables out and
says so once on stderr.

The modules, one job each: :mod:`.settings` (the one table of settings), :mod:`.checks`
(a check per kind of value), :mod:`.presets` (reading TOML presets), :mod:`.resolve` (the
merge order), :mod:`.apply` (putting settings in force), :mod:`.inherit` (the settings a child
process takes from its parent), :mod:`.entry` (``configure`` and the other ways in).
Importing this package installs the hook through which the runtime below reaches it on first
use (:func:`wf_structlog._runtime.state.install_first_use`).

The settings (generated from :data:`SETTINGS`):

"""

from __future__ import annotations

from typing import Final

from .._runtime.state import install_first_use
from ..scopes.propagation import ENV_SCOPE, ENV_TRACEPARENT
from .apply import apply, build_chain, reset
from .checks import ConfigError
from .entry import (
    configure,
    configure_from_environment,
    configure_on_first_use,
    current_settings,
    set_global_verbosity,
)
from .presets import PRESETS
from .resolve import resolve
from .settings import ENVIRONMENT, SETTINGS, THREAD_MODES, Settings, settings_table_markdown

__all__ = [
    "ENVIRONMENT_VARIABLES",
    "PRESETS",
    "SETTINGS",
    "THREAD_MODES",
    "ConfigError",
    "Settings",
    "apply",
    "build_chain",
    "configure",
    "configure_from_environment",
    "current_settings",
    "reset",
    "resolve",
    "set_global_verbosity",
    "settings_table_markdown",
]

__doc__ = (__doc__ or "") + settings_table_markdown()

ENVIRONMENT_VARIABLES: Final = (*ENVIRONMENT, ENV_TRACEPARENT, ENV_SCOPE)
"""Every environment variable wf_structlog reads."""

install_first_use(configure_on_first_use)
