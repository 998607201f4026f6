"""Pages a person reads: home (counts, map, rounds), resource pages in en/fr/ar, the ontology page, the query page."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pyoxigraph as ox
import pytest
from starlette.exceptions import StarletteDeprecationWarning

from kg.api.app import create_app
from kg.pages.home import examples
from kg.querying import evaluate
from kg.settings import Settings
from kg.stores import Store

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2, which this project does not depend on; httpx works
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

BASE = "https://w3id.org/learning-cities/"
CRAWL_LIMIT = 400  # pages; the crawl stops there rather than walk the whole graph


@pytest.fixture(scope="module")
def client(settings: Settings, api_store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store=api_store)) as client:
        yield client


class _Page(HTMLParser):
    """The parts of a page the tests look at: the root's attributes, links, h1 text, element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, str | None] = {}
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.root = found
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        if found.get("id"):
            self.ids.add(str(found["id"]))
        self._in_h1 = self._in_h1 or tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def one_value(store: ox.Store, query: str) -> str:
    [row] = list(evaluate(store, query))  # type: ignore[arg-type]
    term = row[0]
    assert term is not None
    return str(term.value)


# --- home -------------------------------------------------------------------------------------


def test_home_counts_resources_by_class(client: TestClient, store: ox.Store) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    cities = one_value(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a kg:LearningCity }")
    counted = re.search(
        rf'<li data-class="{re.escape(BASE)}def/LearningCity">.*?<span class="number">(\d+)</span>', response.text
    )
    assert counted and counted[1] == cities and int(cities) > 0


def test_home_maps_every_member_city_with_coordinates(client: TestClient, store: ox.Store) -> None:
    html = client.get("/").text
    assert '<svg class="map"' in html
    rows = evaluate(store, "SELECT DISTINCT ?c WHERE { ?c a kg:LearningCity ; wgs:lat ?lat ; wgs:long ?long }")
    located = {row["c"].value for row in rows}  # type: ignore[union-attr]
    assert BASE + "id/city/fez" in located
    svg = html[html.index('<svg class="map"') : html.index("</svg>")]
    for city in located:
        assert f'href="/{city[len(BASE) :]}?lang=en"' in svg
    assert svg.count("<circle") == len(located)


def test_home_lists_the_admission_rounds_in_order(client: TestClient, store: ox.Store) -> None:
    html = client.get("/").text
    timeline = html[html.index('<ol class="timeline">') : html.index("</ol>", html.index('<ol class="timeline">'))]
    rounds = {row["r"].value for row in evaluate(store, "SELECT DISTINCT ?r WHERE { ?r a kg:AdmissionRound }")}  # type: ignore[union-attr]
    assert rounds
    assert timeline.count("<li>") == len(rounds)
    years = re.findall(r'<time dir="ltr">(\d{4})', timeline)
    assert years == sorted(years)
    # the 2025 round admitted Casablanca
    assert "/id/city/casablanca" in timeline


def test_home_links_to_the_other_services(client: TestClient) -> None:
    links = parse(client.get("/").text).links
    for target in ("/query?lang=en", "/sparql", "/def/?lang=en", "/.well-known/void", "/docs"):
        assert target in links


@pytest.mark.parametrize(
    ("params", "headers", "lang", "direction", "title"),
    [
        ({}, {}, "en", "ltr", "Learning Cities Knowledge Graph"),
        ({}, {"Accept-Language": "ar-MA,ar;q=0.9,en;q=0.5"}, "ar", "rtl", "الرسم المعرفي لمدن التعلّم"),
        ({"lang": "fr"}, {"Accept-Language": "ar"}, "fr", "ltr", "Graphe de connaissances des villes apprenantes"),
        ({"lang": "de"}, {"Accept-Language": "de"}, "en", "ltr", "Learning Cities Knowledge Graph"),
    ],
    ids=["default", "accept-language", "param-wins", "unknown-falls-back"],
)
def test_page_language(
    client: TestClient, params: dict[str, str], headers: dict[str, str], lang: str, direction: str, title: str
) -> None:
    response = client.get("/", params=params, headers=headers)
    page = parse(response.text)
    assert page.root == {"lang": lang, "dir": direction}
    assert page.h1 == title
    assert response.headers["content-language"] == lang
    assert "Accept-Language" in response.headers["vary"]


# --- resource pages ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "label", "direction"), [("en", "Fez", "ltr"), ("fr", "Fès", "ltr"), ("ar", "فاس", "rtl")]
)
def test_city_page_in_each_language(client: TestClient, lang: str, label: str, direction: str) -> None:
    response = client.get("/id/city/fez", params={"lang": lang})
    assert response.status_code == 200
    page = parse(response.text)
    assert page.root == {"lang": lang, "dir": direction}
    assert page.h1 == label
    # the switcher offers the other languages of this same page
    assert {"/id/city/fez?lang=en", "/id/city/fez?lang=fr", "/id/city/fez?lang=ar"} <= set(page.links)


def test_city_page_names_the_sources_of_its_facts(client: TestClient, store: ox.Store) -> None:
    html = client.get("/id/city/fez").text
    # every source article whose graph states something about Fez is cited and linked
    rows = evaluate(
        store,
        "SELECT DISTINCT ?a WHERE { GRAPH ?g { <https://w3id.org/learning-cities/id/city/fez> ?p ?o } "
        "?g prov:wasDerivedFrom ?a . ?a a kg:SourceArticle }",
    )
    articles = {row["a"].value for row in rows}  # type: ignore[union-attr]
    assert BASE + "id/article/s002" in articles
    for article in articles:
        assert f'class="source article" href="/{article[len(BASE) :]}?lang=en"' in html
    assert "https://mwnlifestyle.com/?p=7587" in html  # the article's own URL, in the sources list


