"""The root-logger style: named workflow loggers, one verbosity, a current workflow per task."""

from __future__ import annotations

import asyncio
import logging

import pytest

import wf_structlog as wfl
from wf_structlog.testing import Capture


class TestGetWorkflowLogger:
    def test_same_object_for_the_same_name(self, logs: Capture) -> None:
        """Like logging.getLogger, one name gives one logger."""
        assert wfl.get_workflow_logger("a") is wfl.get_workflow_logger("a")
        assert wfl.get_workflow_logger("a") is not wfl.get_workflow_logger("b")

    def test_events_land_in_the_named_workflow(self, logs: Capture) -> None:
        """Outside it, a logger's events go into its workflow's named run; inside a run of
        that workflow, where the call is. Bound values are kept."""
        log = wfl.get_workflow_logger("research").bind(user="u1")
        log.info("outside")
        scope = wfl.set_current_workflow("research")
        with wfl.interaction("planner"):
            log.info("llm_call", input_tokens=5)
        scope.end()
        (document,) = logs.documents
        assert document["name"] == "research"
        assert [e["event"] for e in document["events"]] == ["outside"]
        (turn,) = document["iterations"][0]["interactions"]
        assert turn["actions"][0]["user"] == "u1"
        assert document["usage"]["input_tokens"] == 5
        assert document["complete"]

    def test_a_new_run_after_the_last_ended(self, logs: Capture) -> None:
        """Once a named run ended, the next use of the name opens a new run."""
        log = wfl.get_workflow_logger("w")
        log.info("one")
        wfl.set_current_workflow("w").end()
        log.info("two")
        wfl.set_current_workflow("w").end()
        assert [d["events"][0]["event"] for d in logs.documents] == ["one", "two"]


class TestSetCurrentWorkflow:
    def test_concurrent_tasks_keep_their_own(self, logs: Capture) -> None:
        """Each asyncio task logs into the workflow it set."""

        async def agent(name: str) -> None:
            wfl.set_current_workflow(name)
            for i in range(3):
                await asyncio.sleep(0)
                wfl.get_logger().info("step", i=i, who=name)

        async def main() -> None:
            await asyncio.gather(agent("x"), agent("y"))

        asyncio.run(main())
        for name in ("x", "y"):
            wfl.set_current_workflow(name).end()
        for document in logs.documents:
            assert {e["who"] for e in document["events"]} == {document["name"]}


class TestSetGlobalVerbosity:
    def test_changes_every_logger(self, logs: Capture) -> None:
        """One call changes the level of every logger, workflow loggers included."""
        wfl.set_global_verbosity("warning")
        wfl.get_workflow_logger("w").info("hidden")
        wfl.get_logger().info("hidden")
        wfl.set_global_verbosity(logging.DEBUG)
        wfl.get_logger().debug("shown")
        assert [e["event"] for e in logs.events if e["event"] != "workflow.start"] == ["shown"]
        assert wfl.current_settings().level == "debug"
        wfl.set_current_workflow("w").end()

    def test_unknown_level(self) -> None:
        """An unknown level raises ConfigError naming it."""
        with pytest.raises(wfl.ConfigError, match="loud"):
            wfl.set_global_verbosity("loud")
