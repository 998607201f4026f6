"""The ontology as a documentation page (terms with labels and definitions in en, fr, ar) and as RDF."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import pyoxigraph as ox

from kg.pages.html import Context, esc, page
from kg.pages.language import LANGUAGE_NAMES, RTL, pick, t
from kg.pages.resources import (
    COMMENT_PREDICATES,
    LABEL_PREDICATES,
    OWL,
    RDF,
    RDFS,
    SKOS,
    local_name,
    select,
    texts,
    texts_in,
)
from kg.pages.resources import Term as RdfTerm
from kg.stores import Store

TITLE = ox.NamedNode("http://purl.org/dc/terms/title")
KINDS = {
    OWL + "Class": "classes",
    OWL + "ObjectProperty": "properties",
    OWL + "DatatypeProperty": "properties",
    OWL + "AnnotationProperty": "properties",
    SKOS + "Concept": "concepts",
}
RELATIONS = (
    ("subclass_of", RDFS + "subClassOf"),
    ("domain", RDFS + "domain"),
    ("range", RDFS + "range"),
    ("", RDFS + "subPropertyOf"),
)


@dataclass(frozen=True)
class Term:
    iri: str
    kind: str  # classes, properties or concepts
    module: str


def modules(store: Store, base: str) -> dict[str, str]:
    """Each ontology module IRI with the named graph holding it, the core (`<base>def/`) first."""
    rows = select(store, "page-ontology-modules", base)
    found = {
        r["module"].value: r["graph"].value
        for r in rows
        # the shapes declare an owl:Ontology too, but they are constraints, not vocabulary
        if r["module"] is not None and r["graph"] is not None and r["module"].value.startswith(base + "def/")
    }
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != base + "def/", kv[0])))


def terms(store: Store, base: str) -> list[Term]:
    """Every class, property and concept an ontology module defines (rdfs:isDefinedBy)."""
    found: dict[str, Term] = {}
    for row in select(store, "page-ontology-terms", base):
        term, kind, module = row["term"], row["kind"], row["module"]
        if isinstance(term, ox.NamedNode) and isinstance(kind, ox.NamedNode) and isinstance(module, ox.NamedNode):
            found.setdefault(term.value, Term(term.value, KINDS[kind.value], module.value))
    return list(found.values())


def quads(store: Store, graphs: list[str]) -> list[ox.Quad]:
    """All statements of the given ontology graphs."""
    return [q for g in graphs for q in store.quads_for_pattern(None, None, None, ox.NamedNode(g))]


def render(store: Store, ctx: Context, *, only: str | None, path: str, query: dict[str, str]) -> str:
    """The documentation page: every module (or only the module `only`) with its terms."""
    lang = ctx.lang
    found = modules(store, ctx.base)
    shown = [m for m in found if only is None or m == only]
    by_module: dict[str, list[Term]] = defaultdict(list)
    for term in terms(store, ctx.base):
        by_module[term.module].append(term)
    main = ox.NamedNode(ctx.base + "def/")
    title = pick(texts(store, main, [TITLE]), lang)
    heading = title[0] if title else t("ontology", lang)
    toc = "".join(
        f'<li><a href="#module-{esc(_slug(m, ctx.base))}">{esc(_title(store, m, lang))}</a></li>' for m in shown
    )
    sections = "".join(_module(store, m, by_module[m], ctx) for m in shown)
    body = (
        f'<h1>{esc(heading)}</h1><p class="iri"><code dir="ltr">{esc(main.value)}</code></p>'
        f'<nav class="toc"><h2>{esc(t("modules", lang))}</h2><ol>{toc}</ol></nav>{sections}'
    )
    return page(title=heading, body=body, lang=lang, path=path, query=query, alternates=_alternates(path))


def _alternates(path: str) -> list[tuple[str, str]]:
    return [("text/turtle", f"{path}?format=turtle"), ("application/ld+json", f"{path}?format=jsonld")]


def _slug(module: str, base: str) -> str:
    rest = module[len(base + "def/") :] if module.startswith(base + "def/") else local_name(module)
    return rest or "core"


def _title(store: Store, module: str, lang: str) -> str:
    found = pick(texts(store, ox.NamedNode(module), [TITLE]), lang)
    return found[0] if found else local_name(module)


def _module(store: Store, module: str, members: list[Term], ctx: Context) -> str:
    node = ox.NamedNode(module)
    comment = pick(texts(store, node, COMMENT_PREDICATES), ctx.lang)
    parts = [
        f'<section class="module" id="module-{esc(_slug(module, ctx.base))}">',
        f"<h2>{esc(_title(store, module, ctx.lang))}</h2>",
        f'<p class="iri"><code dir="ltr">{esc(module)}</code></p>',
        f"<p>{esc(comment[0])}</p>" if comment else "",
    ]
    for kind in ("classes", "properties", "concepts"):
        chosen = sorted((m for m in members if m.kind == kind), key=lambda m: local_name(m.iri).lower())
        if chosen:
            parts.append(f"<h3>{esc(t(kind, ctx.lang))}</h3>")
            parts.extend(_term(store, m, ctx) for m in chosen)
    parts.append("</section>")
    return "".join(parts)


def _term(store: Store, term: Term, ctx: Context) -> str:
    node = ox.NamedNode(term.iri)
    # one lookup for everything the entry shows: an external store answers each in a round trip of its own
    own = list(store.quads_for_pattern(node, None, None, None))
    labels = texts_in(own, LABEL_PREDICATES)
    comments = texts_in(own, COMMENT_PREDICATES)
    name = local_name(term.iri)
    anchor = name if term.kind != "concepts" else term.iri[len(ctx.base + "def/") :]
    order = [ctx.lang, *(code for code in LANGUAGE_NAMES if code != ctx.lang)]
    rows = []
    for code in order:
        if code in labels or code in comments:
            attrs = f' lang="{code}" dir="{"rtl" if code in RTL else "ltr"}"'
            label = f"<strong>{esc(labels.get(code, ''))}</strong>"
            definition = f" — {esc(comments[code])}" if code in comments else ""
            rows.append(f"<dt>{code}</dt><dd{attrs}>{label}{definition}</dd>")
    relations = []
    for key, predicate in RELATIONS:
        values = [q.object for q in own if q.predicate.value == predicate]
        if values:
            caption = t(key, ctx.lang) if key else local_name(predicate)
            rendered = ", ".join(sorted(dict.fromkeys(_expression(store, v, ctx) for v in values)))
            relations.append(f"<li><span class=relation>{esc(caption)}</span>: {rendered}</li>")
    link = ctx.href(term.iri) if term.kind == "concepts" else f"#{anchor}"
    return (
        f'<article class="term" id="{esc(anchor)}"><h4><a href="{esc(link)}">{esc(name)}</a> '
        f'<code dir="ltr">{esc(term.iri)}</code></h4><dl class="langs">{"".join(rows)}</dl>'
        f"{'<ul class=relations>' + ''.join(relations) + '</ul>' if relations else ''}</article>"
    )


def _expression(store: Store, node: RdfTerm, ctx: Context, depth: int = 0) -> str:
    """A class or datatype: a link, or `A | B` for an owl:unionOf of them."""
    if isinstance(node, ox.NamedNode):
        if node.value.startswith(ctx.base + "def/") and "/" not in node.value[len(ctx.base + "def/") :]:
            return f'<a href="#{esc(local_name(node.value))}">{esc(ctx.labels(node))}</a>'
        return ctx.link(node, text=_short(node.value))
    if isinstance(node, ox.BlankNode) and depth < 4:
        for quad in store.quads_for_pattern(node, ox.NamedNode(OWL + "unionOf"), None, None):
            members = _list(store, quad.object)
            return " | ".join(_expression(store, m, ctx, depth + 1) for m in members)
    return "…"


def _list(store: Store, head: RdfTerm) -> list[RdfTerm]:
    items: list[RdfTerm] = []
    first, rest, nil = (ox.NamedNode(RDF + n) for n in ("first", "rest", "nil"))
    seen: set[RdfTerm] = set()
    while isinstance(head, ox.BlankNode) and head not in seen:
        seen.add(head)
        items.extend(q.object for q in store.quads_for_pattern(head, first, None, None))
        head = next((q.object for q in store.quads_for_pattern(head, rest, None, None)), nil)
    return items


_KNOWN = {
    "http://www.w3.org/2001/XMLSchema#": "xsd:",
    "http://schema.org/": "schema:",
    "http://www.w3.org/ns/org#": "org:",
    "http://www.w3.org/ns/prov#": "prov:",
    "http://www.opengis.net/ont/geosparql#": "geo:",
    "http://www.w3.org/2004/02/skos/core#": "skos:",
    "http://xmlns.com/foaf/0.1/": "foaf:",
    "http://www.wikidata.org/prop/direct/": "wdt:",
    "http://www.w3.org/2002/07/owl#": "owl:",
    "http://www.w3.org/2000/01/rdf-schema#": "rdfs:",
    "http://purl.org/dc/terms/": "dcterms:",
}


def _short(iri: str) -> str:
    for ns, prefix in _KNOWN.items():
        if iri.startswith(ns):
            return prefix + iri[len(ns) :]
    return iri
