"""The home page (what the graph holds, a map of the member cities, the admission rounds) and the query page."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from urllib.parse import urlencode

import pyoxigraph as ox

from kg.pages import svgmap
from kg.pages.html import Context, esc, page
from kg.pages.language import t
from kg.pages.resources import places, select
from kg.stores import Store


@dataclass
class Round:
    iri: str
    dates: set[str] = field(default_factory=set)
    new: set[int] = field(default_factory=set)
    total: set[int] = field(default_factory=set)
    new_countries: set[int] = field(default_factory=set)
    total_countries: set[int] = field(default_factory=set)
    cities: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Example:
    name: str
    title: str
    query: str


def class_counts(store: Store, base: str) -> list[tuple[str, int]]:
    """(class IRI, distinct instances) for each class of our ontology, largest first."""
    rows = select(store, "page-class-counts", base)
    return [(r["class"].value, int(r["n"].value)) for r in rows if r["class"] is not None and r["n"] is not None]


def rounds(store: Store, base: str) -> list[Round]:
    """The admission rounds in date order; a figure two sources state differently keeps both values."""
    found: dict[str, Round] = {}
    for row in select(store, "page-rounds", base):
        iri = row["round"]
        if not isinstance(iri, ox.NamedNode):
            continue
        r = found.setdefault(iri.value, Round(iri.value))
        if isinstance(row["date"], ox.Literal):
            r.dates.add(row["date"].value)
        for var, values in (
            ("new", r.new),
            ("total", r.total),
            ("newCountries", r.new_countries),
            ("totalCountries", r.total_countries),
        ):
            term = row[var]
            if isinstance(term, ox.Literal) and term.value.isdigit():
                values.add(int(term.value))
        if isinstance(row["city"], ox.NamedNode):
            r.cities.add(row["city"].value)
    return sorted(found.values(), key=lambda r: (min(r.dates, default="9999"), r.iri))


def examples() -> list[Example]:
    """The example queries shipped in kg/queries/examples (the competency questions), titled by their question."""
    folder = resources.files("kg") / "queries" / "examples"
    found = []
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".rq"):
            continue
        text = item.read_text(encoding="utf-8")
        found.append(Example(item.name.removesuffix(".rq"), _title(text) or item.name, text))
    return found


def _title(text: str) -> str:
    r"""The question a query opens with: its leading comment lines up to the first question mark.

    >>> _title("# Q3. After each round, how many cities did\n# the network count?\n# Per round ...\nSELECT")
    'Q3. After each round, how many cities did the network count?'
    """
    words: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        words.append(line.lstrip("# ").strip())
        if words[-1].endswith("?"):
            break
    return " ".join(words)


def render_home(store: Store, ctx: Context, *, triples: int, graphs: int, query: dict[str, str]) -> str:
    lang = ctx.lang
    counts = class_counts(store, ctx.base)
    counts_html = "".join(
        f'<li data-class="{esc(iri)}">{ctx.link(iri)} <span class="number">{n}</span></li>' for iri, n in counts
    )
    counts_html = f'<ul class="counts">{counts_html}</ul>' if counts else f'<p class="empty">{esc(t("none", lang))}</p>'
    known = places(store, ctx.base)
    members = [p for p in known if p.member] or known
    svg = svgmap.render(members, label=ctx.labels, href=ctx.href, title=t("map", lang), width=620)
    map_html = (
        f'<figure class="map">{svg}<figcaption>{esc(t("map_note", lang))}</figcaption></figure>'
        if svg
        else f'<p class="empty">{esc(t("none", lang))}</p>'
    )
    body = f"""
