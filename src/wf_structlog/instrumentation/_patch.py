"""The SDK methods wrapped, and the wrapping: each :class:`Target` one method of one class."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from ._call import ORIGINAL, QUIET, Api, wrap_async, wrap_sync
from ._stream import watch_async, watch_sync

Wrap = Callable[[Callable[..., Any]], Callable[..., Any]]
"""Makes the wrapper of an SDK method from the method."""


@dataclasses.dataclass(frozen=True)
class Target:
    """One method of one SDK class, and how it is wrapped."""

    module: str
    owner: str
    """The class's name in :attr:`module` (``""``: a function of the module itself)."""
    method: str
    wrap: Wrap


def methods(module: str, owners: tuple[str, str], api: Api, *names: str) -> tuple[Target, ...]:
    """The methods *names* of a sync class and its async twin (*owners*), each call of them
    logged as a call of *api*."""
    sync, async_ = owners
    return tuple(
        target
        for name in names
        for target in (
            Target(module, sync, name, lambda original: wrap_sync(api, original, watch_sync)),
            Target(module, async_, name, lambda original: wrap_async(api, original, watch_async)),
        )
    )


def _owner(target: Target) -> Any:
    module = importlib.import_module(target.module)
    return getattr(module, target.owner) if target.owner else module


def patch(targets: tuple[Target, ...]) -> Callable[[], None]:
    """Wrap the method of each target; returns what puts them back as they were.

    A method this version of the SDK lacks is left out; an SDK not installed raises
    ``ImportError`` before anything is wrapped.
    """
    owners = [(_owner(t), t) for t in targets]
    patched: list[tuple[Any, str, Callable[..., Any]]] = []
    for owner, target in owners:
        original = owner.__dict__.get(target.method)
        if original is not None and getattr(original, ORIGINAL, None) is None:
            setattr(owner, target.method, target.wrap(original))
            patched.append((owner, target.method, original))

    def undo() -> None:
        for owner, name, original in patched:
            setattr(owner, name, original)

    return undo


def patch_quieting(targets: tuple[Target, ...], inside: Callable[[], bool]) -> Callable[[], None]:
    """:func:`patch` the targets of a framework that logs the SDK calls it makes itself: while
    *inside()* says this context is in such a call, the SDK instrumentations stand aside.
    Returns what undoes both."""
    undo_patch = patch(targets)
    QUIET.append(inside)

    def undo() -> None:
        undo_patch()
        QUIET.remove(inside)

    return undo
