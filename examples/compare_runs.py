"""Two runs of the demo's research workflow, before and after a change, to compare.

The change a team might try: a smaller, cheaper model (``fake-llm-mini``) and a fourth round
of research. Each run goes into its own NDJSON file; then ``wf-log diff`` says what moved, and
``wf-log report --baseline`` shows it above the report of the new run::

    python examples/compare_runs.py [--out DIR]
    wf-log diff DIR/before.ndjson DIR/after.ndjson
    wf-log report DIR/after.ndjson --baseline DIR/before.ndjson -o compare.html
"""

from __future__ import annotations

import argparse
from pathlib import Path

from multi_agent import ITERATIONS, ask, priced, run

import wf_structlog as wfl

TOPIC = "structured logs for LLM agents"


def main(argv: list[str] | None = None) -> int:
    """Log the run before the change and the run after it; returns the exit status."""
    parser = argparse.ArgumentParser(description="Two runs to compare with wf-log diff.")
    parser.add_argument(
        "--out", type=Path, default=Path("out"), metavar="DIR", help="where to write (default: out)"
    )
    args = parser.parse_args(argv)
    cheaper = priced("fake-llm-mini", input_price=0.15, output_price=0.6)
    for name, model, rounds in (("before", ask, ITERATIONS), ("after", cheaper, ITERATIONS + 1)):
        path = args.out / f"{name}.ndjson"
        path.unlink(missing_ok=True)  # each run alone in its file
        wfl.configure("prod", file=path, stdout=False)
        try:
            run(TOPIC, model, rounds)
        finally:
            wfl.reset()
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