<section class="intro">
<h1>{esc(t("title", lang))}</h1>
<p class="lead">{esc(t("tagline", lang))}</p>
<p class="stats"><span class="number">{triples}</span> {esc(t("triples", lang))} ·
<span class="number">{graphs}</span> {esc(t("graphs", lang))}</p>
<p class="actions"><a class="button" href="/query?lang={lang}">{esc(t("query", lang))}</a>
<a href="/sparql">SPARQL</a> · <a href="/def/?lang={lang}">{esc(t("ontology", lang))}</a> ·
<a href="/docs">{esc(t("api", lang))}</a> · <a href="/.well-known/void">{esc(t("dataset", lang))}</a></p>
</section>
<div class="columns">
<section class="map-section"><h2>{esc(t("map", lang))}</h2>{map_html}</section>
<section class="timeline"><h2>{esc(t("timeline", lang))}</h2>{_timeline(rounds(store, ctx.base), ctx)}</section>
</div>
<section class="contents"><h2>{esc(t("contents", lang))}</h2>{counts_html}</section>
"""
    return page(title=t("home", lang), body=body, lang=lang, path="/", query=query)


def _timeline(items: list[Round], ctx: Context) -> str:
    if not items:
        return f'<p class="empty">{esc(t("none", ctx.lang))}</p>'
    entries = []
    for r in items:
        when = " / ".join(sorted(r.dates)) or "?"
        figures = []
        if r.new:
            figures.append(f'+<span class="number">{_alt(r.new)}</span> {esc(t("new_cities", ctx.lang))}')
        if r.total:
            figures.append(f'<span class="number">{_alt(r.total)}</span> {esc(t("total_cities", ctx.lang))}')
        if r.total_countries:
            figures.append(f'<span class="number">{_alt(r.total_countries)}</span> {esc(t("countries", ctx.lang))}')
        cities = ", ".join(ctx.link(c) for c in sorted(r.cities, key=ctx.labels))
        admitted = f'<p class="admitted">{esc(t("admitted", ctx.lang))}: {cities}</p>' if cities else ""
        entries.append(
            f'<li><time dir="ltr">{esc(when)}</time><div class="round">{ctx.link(r.iri)}'
            f'<p class="figures">{" · ".join(figures)}</p>{admitted}</div></li>'
        )
    return f'<ol class="timeline">{"".join(entries)}</ol>'


def _alt(values: set[int]) -> str:
    # sources that disagree are both shown, rather than one silently chosen
    return " / ".join(str(v) for v in sorted(values))


def render_query(ctx: Context, *, initial: str, query: dict[str, str]) -> str:
    lang = ctx.lang
    shipped = examples()
    text = initial or (shipped[0].query if shipped else "SELECT * WHERE { ?s ?p ?o } LIMIT 10")
    buttons = "".join(
        f'<li><button type="button" class="example" data-name="{esc(e.name)}" data-query="{esc(e.query)}">'
        f'{esc(e.title)}</button> <a class="permalink" href="/query?{esc(urlencode({"query": e.query, "lang": lang}))}"'
        f' title="{esc(e.name)}">#</a></li>'
        for e in shipped
    )
    body = f"""
<h1>{esc(t("query", lang))}</h1>
<div class="query-layout">
<form id="query-form" class="editor" action="/sparql" method="post" data-base="{esc(ctx.base)}"
 data-lang="{esc(lang)}" data-empty="{esc(t("no_results", lang))}">
<label for="query">{esc(t("editor", lang))}</label>
<textarea id="query" name="query" rows="16" spellcheck="false" dir="ltr">{esc(text)}</textarea>
<p class="help">{esc(t("query_help", lang))}</p>
<p><button type="submit" id="run" class="button">{esc(t("run", lang))}</button>
<span id="status" role="status"></span></p>
</form>
<aside class="examples"><h2>{esc(t("examples", lang))}</h2><ol>{buttons}</ol></aside>
</div>
<section id="results-section"><h2>{esc(t("results", lang))}</h2>
<p id="downloads" class="downloads" data-label="{esc(t("download", lang))}"></p>
<div id="results"></div></section>
"""
    return page(title=t("query", lang), body=body, lang=lang, path="/query", query=query, scripts=("query.js",))
