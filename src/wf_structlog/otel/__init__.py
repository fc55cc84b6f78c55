"""OpenTelemetry: scopes and calls as live spans, exported by the application's provider or ours.

When the program uses OpenTelemetry, :func:`wf_structlog.configure` makes each workflow,
iteration, interaction, instrumented LLM call and ``@action`` call a live span
(:mod:`.spans`), with GenAI and OpenInference attributes (:mod:`.attributes`) and our ids
(:mod:`.ids`: the workflow id is the trace id, a scope's id its span id):

* if the application set an SDK ``TracerProvider`` (``trace.set_tracer_provider``) before
  ``configure()``, spans are made through it: its resource (``service.name``), sampler and
  span processors apply, and exporting is its business;
* else ``configure(otlp=True)`` (``WF_LOG_OTLP=true``) sets up a provider of ours from the
  ``OTEL_*`` variables and exports over OTLP/HTTP (:mod:`.export`); it becomes the global
  provider if none is set, so other instrumentation's spans nest in our scopes.

Events that are not spans are span events (Arize Phoenix, for one, takes no OTLP logs).
"""

from __future__ import annotations

from .export import FLUSH_SECONDS, Export
from .spans import LiveSpans, provider_of_application

__all__ = ["FLUSH_SECONDS", "Export", "LiveSpans", "live_spans", "provider_of_application"]


def live_spans(export: bool) -> LiveSpans | None:
    """The live spans to configure: through the application's provider if it set one, else
    through ours if *export*, else none.

    Args:
        export: whether runs are exported over OTLP/HTTP when the application has no provider.
    """
    if provider_of_application() is not None:
        return LiveSpans()
    return LiveSpans(Export()) if export else None
