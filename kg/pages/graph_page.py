"""A named graph's own page: where its statements come from, how many there are, which resources they describe."""

from __future__ import annotations

import pyoxigraph as ox

from kg.pages import entity
from kg.pages.html import Context, esc, local_path, page
from kg.pages.language import t
from kg.pages.resources import description, graph_sources, local_name
from kg.pages.void import VOID, XSD
from kg.stores import Store

SHOWN_SUBJECTS = 500  # a page lists at most this many resources; the dump has them all


def size(store: Store, graph: ox.NamedNode) -> int:
    return sum(1 for _ in store.quads_for_pattern(None, None, None, graph))


def describe(store: Store, graph: ox.NamedNode) -> list[ox.Quad]:
    """The graph's description (from graph/provenance and graph/load) and its size as void:triples."""
    count = ox.Literal(str(size(store, graph)), datatype=ox.NamedNode(XSD + "integer"))
    return [*description(store, graph), ox.Quad(graph, ox.NamedNode(VOID + "triples"), count, ox.DefaultGraph())]


def render(store: Store, graph: ox.NamedNode, ctx: Context, *, path: str, query: dict[str, str]) -> str:
    lang = ctx.lang
    subjects = sorted(
        {
            q.subject.value
            for q in store.quads_for_pattern(None, None, None, graph)
            if isinstance(q.subject, ox.NamedNode)
        },
        key=lambda iri: (ctx.labels(iri).lower(), iri),
    )
    derived = graph_sources(store, ctx.base).get(graph.value, [])
    derived_html = (
        "".join(f"<li>{_source_link(s.iri, ctx)}</li>" for s in derived) or f"<li>{esc(t('none', lang))}</li>"
    )
    listed = "".join(f"<li>{ctx.link(s)}</li>" for s in subjects[:SHOWN_SUBJECTS])
    more = f"<li>… {len(subjects) - SHOWN_SUBJECTS}</li>" if len(subjects) > SHOWN_SUBJECTS else ""
    facts = entity.render(store, graph, ctx, path=path, query=query) if _described(store, graph) else ""
    summary = (
        f'<section class="graph-summary"><p class="kind">{esc(t("graph", lang))}: '
        f'<span class="number">{size(store, graph)}</span> {esc(t("triples", lang))}</p>'
        f'<h2>{esc(t("derived_from", lang))}</h2><ul class="sources">{derived_html}</ul>'
        f'<h2>{esc(t("graph_subjects", lang))}</h2><ul class="subjects">{listed}{more}</ul></section>'
    )
    if facts:
        # the described graph's page, with the summary in front of its facts
        return facts.replace('<div class="aside">', summary + '<div class="aside">', 1)
    body = (
        f'<h1>{esc(local_name(graph.value))}</h1><p class="iri"><code dir="ltr">{esc(graph.value)}</code></p>{summary}'
    )
    return page(title=local_name(graph.value), body=body, lang=lang, path=path, query=query)


def _described(store: Store, graph: ox.NamedNode) -> bool:
    return any(True for _ in store.quads_for_pattern(graph, None, None, None))


def _source_link(iri: str, ctx: Context) -> str:
    # an evidence URL has no label in the graph, and its full address says more than its last segment
    lang = ctx.labels.get(iri)[1]
    return ctx.link(iri) if lang or local_path(iri, ctx.base) else ctx.link(iri, text=iri)
