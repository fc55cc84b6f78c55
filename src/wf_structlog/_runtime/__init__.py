"""The runtime, the hot path: process state, the logger, the pipeline, scopes, ids, faults
and fork safety. It never imports the configuration: first use reaches it through the hook
that :mod:`wf_structlog.config` installs (:func:`.state.ensure_configured`).
"""
