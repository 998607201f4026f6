"""Checks of submitted data against the stored graph: referenced entities exist, probable duplicate cities.

Each check is one SPARQL query with the submitted IRIs or names in a VALUES block, so its cost follows the
size of the submission (and, for names, the number of stored cities), never that of the whole store. The
checks' results have the same form as SHACL results; their source shape is `kgsh:StoreCheck-<name>`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
import rdflib
from rdflib import RDF, RDFS, BNode, URIRef
from rdflib.term import Node

from kg import named_queries
from kg.parsing import term_to_rdflib
from kg.querying import evaluate, prefixes
from kg.reports import Result, Severity, display
from kg.stores import GRAPH_RESULTS, Store

OWL_SAME_AS = rdflib.OWL.sameAs
WIKIDATA = "http://www.wikidata.org/entity/"
_NAME_LANGUAGES = ("en", "fr", "ar")

UNKNOWN = {
    "en": "{value} is not in the graph: no {expected} with this IRI is stored, and the data does not describe it.",
    "fr": "{value} n'est pas dans le graphe : aucun {expected} n'est enregistré sous cette IRI, et les données "
    "ne le décrivent pas.",
    "ar": "{value} غير موجود في الرسم البياني: لا يوجد {expected} مسجّل بهذا المعرّف، ولا تصفه البيانات.",
}
WRONG_TYPE = {
    "en": "{value} is stored as {found}, not as {expected}.",
    "fr": "{value} est enregistré comme {found}, pas comme {expected}.",
    "ar": "{value} مسجّل بوصفه {found} وليس {expected}.",
}
SAME_WIKIDATA = {
    "en": "Probable duplicate of the stored city {other}: both are owl:sameAs {value}.",
    "fr": "Doublon probable de la ville enregistrée {other} : toutes deux sont owl:sameAs {value}.",
    "ar": "تكرار محتمل للمدينة المسجّلة {other}: كلتاهما owl:sameAs {value}.",
}
SAME_NAME = {
    "en": "Probable duplicate of the stored city {other} ({name}): the same name {value}.",
    "fr": "Doublon probable de la ville enregistrée {other} ({name}) : le même nom {value}.",
    "ar": "تكرار محتمل للمدينة المسجّلة {other} ({name}): الاسم نفسه {value}.",
}
SAME_NAME_OTHER_COUNTRY = {
    "en": "Same name {value} as the stored city {other} ({name}) in another country: check it is not the same city.",
    "fr": "Même nom {value} que la ville enregistrée {other} ({name}) dans un autre pays : vérifiez qu'il ne "
    "s'agit pas de la même ville.",
    "ar": "الاسم {value} نفسه للمدينة المسجّلة {other} ({name}) في بلد آخر: تحقّق من أنها ليست المدينة نفسها.",
}
NO_CITY = {
    "en": "This data describes no city, nor anything else of the Learning Cities model (found types: {types}).",
    "fr": "Ces données ne décrivent aucune ville, ni rien d'autre du modèle des villes apprenantes "
    "(types trouvés : {types}).",
    "ar": "لا تصف هذه البيانات أي مدينة ولا أي شيء آخر من نموذج مدن التعلّم (الأنواع الموجودة: {types}).",
}


@dataclass(frozen=True)
class Vocabulary:
    """What the checks need from the ontology and the IRI scheme."""

    base: str
    superclasses: Mapping[Node, frozenset[Node]]  # each class with itself and all its superclasses
    graph: rdflib.Graph  # for prefixes when messages name terms

    def kg(self, name: str) -> URIRef:
        return URIRef(self.base + "def/" + name)

    def check(self, name: str, *, kind: str = "StoreCheck") -> URIRef:
        return URIRef(f"{self.base}shapes/{kind}-{name}")

    def classes_of(self, types: Iterable[Node]) -> set[Node]:
        out: set[Node] = set()
        for t in types:
            out |= self.superclasses.get(t, frozenset({t}))
        return out


def report_prefixes(base: str) -> dict[str, str]:
    """The prefixes reports write terms with: the query prefixes, and a few kinds of entity.

    >>> report_prefixes("https://w3id.org/learning-cities/")["city"]
    'https://w3id.org/learning-cities/id/city/'
    """
    kinds = {kind: f"{base}id/{kind}/" for kind in ("city", "country", "region", "network", "membership", "round")}
    return {**prefixes(base), **kinds}


def vocabulary(ontology: rdflib.Graph, base: str) -> Vocabulary:
    """The class hierarchy of `ontology`, closed under rdfs:subClassOf."""
    superclasses = {
        c: frozenset(x for x in ontology.transitive_objects(c, RDFS.subClassOf) if x is not None)
        for c in set(ontology.subjects(RDFS.subClassOf, None)) | set(ontology.objects(None, RDFS.subClassOf))
    }
    graph = rdflib.Graph(bind_namespaces="core")
    for prefix, ns in report_prefixes(base).items():
        graph.bind(prefix, ns, override=True, replace=True)
    return Vocabulary(base, superclasses, graph)


def references(vocab: Vocabulary) -> dict[URIRef, tuple[URIRef, ...]]:
    """The properties whose values must be stored or described entities, with the classes they allow."""
    k = vocab.kg
    return {
        k("country"): (k("Country"),),
        k("locatedIn"): (k("AdministrativeRegion"), k("Territory")),
        k("capitalOf"): (k("AdministrativeRegion"), k("Country")),
        k("network"): (k("Network"),),
        k("ofNetwork"): (k("Network"),),
        k("member"): (k("City"),),
        k("admissionRound"): (k("AdmissionRound"),),
    }


def stored_context(store: Store, data: rdflib.Graph, vocab: Vocabulary) -> rdflib.Graph:
    """Stored facts the shapes need about the entities `data` describes or points at (see validate-context.rq)."""
    iris = {s for s in data.subjects() if isinstance(s, URIRef)}
    iris |= {o for p, o in data.predicate_objects() if isinstance(o, URIRef) and p != RDF.type}
    iris = {i for i in iris if not i.startswith(WIKIDATA)}
    context = rdflib.Graph()
    if not iris:
        return context
    results = evaluate(store, _query("validate-context", "s", _named(iris)), base=vocab.base)
    assert isinstance(results, GRAPH_RESULTS)
    for t in results:
        context.add((term_to_rdflib(t.subject), term_to_rdflib(t.predicate), term_to_rdflib(t.object)))
    return context


def reference_results(data: rdflib.Graph, context: rdflib.Graph, vocab: Vocabulary) -> list[Result]:
    """A Violation for each reference to an entity that neither the data nor the store describes, or that
    the store has with a type the property does not allow."""
    out = []
    for prop, allowed in references(vocab).items():
        for s, o in data.subject_objects(prop):
            if not isinstance(o, URIRef) or (o, RDF.type, None) in data:
                continue  # described in the data itself: the shapes check its type
            stored = vocab.classes_of(context.objects(o, RDF.type))
            expected = " | ".join(display(c, vocab.graph) for c in allowed)
            if not stored:
                out.append(_result(vocab, s, prop, o, "unknownReference", UNKNOWN, expected=expected))
            elif not stored & set(allowed):
                found = ", ".join(sorted(display(t, vocab.graph) for t in context.objects(o, RDF.type)))
                out.append(_result(vocab, s, prop, o, "wrongType", WRONG_TYPE, expected=expected, found=found))
    return out


def duplicate_results(store: Store, data: rdflib.Graph, context: rdflib.Graph, vocab: Vocabulary) -> list[Result]:
    """Cities new to the store that share a Wikidata id (a Violation) or a name (in en/fr/ar, ignoring case
    and accents) with a stored city: a Violation, or a Warning when the two state different countries."""
    city = vocab.kg("City")
    new_cities = [
        c
        for c in set(data.subjects(RDF.type, None))
        if city in vocab.classes_of(data.objects(c, RDF.type)) and (c, RDF.type, None) not in context
    ]
    if not new_cities:
        return []
    return _same_wikidata(store, data, vocab, new_cities) + _same_name(store, data, vocab, new_cities)


def _same_wikidata(store: Store, data: rdflib.Graph, vocab: Vocabulary, cities: list[Node]) -> list[Result]:
    links = {(c, wd) for c in cities for wd in data.objects(c, OWL_SAME_AS) if str(wd).startswith(WIKIDATA)}
    if not links:
        return []
    query = _query("validate-same-wikidata", "wd", _named({wd for _, wd in links if isinstance(wd, URIRef)}))
    rows = evaluate(store, query, base=vocab.base)
    assert isinstance(rows, ox.QuerySolutions)
    stored_by_wd: dict[Node, set[Node]] = {}
    for row in rows:
        stored_by_wd.setdefault(term_to_rdflib(row["wd"]), set()).add(term_to_rdflib(row["stored"]))
    out = []
    for c, wd in sorted(links, key=str):
        for other in sorted(stored_by_wd.get(wd, ()), key=str):
            shown = f"<{other}>"
            out.append(_result(vocab, c, OWL_SAME_AS, wd, "probableDuplicate", SAME_WIKIDATA, other=shown))
    return out


def _same_name(store: Store, data: rdflib.Graph, vocab: Vocabulary, cities: list[Node]) -> list[Result]:
    names: dict[str, list[tuple[Node, rdflib.Literal]]] = {}
    for c in cities:
        for label in data.objects(c, RDFS.label):
            if isinstance(label, rdflib.Literal) and label.language in _NAME_LANGUAGES:
                names.setdefault(fold(str(label)), []).append((c, label))
    if not names:
        return []
    rows = evaluate(store, named_queries.load("validate-same-name"), base=vocab.base)
    assert isinstance(rows, ox.QuerySolutions)
    # (stored city, folded name) -> the first stored name met, and the stored countries
    found: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for row in rows:
        key = fold(str(row["label"].value))
        if key in names:
            countries = set(str(row["countries"].value).split()) if row["countries"] else set()
            name, known = found.setdefault((str(row["stored"].value), key), (str(row["label"].value), set()))
            known |= countries
    country = vocab.kg("country")
    out = []
    for (stored, key), (name, stored_countries) in sorted(found.items()):
        for c, label in names[key]:
            mine = {str(x) for x in data.objects(c, country)}
            elsewhere = bool(mine and stored_countries and not mine & stored_countries)
            out.append(
                _result(
                    vocab,
                    c,
                    RDFS.label,
                    label,
                    "probableDuplicate",
                    SAME_NAME_OTHER_COUNTRY if elsewhere else SAME_NAME,
                    severity="Warning" if elsewhere else "Violation",
                    other=f"<{stored}>",
                    name=name,
                )
            )
    return sorted(out, key=lambda r: (str(r.focus), str(r.value)))


def no_city_result(data: rdflib.Graph, context: rdflib.Graph, vocab: Vocabulary) -> Result | None:
    """A Violation when nothing in the data is typed (in the data or the store) with a class of our model."""
    model = vocab.base + "def/"
    types = set(data.objects(None, RDF.type))
    subjects = set(data.subjects())
    stored = {t for s in subjects for t in context.objects(s, RDF.type)}
    if any(str(c).startswith(model) for c in vocab.classes_of(types | stored)):
        return None
    if not subjects:
        return None
    focus = min(subjects, key=lambda s: (isinstance(s, BNode), str(s)))
    found = ", ".join(sorted(display(t, vocab.graph) for t in types)) or "-"
    no_city = vocab.check("noCity", kind="DataCheck")
    return Result(
        focus=focus,
        path=None,
        value=None,
        severity="Violation",
        component=no_city,
        shape=no_city,
        messages=tuple((lang, text.format(types=found)) for lang, text in NO_CITY.items()),
    )


def fold(name: str) -> str:
    """A name as duplicates are compared: case, accents and punctuation set aside.

    >>> fold("Fès") == fold(" FES ") == fold("fes")
    True
    >>> fold("Aït-Melloul") == fold("ait melloul")
    True
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    kept = "".join(ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(kept.split())


def _result(
    vocab: Vocabulary,
    focus: Node,
    path: URIRef,
    value: Node,
    check: str,
    templates: Mapping[str, str],
    *,
    severity: Severity = "Violation",
    **params: str,
) -> Result:
    shown = {"value": display(value, vocab.graph), **params}
    iri = vocab.check(check)
    return Result(
        focus=focus,
        path=path,
        value=value,
        severity=severity,
        component=iri,
        shape=iri,
        messages=tuple((lang, text.format(**shown)) for lang, text in templates.items()),
        params=tuple(params.items()),
    )


def _named(iris: Iterable[URIRef]) -> str:
    # terms built by pyoxigraph, which checks each IRI and escapes it, never raw request text
    return " ".join(str(ox.NamedNode(str(i))) for i in sorted(iris))


def _query(name: str, variable: str, values: str) -> str:
    text = named_queries.load(name)
    placeholder = f"VALUES ?{variable} {{ }}"
    assert placeholder in text, f"{name}.rq has no `{placeholder}` line"
    return text.replace(placeholder, f"VALUES ?{variable} {{ {values} }}")
