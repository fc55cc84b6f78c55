"""A value as the dev console shows it after ``key=``: short strings bare, others quoted, long
ones cut, every character a terminal would act on escaped."""

from __future__ import annotations

from typing import Any, Final

from .ndjson import to_json
from .terminal import escape

__all__ = ["format_value"]


def format_value(value: Any, limit: int, *, clean: bool = False) -> str:
    """A value as shown after ``key=``: short strings bare, others quoted, long ones cut.

    Args:
        value: the value.
        limit: longest value shown, in characters; longer ones are cut with a count.
        clean: every string in *value* is printable ASCII without a backslash or a double
            quote (its NDJSON line had none: a JSON string cannot hold a control character
            unescaped), so ``repr`` of a string only adds its quotes and nothing needs
            escaping.
    """
    cls = type(value)  # the types JSON gives first: this runs for every value a view shows
    shown: str
    if clean and cls is str:  # repr() would only add the quotes
        quote = '"' if "'" in value else "'"
        shown = value if " " not in value and value else f"{quote}{value}{quote}"
    elif cls is str or isinstance(value, str):
        # repr() of a str escapes every character isprintable() refuses: nothing to escape.
        # The space is looked for first: it rules out the longer scan of most prose.
        if " " not in value and value and value.isprintable():
            shown = value
        else:
            cut: str | None = None
            if cls is str and len(value) + 2 > limit:
                cut = _cut_repr(value, limit)
            if cut is not None:
                return cut
            shown = repr(value)
    elif cls is int or cls is float:
        shown = repr(value)  # digits, a sign, "e", "inf" or "nan": nothing to escape
    elif isinstance(value, dict | list):
        shown = to_json(value).decode()
        if not clean:
            shown = escape(shown)  # JSON keeps C1 controls and bidi overrides
    else:
        shown = escape(repr(value))  # repr() of other objects may keep them too
    if len(shown) > limit:
        shown = f"{shown[:limit]}…(+{len(shown) - limit} chars)"
    return shown


_PRINTABLE_ASCII: Final = bytes(range(0x20, 0x7F))


def _cut_repr(text: str, limit: int) -> str | None:
    """``repr(text)`` cut as :func:`format_value` cuts it, made from the part shown alone,
    or ``None`` if *text* may hold a character that ``repr`` escapes.

    Of printable ASCII text without a backslash, ``repr`` only adds the quotes (``"`` if it
    holds a ``'``; both in it and ``repr`` escapes one): so a prompt of a thousand characters
    is checked by a few passes in C (a ``translate`` of its bytes deletes every printable
    ASCII character: what is left, ``repr`` escapes), rather than copied whole, character by
    character, to show two hundred.
    """
    if not text.isascii() or "\\" in text:
        return None
    single = "'" in text
    if (single and '"' in text) or text.encode().translate(None, _PRINTABLE_ASCII):
        return None
    quote = '"' if single else "'"
    return f"{quote}{text[: limit - 1]}…(+{len(text) + 2 - limit} chars)"
