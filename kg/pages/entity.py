"""The HTML page of one resource: labels, facts with their sources, links both ways, Wikidata, a small map."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pyoxigraph as ox

from kg.pages import svgmap
from kg.pages.html import Context, esc, page, table
from kg.pages.language import pick, t
from kg.pages.media import RDF_FORMATS
from kg.pages.resources import (
    COMMENT_PREDICATES,
    LABEL_PREDICATES,
    SAME_AS,
    TYPE,
    WD,
    Fact,
    Source,
    facts,
    graph_sources,
    incoming,
    local_name,
    places,
    texts,
)
from kg.stores import Store

LIKELY_WIKIDATA = "def/likelyWikidataId"
FORMAT_NAMES = {"turtle": "Turtle", "jsonld": "JSON-LD", "ntriples": "N-Triples", "rdfxml": "RDF/XML"}
FORMAT_NAMES |= {"trig": "TriG", "nquads": "N-Quads"}


def render(store: Store, node: ox.NamedNode, ctx: Context, *, path: str, query: dict[str, str]) -> str:
    """The page of `node` in `ctx.lang`."""
    lang, base = ctx.lang, ctx.base
    own = facts(store, node)
    sources = graph_sources(store, base)
    label, label_lang = ctx.labels.get(node)
    comment = pick(texts(store, node, COMMENT_PREDICATES), lang)
    types = [f.value for f in own if f.predicate == TYPE and isinstance(f.value, ox.NamedNode)]
    cited: dict[str, Source] = {}

    header = [f'<p class="types">{" · ".join(ctx.link(ty) for ty in _unique(types))}</p>' if types else ""]
    header.append(f"<h1{_other_lang(label_lang, lang)}>{esc(label)}</h1>")
    header.append(f'<p class="iri"><code dir="ltr">{esc(node.value)}</code></p>')
    if comment:
        header.append(f'<p class="comment"{_other_lang(comment[1], lang)}>{esc(comment[0])}</p>')

    aside = [_wikidata(own, base, lang), _minimap(store, node, ctx)]

    literal_facts = [f for f in own if isinstance(f.value, ox.Literal)]
    link_facts = [f for f in own if not isinstance(f.value, ox.Literal)]
    back = incoming(store, node)
    sections = [
        _section("facts", t("facts", lang), _facts_table(literal_facts, ctx, store, sources, cited)),
        _section("outgoing", t("outgoing", lang), _facts_table(link_facts, ctx, store, sources, cited)),
        _section("incoming", t("incoming", lang), _incoming_table(back, ctx, sources, cited)),
        _section("sources", t("sources", lang), _sources_list(store, cited, ctx)),
    ]
    alternates = [
        (fmt.media_type, f"{path}?format={name}") for name, fmt in zip(FORMAT_NAMES, RDF_FORMATS, strict=True)
    ]
    formats = " · ".join(
        f'<a href="{esc(h)}" type="{esc(m)}">{n}</a>'
        for (m, h), n in zip(alternates, FORMAT_NAMES.values(), strict=True)
    )
    body = (
        f'<article class="resource"><header class="resource">{"".join(header)}</header>'
        f'<div class="aside">{"".join(a for a in aside if a)}</div>'
        f"{''.join(sections)}"
        f'<p class="formats">{esc(t("formats", lang))}: {formats}</p></article>'
    )
    return page(title=label, body=body, lang=lang, path=path, query=query, alternates=alternates)


def _unique(items: Iterable[ox.NamedNode]) -> list[ox.NamedNode]:
    return list(dict.fromkeys(items))


def _other_lang(text_lang: str, page_lang: str) -> str:
    if not text_lang or text_lang == page_lang:
        return ""
    return f' lang="{esc(text_lang)}" dir="{"rtl" if text_lang == "ar" else "ltr"}"'


def _section(css: str, heading: str, content: str) -> str:
    return f'<section class="{css}"><h2>{esc(heading)}</h2>{content}</section>'


def _order(fact: Fact, ctx: Context) -> tuple[int, str, str]:
    first = {TYPE: 0, LABEL_PREDICATES[0]: 1, LABEL_PREDICATES[1]: 1, COMMENT_PREDICATES[0]: 2}
    return first.get(fact.predicate, 3), ctx.labels(fact.predicate).lower(), str(fact.value)


def _facts_table(
    rows: Sequence[Fact], ctx: Context, store: Store, sources: dict[str, list[Source]], cited: dict[str, Source]
) -> str:
    if not rows:
        return f'<p class="empty">{esc(t("none", ctx.lang))}</p>'
    cells = [
        (
            ctx.link(f.predicate, term=True),
            _value(f.value, ctx, store, depth=0),
            _source_chips(f.graphs, ctx, sources, cited),
        )
        for f in sorted(rows, key=lambda f: _order(f, ctx))
    ]
    headers = (t("property", ctx.lang), t("value", ctx.lang), t("sources", ctx.lang))
    return table((esc(h) for h in headers), cells, css="facts")


def _incoming_table(
    rows: Sequence[Fact], ctx: Context, sources: dict[str, list[Source]], cited: dict[str, Source]
) -> str:
    shown = [f for f in rows if isinstance(f.subject, ox.NamedNode)]
    if not shown:
        return f'<p class="empty">{esc(t("none", ctx.lang))}</p>'
    ordered = sorted(shown, key=lambda f: (ctx.labels(f.predicate).lower(), ctx.labels(f.subject.value).lower()))
    cells = [
        (ctx.link(f.subject.value), ctx.link(f.predicate, term=True), _source_chips(f.graphs, ctx, sources, cited))
        for f in ordered
    ]
    headers = (t("subject", ctx.lang), t("property", ctx.lang), t("sources", ctx.lang))
    return table((esc(h) for h in headers), cells, css="facts incoming")


def _value(value: ox.NamedNode | ox.BlankNode | ox.Literal, ctx: Context, store: Store, *, depth: int) -> str:
    if isinstance(value, ox.Literal):
        return ctx.literal(value)
    if isinstance(value, ox.NamedNode):
        return ctx.link(value)
    if depth >= 3:
        return "…"
    # a blank node has no page of its own, so what it says is shown in place
    inner = sorted(facts(store, value), key=lambda f: _order(f, ctx))
    items = "".join(
        f"<li>{ctx.link(f.predicate, term=True)}: {_value(f.value, ctx, store, depth=depth + 1)}</li>" for f in inner
    )
    return f'<ul class="blank">{items}</ul>'


def _source_chips(
    graphs: Iterable[str], ctx: Context, sources: dict[str, list[Source]], cited: dict[str, Source]
) -> str:
    chips: dict[str, str] = {}
    ordered = sorted(graphs, key=lambda g: (not any(s.article for s in sources.get(g, [])), g))
    for graph in ordered:
        articles = [s for s in sources.get(graph, []) if s.article]
        # a source article's graph is cited as the article; any other graph is cited as itself
        for source in articles or [Source(graph, article=False)]:
            cited.setdefault(source.iri, source)
            short = local_name(source.iri) if source.article else _graph_name(source.iri, ctx.base)
            css = "source article" if source.article else "source graph"
            chips[source.iri] = (
                f'<a class="{css}" href="{esc(ctx.href(source.iri))}" title="{esc(ctx.labels(source.iri))}">'
                f"{esc(short)}</a>"
            )
    return " ".join(chips.values())


def _graph_name(iri: str, base: str) -> str:
    prefix = base + "graph/"
    return iri[len(prefix) :] if iri.startswith(prefix) else local_name(iri)


def _sources_list(store: Store, cited: dict[str, Source], ctx: Context) -> str:
    if not cited:
        return f'<p class="empty">{esc(t("none", ctx.lang))}</p>'
    items = []
    for source in sorted(cited.values(), key=lambda s: (not s.article, s.iri)):
        short = local_name(source.iri) if source.article else _graph_name(source.iri, ctx.base)
        url = next(
            (
                q.object.value
                for q in store.quads_for_pattern(
                    ox.NamedNode(source.iri), ox.NamedNode("http://schema.org/url"), None, None
                )
                if isinstance(q.object, ox.Literal)
            ),
            None,
        )
        extra = f' — <a class="external" href="{esc(url)}" dir="ltr">{esc(url)}</a>' if url else ""
        items.append(f'<li><span class="source-id">{esc(short)}</span> {ctx.link(source.iri)}{extra}</li>')
    return f'<ul class="sources">{"".join(items)}</ul>'


def _wikidata(own: Sequence[Fact], base: str, lang: str) -> str:
    links = []
    for f in own:
        if f.predicate == SAME_AS and isinstance(f.value, ox.NamedNode) and f.value.value.startswith(WD):
            qid = f.value.value[len(WD) :]
            links.append(f'<a class="external wikidata" href="https://www.wikidata.org/wiki/{esc(qid)}">{esc(qid)}</a>')
        elif f.predicate.value == base + LIKELY_WIKIDATA and isinstance(f.value, ox.Literal):
            qid = f.value.value
            links.append(
                f'<a class="external wikidata likely" href="https://www.wikidata.org/wiki/{esc(qid)}">{esc(qid)}</a>'
                f" <small>({esc(t('likely', lang))})</small>"
            )
    if not links:
        return ""
    return f'<p class="wikidata"><strong>{esc(t("wikidata", lang))}:</strong> {" ".join(dict.fromkeys(links))}</p>'


def _minimap(store: Store, node: ox.NamedNode, ctx: Context) -> str:
    known = places(store, ctx.base)
    here = next((p for p in known if p.iri == node.value), None)
    if here is None:
        return ""
    svg = svgmap.render(known, label=ctx.labels, href=ctx.href, highlight=node.value, width=420, title=ctx.labels(node))
    caption = f"{esc(t('position', ctx.lang))}: <span dir=ltr>{here.lat:.4f}, {here.long:.4f}</span>"
    return f'<figure class="minimap">{svg}<figcaption>{caption}</figcaption></figure>'
