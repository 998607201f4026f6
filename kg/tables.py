"""SELECT and ASK results as a plain-text table for a terminal."""

from __future__ import annotations

import pyoxigraph as ox

MAX_CELL = 60  # wider cells are cut with an ellipsis, so a long literal does not wreck the layout


def cell(term: object) -> str:
    """A term as a person reads it: IRIs in angle brackets, literals as their text with language or type.

    >>> cell(ox.Literal("فاس", language="ar"))
    'فاس@ar'
    >>> cell(ox.NamedNode("http://example.org/a"))
    '<http://example.org/a>'
    >>> cell(None)
    ''
    """
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        if term.language:
            return f"{term.value}@{term.language}"
        return term.value
    return str(term)


def render_table(results: ox.QuerySolutions | ox.QueryBoolean) -> str:
    """A boxed table of solutions, or 'true'/'false' for ASK.

    >>> print(render_table(ox.Store().query("SELECT ?n WHERE { VALUES ?n { 1 22 } }")), end="")
    | n  |
    |----|
    | 1  |
    | 22 |
    2 rows
    """
    if isinstance(results, ox.QueryBoolean):
        return ("true" if bool(results) else "false") + "\n"
    names = [v.value for v in results.variables]
    rows = [[_cut(cell(solution[name])) for name in names] for solution in results]
    widths = [max([len(n), *(len(r[i]) for r in rows)]) for i, n in enumerate(names)]
    lines = [
        "| " + " | ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    lines += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    lines.append(f"{len(rows)} row{'s' if len(rows) != 1 else ''}")
    return "\n".join(lines) + "\n"


def _cut(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
