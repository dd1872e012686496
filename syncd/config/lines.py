"""Line numbers for config keys. tomllib keeps no positions, so we scan the text.

The scan follows table headers (``[a.b]``, ``[[a]]`` with a running index per array of
tables) and ``key = value`` lines (dotted keys too), and records the first line of each key
path in the form the error messages use: ``stores[1].platform``, ``groups[0].defaults``.
It does not parse values: keys inside inline tables or multi-line arrays map to the line of
the key that holds them, and a ``key = ...`` line inside a multi-line string would be taken
for a key. Good enough to point a person at the right line; never used to read values.
"""

from __future__ import annotations

import re

_BARE_OR_QUOTED = r'(?:[A-Za-z0-9_-]+|"[^"]*"|\'[^\']*\')'
_DOTTED = rf"{_BARE_OR_QUOTED}(?:\s*\.\s*{_BARE_OR_QUOTED})*"
_KEY_LINE = re.compile(rf"\s*({_DOTTED})\s*=")
_TABLE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ARRAY_TABLE = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_SEGMENT = re.compile(_BARE_OR_QUOTED)


def _segments(dotted: str) -> list[str]:
    return [s.strip("\"'") for s in _SEGMENT.findall(dotted)]


class KeyLines:
    """Maps key paths to 1-based line numbers in one TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[str, int] = {}
        self._counts: dict[str, int] = {}  # array-of-tables path -> entries so far
        table = ""
        for number, line in enumerate(text.splitlines(), start=1):
            table = self._scan(line, number, table)

    def _scan(self, line: str, number: int, table: str) -> str:
        if match := _ARRAY_TABLE.match(line):
            path = self._indexed(_segments(match.group(1))[:-1])
            last = _join(path, _segments(match.group(1))[-1])
            index = self._counts.get(last, 0)
            self._counts[last] = index + 1
            return self._record(f"{last}[{index}]", number)
        if match := _TABLE.match(line):
            return self._record(self._indexed(_segments(match.group(1))), number)
        if match := _KEY_LINE.match(line):
            path = table
            for segment in _segments(match.group(1)):
                path = self._record(_join(path, segment), number)
        return table

    def _indexed(self, segments: list[str]) -> str:
        """``groups.defaults`` -> ``groups[2].defaults`` when groups is an array of tables."""
        path = ""
        for segment in segments:
            path = _join(path, segment)
            if path in self._counts:
                path = f"{path}[{self._counts[path] - 1}]"
        return path

    def _record(self, path: str, number: int) -> str:
        self._lines.setdefault(path, number)
        return path

    def line_of(self, key: str) -> int | None:
        """The line of ``key`` or, failing that, of the nearest enclosing key or table."""
        while key:
            if key in self._lines:
                return self._lines[key]
            key = _parent(key)
        return None


def _join(path: str, segment: str) -> str:
    return f"{path}.{segment}" if path else segment


def _parent(key: str) -> str:
    cut = max(key.rfind("."), key.rfind("["))
    return key[:cut] if cut > 0 else ""
