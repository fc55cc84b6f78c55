"""LangChain and LangGraph logged by our callback handler: the real ``langchain-core``,
``langchain-openai`` and ``langgraph`` packages, their model calls answered by the fake server
(chat completions, tool calls scripted by the prompt), each run's NDJSON file reduced."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from conftest import llm_calls, table_dollars
from fake_llm_server import CACHED_TOKENS, FakeLLMServer, reply_to
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.messages import HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.prebuilt import ToolNode, tools_condition
from langgraph.types import Command, interrupt
from pydantic import SecretStr

import wf_structlog as wfl
from wf_structlog.instrumentation._call import LLMCall
from wf_structlog.instrumentation.langchain import WfCallbackHandler
from wf_structlog.testing import Capture, capture

PROMPT = 'use add {"a": 1, "b": 2}'


@tool
def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@tool
def broken(a: int) -> int:
    """A tool that fails."""
    raise ValueError("no luck")


class Shelf(BaseRetriever):
    """A retriever with one document about anything."""

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [Document(page_content=f"about {query}")]


Documents = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Capture]:
    """The test preset, its events written to run.ndjson as well."""
    with capture(file=tmp_path / "run.ndjson") as cap:
        yield cap


@pytest.fixture
def run_file(tmp_path: Path, logs: Capture) -> Iterator[Documents]:
    """LangChain and the openai SDK both instrumented; what run.ndjson reduces to."""
    wfl.instrument("openai", "langchain")
    yield lambda: wfl.reduce(tmp_path / "run.ndjson")
    wfl.uninstrument()


@pytest.fixture
def model(fake_llm: FakeLLMServer) -> ChatOpenAI:
    """gpt-4o-mini, through the fake server (asking for usage in streams, as LangChain does by
    itself only against OpenAI's own endpoint)."""
    return ChatOpenAI(
        model="gpt-4o-mini",
        base_url=fake_llm.openai_url,
        api_key=SecretStr("test-key"),
        max_retries=0,
        stream_usage=True,
    )


def agent_graph(
    model: ChatOpenAI, *tools: Any, handle_tool_errors: bool = False
) -> Runnable[Any, Any]:
    """A LangGraph agent: node ``agent`` calls the model (sync or async as the graph runs),
    node ``tools`` runs the tools it asked for, until it answers."""
    bound = model.bind_tools(list(tools))

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    async def agent_async(state: MessagesState) -> dict[str, Any]:
        return {"messages": [await bound.ainvoke(state["messages"])]}

    graph = StateGraph(MessagesState)
    graph.add_node("agent", RunnableLambda(agent, afunc=agent_async))
    graph.add_node("tools", ToolNode(list(tools), handle_tool_errors=handle_tool_errors))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile()


def ask(prompt: str) -> MessagesState:
    return {"messages": [HumanMessage(prompt)]}


def served(server: FakeLLMServer, calls: int) -> dict[str, Any]:
    """What the fake server's last *calls* answers counted, and cost by the shipped table."""
    usage = [r["usage"] for r in server.requests[-calls:]]
    input_tokens = sum(u["input_tokens"] for u in usage)
    output_tokens = sum(u["output_tokens"] for u in usage)
    dollars = table_dollars("gpt-4o-mini", input_tokens, output_tokens, CACHED_TOKENS * calls)
    return {
        "calls": calls,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "cost": pytest.approx(dollars),
    }


def usage_of(document: dict[str, Any]) -> dict[str, Any]:
    return {k: document["usage"].get(k) for k in ("calls", "input_tokens", "output_tokens", "cost")}


def interactions(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [turn for it in document["iterations"] for turn in it["interactions"]]


def events_of(turn: dict[str, Any]) -> list[str]:
    return [a["event"] for a in turn["actions"]]


def assert_agent_run(document: dict[str, Any], server: FakeLLMServer) -> None:
    """The tool loop of agent_graph asked PROMPT: three node interactions, tokens served."""
    assert document["name"] == "LangGraph"
    assert document["status"] == "ok"
    assert document["complete"]
    first, tools, last = interactions(document)
    assert [t["agent"] for t in (first, tools, last)] == ["agent", "tools", "agent"]
    assert events_of(first) == events_of(last) == ["llm_call"]
    asked = first["actions"][0]
    assert (asked["model"], asked["response_model"]) == ("gpt-4o-mini", "gpt-4o-mini-2024-07-18")
    assert asked["tool_calls"] == ["add"]
    (call,) = tools["actions"]
    assert (call["event"], call["tool"], call["status"]) == ("tool_call", "add", "ok")
    assert (call["input"], call["output"]) == ({"a": 1, "b": 2}, "3")
    assert call["tool_call_id"]
    assert last["actions"][0]["response"] == reply_to(PROMPT)
    assert last["output"]["messages"][0]["content"] == reply_to(PROMPT)
    assert {first["actions"][0]["cost_source"], last["actions"][0]["cost_source"]} == {"table"}
    assert usage_of(document) == served(server, 2)


class TestGraphs:
    def test_a_graph_run_is_a_workflow_of_node_interactions(
        self, run_file: Documents, logs: Capture, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """A LangGraph run outside any workflow opens one; each node run is an interaction
        named after the node; the model calls are llm_call actions (once each, though the
        openai SDK is instrumented too), the tool a tool_call with its input and output; the
        tokens and cost are the fake server's, priced by the table."""
        agent_graph(model, add).invoke(ask(PROMPT))
        (document,) = run_file()
        assert_agent_run(document, fake_llm)
        assert len(llm_calls(logs)) == 2

    def test_an_async_graph_run_nests_the_same(
        self, run_file: Documents, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """ainvoke, with async nodes and the tool run by LangGraph's executor, logs the same
        document."""
        asyncio.run(agent_graph(model, add).ainvoke(ask(PROMPT)))
        (document,) = run_file()
        assert_agent_run(document, fake_llm)

    def test_runs_in_threads_and_tasks_at_once_stay_apart(
        self, run_file: Documents, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """Four runs at once (two threads, two asyncio tasks) are four workflows, each with
        its own three interactions and its own calls: parent run ids place every event."""
        graph = agent_graph(model, add)

        async def two_tasks() -> None:
            await asyncio.gather(graph.ainvoke(ask(PROMPT)), graph.ainvoke(ask(PROMPT)))

        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            ran = [pool.submit(graph.invoke, ask(PROMPT)) for _ in range(2)]
            ran.append(pool.submit(asyncio.run, two_tasks()))
            for done in ran:
                done.result()
        documents = run_file()
        assert len(documents) == 4
        for document in documents:
            assert [t["agent"] for t in interactions(document)] == ["agent", "tools", "agent"]
            assert document["complete"]
            assert document["usage"]["calls"] == 2
        total = sum(d["usage"]["input_tokens"] for d in documents)
        assert total == served(fake_llm, 8)["input_tokens"]

    def test_a_run_inside_a_workflow_joins_it(self, run_file: Documents, model: ChatOpenAI) -> None:
        """Inside the program's workflow, the nodes' interactions open there."""
        with wfl.workflow("mine"):
            agent_graph(model, add).invoke(ask(PROMPT))
        (document,) = run_file()
        assert document["name"] == "mine"
        assert [t["agent"] for t in interactions(document)] == ["agent", "tools", "agent"]

    def test_a_failing_tool_is_an_action_in_error(
        self, run_file: Documents, model: ChatOpenAI
    ) -> None:
        """A tool that raises is a tool_call with status error, in its node's errors, saying
        what it raised; with the error handed back to the model, the run goes on."""
        agent_graph(model, broken, handle_tool_errors=True).invoke(ask('use broken {"a": 1}'))
        (document,) = run_file()
        _, tools, last = interactions(document)
        (failed,) = tools["errors"]
        assert (failed["event"], failed["tool"], failed["status"]) == (
            "tool_call",
            "broken",
            "error",
        )
        assert (failed["error"], failed["error_type"]) == ("no luck", "ValueError")
        assert tools["status"] == "ok"
        assert events_of(last) == ["llm_call"]

    def test_an_error_that_ends_the_run_ends_its_scopes_in_error(
        self, run_file: Documents, model: ChatOpenAI
    ) -> None:
        """A tool error the graph does not handle reaches the caller; the node's interaction
        and the run's workflow end with status error and the exception."""
        with pytest.raises(ValueError, match="no luck"):
            agent_graph(model, broken).invoke(ask('use broken {"a": 1}'))
        (document,) = run_file()
        assert document["status"] == "error"
        _, tools = interactions(document)
        assert tools["status"] == "error"
        assert [e["event"] for e in tools["errors"]] == ["tool_call", "interaction.end"]
        assert tools["errors"][1]["exception"]["type"] == "ValueError"

    def test_a_subgraph_nests_its_nodes_in_its_own(
        self, run_file: Documents, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """A graph run as a node of another: the node is an interaction, the inner graph's
        nodes interactions inside it."""
        outer = StateGraph(MessagesState)
        outer.add_node("helper", agent_graph(model, add))
        outer.add_edge(START, "helper")
        outer.compile().invoke(ask(PROMPT))
        (document,) = run_file()
        helper, *inner = interactions(document)
        assert helper["agent"] == "helper"
        assert [t["agent"] for t in inner] == ["agent", "tools", "agent"]
        assert {t["parent_interaction_id"] for t in inner} == {helper["id"]}
        assert usage_of(document) == served(fake_llm, 2)

    def test_an_interrupt_is_no_error(self, run_file: Documents) -> None:
        """A node stopped by interrupt() ends 'interrupted', with no error, in a run that ends
        ok; resuming it is a run of its own, where the node ends ok with its output."""

        def approve(state: MessagesState) -> dict[str, Any]:
            return {"messages": [("user", interrupt("approve?"))]}

        graph = StateGraph(MessagesState)
        graph.add_node("approve", approve)
        graph.add_edge(START, "approve")
        app = graph.compile(checkpointer=InMemorySaver())
        thread: Any = {"configurable": {"thread_id": "t1"}}
        app.invoke(ask("deploy?"), config=thread)
        app.invoke(Command(resume="yes"), config=thread)
        paused, resumed = run_file()
        (asked,) = interactions(paused)
        assert (paused["status"], asked["status"], asked["errors"]) == ("ok", "interrupted", [])
        (answered,) = interactions(resumed)
        assert answered["status"] == "ok"
        assert answered["output"] == {"messages": [["user", "yes"]]}  # as the node returned it


class TestChains:
    def test_a_chain_is_a_workflow_with_one_interaction(
        self, run_file: Documents, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """A plain LCEL chain outside any workflow opens one, named after the chain, with one
        interaction (opened at its first call) holding its input, the call and its output."""
        prompt = ChatPromptTemplate.from_messages([("user", "say {word}")])
        chain = (prompt | model | StrOutputParser()).with_config(run_name="say")
        assert chain.invoke({"word": "hi"}) == reply_to("say hi")
        (document,) = run_file()
        assert document["name"] == "say"
        (turn,) = interactions(document)
        assert (turn["agent"], turn["input"], turn["output"]) == (
            "say",
            {"word": "hi"},
            "echo: say hi",
        )
        (call,) = turn["actions"]
        assert call["prompt"] == [{"role": "user", "content": "say hi"}]
        assert (call["provider"], call["response"]) == ("openai", reply_to("say hi"))
        assert turn["duration_ms"] >= call["duration_ms"]  # opened when the call started
        assert usage_of(document) == served(fake_llm, 1)

    def test_a_chain_inside_an_interaction_logs_there(
        self, run_file: Documents, model: ChatOpenAI
    ) -> None:
        """Run inside the program's interaction, a chain's calls are that interaction's
        actions: no interaction of its own."""
        with wfl.workflow("mine"), wfl.interaction("planner"):
            (model | StrOutputParser()).invoke("plan")
        (document,) = run_file()
        (turn,) = interactions(document)
        assert turn["agent"] == "planner"
        assert events_of(turn) == ["llm_call"]

    def test_a_retriever_is_an_action(self, run_file: Documents, model: ChatOpenAI) -> None:
        """A retriever's query is a retrieval action, with its documents, before the call."""
        prompt = ChatPromptTemplate.from_messages([("user", "{context} {question}")])
        rag = {"context": Shelf(), "question": RunnablePassthrough()} | prompt | model
        rag.invoke("bees")
        (document,) = run_file()
        (turn,) = interactions(document)
        assert events_of(turn) == ["retrieval", "llm_call"]
        found = turn["actions"][0]
        assert (found["retriever"], found["input"], found["status"]) == ("Shelf", "bees", "ok")
        assert [d["page_content"] for d in found["output"]] == ["about bees"]

    def test_a_stream_is_one_call_with_its_whole_text(
        self, run_file: Documents, logs: Capture, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """A chain's stream is one llm_call when it ends: the whole text, the usage the stream
        ended with, the time to its first chunk."""
        chunks = list((model | StrOutputParser()).stream("tell me more"))
        assert "".join(chunks) == reply_to("tell me more")
        (call,) = llm_calls(logs)
        assert (call["stream"], call["response"]) == (True, reply_to("tell me more"))
        assert call["time_to_first_chunk_ms"] <= call["duration_ms"]
        (document,) = run_file()
        assert usage_of(document) == served(fake_llm, 1)

    def test_a_failed_model_call_is_an_llm_call_in_error(
        self, run_file: Documents, fake_llm: FakeLLMServer
    ) -> None:
        """A model call the API refuses is an llm_call at error level with its error type; the
        chain's interaction and workflow end in error, and the SDK's exception reaches the
        caller."""
        failing = ChatOpenAI(
            model="fail-model",
            base_url=fake_llm.openai_url,
            api_key=SecretStr("k"),
            max_retries=0,
        )
        with pytest.raises(openai.BadRequestError) as raised:
            (failing | StrOutputParser()).invoke("hello")
        (document,) = run_file()
        (turn,) = interactions(document)
        call, end = turn["errors"]
        assert (call["event"], call["status"], call["error_type"]) == (
            "llm_call",
            "error",
            type(raised.value).__qualname__,  # LangChain's subclass of the SDK's error
        )
        assert (end["event"], turn["status"], document["status"]) == (
            "interaction.end",
            "error",
            "error",
        )


class TestOneCallOnce:
    def test_the_openai_instrumentation_alone_logs_invoke_with_usage(
        self, logs: Capture, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """Without the LangChain handler, ChatOpenAI.invoke and ainvoke (which go through the
        SDK's with_raw_response) are still one llm_call each, with tokens and the model that
        answered."""
        wfl.instrument("openai")
        try:
            model.invoke("hello")
            asyncio.run(model.ainvoke("hello"))
        finally:
            wfl.uninstrument()
        calls = llm_calls(logs)
        assert [c["api"] for c in calls] == ["chat.completions", "chat.completions"]
        assert {c["response_model"] for c in calls} == {"gpt-4o-mini-2024-07-18"}
        usage = [r["usage"] for r in fake_llm.requests[-2:]]
        assert [(c["input_tokens"], c["output_tokens"]) for c in calls] == [
            (u["input_tokens"], u["output_tokens"]) for u in usage
        ]

    def test_with_both_on_the_handler_logs_it_and_the_sdk_stands_aside(
        self, run_file: Documents, logs: Capture, model: ChatOpenAI, oai: openai.OpenAI
    ) -> None:
        """With openai and langchain instrumented, a model call (sync or async) is logged
        once, by the handler; the program's own SDK call after it is the SDK's again."""
        model.invoke("hello")
        asyncio.run(model.ainvoke("hello"))
        oai.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}]
        )
        assert [c["api"] for c in llm_calls(logs)] == ["langchain", "langchain", "chat.completions"]

    def test_a_model_called_by_itself_is_logged_like_an_sdk_call(
        self, run_file: Documents, logs: Capture, model: ChatOpenAI
    ) -> None:
        """model.invoke outside any chain and any scope lands where an SDK call would: in an
        automatic interaction named after the provider."""
        model.invoke("hello")
        (document,) = run_file()
        (turn,) = interactions(document)
        assert turn["agent"] == "openai"
        assert events_of(turn) == ["llm_call"]

    def test_our_handler_passed_by_hand_beside_instrument_logs_once(
        self, run_file: Documents, logs: Capture, model: ChatOpenAI
    ) -> None:
        """A WfCallbackHandler in callbacks=[...] while langchain is instrumented: each run
        is logged once (LangChain adds no second one, and two of ours share the runs)."""
        handler = WfCallbackHandler()
        (model | StrOutputParser()).invoke("hi", config={"callbacks": [handler]})
        model.invoke("hi", config={"callbacks": [handler, WfCallbackHandler()]})
        assert len(llm_calls(logs)) == 2
        assert len(run_file()) == 2  # the chain's workflow, and the program's own


class TestNeverInTheWay:
    def test_a_logging_bug_leaves_the_run_untouched(
        self,
        run_file: Documents,
        model: ChatOpenAI,
        monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str],
    ) -> None:
        """When logging a call fails, the run still returns what it would, the rest of its
        structure is still logged, and the failure is said once on stderr."""

        def broken(self: LLMCall, *args: Any, **kwargs: Any) -> None:
            raise RuntimeError("bug in recording")

        monkeypatch.setattr(LLMCall, "end", broken)
        for _ in range(2):
            result = agent_graph(model, add).invoke(ask(PROMPT))
            assert result["messages"][-1].content == reply_to(PROMPT)
        assert capsys.readouterr().err.count("bug in recording") == 1
        for document in run_file():
            assert [t["agent"] for t in interactions(document)] == ["agent", "tools", "agent"]
            assert document["usage"]["calls"] == 0


class TestTurningItOn:
    def test_the_handler_alone_is_a_one_liner(
        self, logs: Capture, model: ChatOpenAI, fake_llm: FakeLLMServer
    ) -> None:
        """callbacks=[WfCallbackHandler()] logs that run, with nothing instrumented."""
        agent_graph(model, add).invoke(ask(PROMPT), config={"callbacks": [WfCallbackHandler()]})
        (document,) = logs.documents
        assert_agent_run(document, fake_llm)

    def test_uninstrumented_runs_leave_no_structure(
        self, run_file: Documents, logs: Capture, model: ChatOpenAI
    ) -> None:
        """After uninstrument(), LangChain runs log nothing."""
        wfl.uninstrument()
        agent_graph(model, add).invoke(ask(PROMPT))
        assert logs.events == []

    def test_the_environment_turns_it_on(
        self, model: ChatOpenAI, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """WF_LOG_INSTRUMENT=langchain adds our handler to every run, like an SDK's."""
        monkeypatch.setenv("WF_LOG_INSTRUMENT", "langchain")
        wfl.configure("test")
        try:
            agent_graph(model, add).invoke(ask(PROMPT))
        finally:
            wfl.uninstrument()
        agents = [e["agent"] for e in wfl.testing.events() if e["event"] == "llm_call"]
        assert agents == ["agent", "agent"]