def test_city_page_links_both_ways(client: TestClient) -> None:
    html = client.get("/id/city/fez").text
    outgoing = html[html.index('<section class="outgoing">') : html.index('<section class="incoming">')]
    incoming = html[html.index('<section class="incoming">') : html.index('<section class="sources">')]
    assert 'href="/id/country/morocco?lang=en"' in outgoing and ">Morocco</a>" in outgoing
    assert 'href="/id/membership/fez-gnlc?lang=en"' in incoming


def test_wikidata_link_where_same_as_exists(client: TestClient, store: ox.Store) -> None:
    html = client.get("/id/city/fez").text
    assert 'href="https://www.wikidata.org/wiki/Q80985"' in html
    # and none for a city the graph links to no Wikidata item
    unlinked = one_value(
        store,
        "SELECT ?c WHERE { ?c a kg:LearningCity FILTER NOT EXISTS { ?c owl:sameAs ?w } "
        "FILTER NOT EXISTS { ?c kg:likelyWikidataId ?q } } ORDER BY ?c LIMIT 1",
    )
    other = client.get("/" + unlinked[len(BASE) :]).text
    assert "wikidata.org" not in other


def test_city_page_has_a_map_with_the_city_highlighted(client: TestClient) -> None:
    html = client.get("/id/city/fez").text
    figure = html[html.index('<figure class="minimap">') : html.index("</figure>")]
    assert re.search(r'<a href="/id/city/fez\?lang=en" class="place member current">', figure)
    assert "34.0330" in figure


def test_data_is_escaped(settings: Settings) -> None:
    store = ox.Store()
    evil = ox.NamedNode(BASE + "id/city/evil")
    graph = ox.NamedNode(BASE + "graph/source/t1")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.add(ox.Quad(evil, label, ox.Literal('<script>alert("x")</script>', language="en"), graph))
    with TestClient(create_app(settings, store=store)) as client:
        html = client.get("/id/city/evil").text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


# --- ontology and query pages ------------------------------------------------------------------


def test_ontology_page_documents_terms_in_three_languages(client: TestClient) -> None:
    response = client.get("/def/", headers={"Accept": "text/html"})
    assert response.status_code == 200
    page = parse(response.text)
    assert {"City", "LearningCity", "member", "module-core", "module-places"} <= page.ids
    term = response.text[response.text.index('id="LearningCity"') :][:3000]
    for text in ("Learning city", "Ville apprenante", "مدينة التعلّم"):
        assert text in term
    assert 'lang="ar" dir="rtl"' in term


def test_ontology_page_in_arabic_is_right_to_left(client: TestClient) -> None:
    page = parse(client.get("/def/", params={"lang": "ar"}).text)
    assert page.root == {"lang": "ar", "dir": "rtl"}


def test_query_page_offers_the_example_questions(client: TestClient) -> None:
    html = client.get("/query").text
    page = parse(html)
    assert {"query", "query-form", "results", "downloads"} <= page.ids
    shipped = examples()
    assert len(shipped) >= 4
    for example in shipped:
        assert f'data-name="{example.name}"' in html
    assert '<script src="/static/query.js" defer></script>' in html


def test_query_page_prefills_a_linked_query(client: TestClient) -> None:
    html = client.get("/query", params={"query": "ASK { ?s <x:a&b> ?o }"}).text
    assert "ASK { ?s &lt;x:a&amp;b&gt; ?o }</textarea>" in html


@pytest.mark.parametrize("example", examples(), ids=lambda e: e.name)
def test_example_queries_answer(store: ox.Store, example: object) -> None:
    rows = list(evaluate(store, example.query))  # type: ignore[attr-defined]
    assert rows, f"{example.name} returns nothing"  # type: ignore[attr-defined]


def test_examples_are_the_competency_questions() -> None:
    titles = [e.title for e in examples()]
    assert len(titles) >= 10
    assert all(title.startswith("Q") and title.endswith("?") for title in titles), titles


@pytest.mark.parametrize(("path", "media"), [("/static/style.css", "text/css"), ("/static/query.js", "javascript")])
def test_assets_ship_with_the_package(client: TestClient, path: str, media: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert media in response.headers["content-type"]
    assert "http://" not in response.text and "https://" not in response.text  # nothing fetched from elsewhere


# --- crawl ------------------------------------------------------------------------------------


@pytest.mark.slow
def test_every_local_link_resolves(client: TestClient) -> None:
    has_sparql = any(getattr(r, "path", "") == "/sparql" for r in client.app.routes)  # type: ignore[attr-defined]
    seen: set[str] = set()
    frontier = ["/", "/?lang=ar"]
    for _depth in range(3):  # the home page, what it links to, and what those link to
        following: list[str] = []
        for url in frontier:
            if url in seen or len(seen) >= CRAWL_LIMIT:
                continue
            seen.add(url)
            response = client.get(url)
            assert response.status_code == 200, url
            if not response.headers["content-type"].startswith("text/html") or url.startswith("/docs"):
                continue
            for href in parse(response.text).links:
                target = urldefrag(href)[0]
                parts = urlsplit(target)
                if parts.scheme or parts.netloc or not target.startswith("/"):
                    continue
                if parts.path == "/sparql" and not has_sparql:
                    continue  # the endpoint is another module's; without it the link has nowhere to go
                if parts.path == "/export":
                    continue  # a full dump; test_linked_data checks it
                following.append(target)
        frontier = following
    assert len(seen) > 50
