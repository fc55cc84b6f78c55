"""Text from a log, made safe for a terminal: the one place that decides what is escaped.

A log file is untrusted: whoever wrote a prompt, a tool result or a hand-made NDJSON line
chose its characters. Shown raw, ``ESC ] 2 ;`` retitles the viewer's terminal, ``ESC [ 2 J``
clears it, a carriage return overwrites the line, and a bidi override (U+202E) shows text
reversed. :func:`escape` turns every such character into a visible escape (``\\x1b``,
``\\u202e``), and :func:`terminal_console` builds the ``rich`` console that every terminal
output prints through (the console sink, ``wf-log view``, ``tree`` and ``stats``): it reads no
markup in strings, and escapes whatever a renderable still carries before it is written, so a
field a renderer forgot to escape is shown escaped all the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Final

from rich.console import Console, ConsoleOptions, RenderableType
from rich.segment import Segment

__all__ = ["BIDI_CONTROLS", "escape", "escape_lines", "terminal_console"]

BIDI_CONTROLS: Final = frozenset(
    "\u061c\u200e\u200f" + "".join(map(chr, range(0x202A, 0x202F))) + "\u2066\u2067\u2068\u2069"
)
"""Characters that reorder the text around them (embeddings, overrides, isolates, marks)."""


def escape(text: str) -> str:
    """*text* with every character that is not printable shown as its Python escape.

    Not printable, in :meth:`str.isprintable`'s sense: the C0 and C1 controls, DEL, the
    format characters (bidi controls among them), separators other than the space, and
    unassigned or surrogate code points. Everything else, letters of any script and emoji
    included, is kept.

    Args:
        text: any text.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def escape_lines(text: str) -> str:
    """:func:`escape` for each line of *text*, its line breaks kept.

    Args:
        text: any text (inside a rendered segment, ``"\\n"`` is rich's own line break).
    """
    if text.isprintable():
        return text
    return "\n".join(escape(line) for line in text.split("\n"))


class _EscapingConsole(Console):
    """A console whose every rendered segment of text is escaped before it is written."""

    def render(
        self, renderable: RenderableType, options: ConsoleOptions | None = None
    ) -> Iterable[Segment]:
        for segment in super().render(renderable, options):
            text = segment.text
            if segment.control is None and text != "\n" and not text.isprintable():
                yield Segment(escape_lines(text), segment.style)
            else:
                yield segment


def terminal_console(
    file: IO[str] | None = None, *, stderr: bool = False, soft_wrap: bool = False
) -> Console:
    """A ``rich`` console for text from logs: no markup, emoji codes or highlighting is read in
    strings, and every character :func:`escape` escapes is shown escaped.

    Args:
        file: where to write (default: ``sys.stdout``, or ``sys.stderr`` with *stderr*, as
            they are at write time).
        stderr: write to ``sys.stderr`` when *file* is ``None``.
        soft_wrap: leave long lines to the terminal to wrap (a log line stays one line).
    """
    return _EscapingConsole(
        file=file,
        stderr=stderr,
        soft_wrap=soft_wrap,
        markup=False,
        emoji=False,
        highlight=False,
    )
