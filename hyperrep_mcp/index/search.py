"""The search query language of `search_messages` (SPEC 2), parsed here and never handed to FTS5 raw.

Words must all appear (case- and accent-insensitive); `word*` matches a prefix; "quoted phrases"
match words side by side; `OR` between two terms accepts either. Everything else a person might type
(`-`, `:`, `^`, `NEAR`, parentheses, stray quotes) is plain text: each term is emitted double-quoted,
so FTS5 never sees its own syntax from the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
_WORDISH = re.compile(r"\w", re.UNICODE)


class QueryError(ValueError):
    """A query that cannot be searched; the message names `query` and the fix."""


@dataclass(frozen=True)
class Term:
    text: str
    prefix: bool = False
    phrase: bool = False

    def fts(self) -> str:
        quoted = '"' + self.text.replace('"', '""') + '"'
        return quoted + "*" if self.prefix else quoted

    def describe(self) -> str:
        if self.phrase:
            return f'"{self.text}"'
        return self.text + ("*" if self.prefix else "")


@dataclass(frozen=True)
class ParsedQuery:
    groups: tuple[tuple[Term, ...], ...]  # all groups must match; any term of a group may

    def fts(self) -> str:
        parts = []
        for group in self.groups:
            alts = " OR ".join(t.fts() for t in group)
            parts.append(f"({alts})" if len(group) > 1 else alts)
        return " AND ".join(parts)

    def describe(self) -> str:
        return " ".join(" OR ".join(t.describe() for t in group) for group in self.groups)


def parse_query(text: str | None) -> ParsedQuery:
    """Parse a person's query; QueryError (naming `query`) when nothing searchable is left."""
    if text is None or not text.strip():
        raise QueryError('query is empty: give words to look for, e.g. query="insurance adjuster".')
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            f"query is {len(text)} characters long; at most {MAX_QUERY_CHARS}. Use a few distinctive words."
        )
    groups: list[list[Term]] = []
    pending_or = False
    for m in _TOKEN.finditer(text):
        phrase, word = m.group(1), m.group(2)
        if word == "OR":
            pending_or = bool(groups)
            continue
        if phrase is not None:
            body = " ".join(phrase.split())
            term = Term(body, phrase=True) if _WORDISH.search(body) else None
        else:
            prefix = word.endswith("*")
            core = word.rstrip("*")
            term = Term(core, prefix=prefix) if _WORDISH.search(core) else None
        if term is None:
            pending_or = False if not groups else pending_or
            continue
        if pending_or and groups:
            groups[-1].append(term)
        else:
            groups.append([term])
        pending_or = False
    if not groups:
        raise QueryError(
            f"query {text!r} has no words to search for (punctuation alone matches nothing). "
            'Use words or "quoted phrases", e.g. query="gutter guards".'
        )
    if sum(len(g) for g in groups) > MAX_TERMS:
        raise QueryError(f"query has more than {MAX_TERMS} terms; use fewer, more distinctive words.")
    return ParsedQuery(tuple(tuple(g) for g in groups))
