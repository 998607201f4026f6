"""Deterministic synthetic graphs in the project's own model (docs/model.md), streamed to N-Quads.

    python benchmarks/generate.py --triples 100000 --out benchmarks/work/g100k.nq

The data is built city block by city block: a learning city (labels in en/fr/ar, coordinates, region,
country, population), its membership (date, admission round), its council and a few other institutions, the
mayor and their post, initiatives with measured outcomes and partners, sometimes an event or an award, and the
source article that states all this. Each fact goes into the named graph of that article (about one in twenty
also into an earlier article's graph, as when two articles state it); coordinates go to
graph/reference/coordinates and article descriptions to graph/provenance, as in the curated data.

Synthetic IRIs use their own slug space (`id/city/c000123`, `id/article/a000123`), so they never collide
with curated ones. Lines are written as they are made: only one block is ever held in memory. `--triples`
counts N-Quads lines (statements); the file holds at most that many and at least that many minus one block.
Beside the file, `<out>.params.json` names the entities the query mix is asked about.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BASE = "https://w3id.org/learning-cities/"
KG = BASE + "def/"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
DCT = "http://purl.org/dc/terms/"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "http://schema.org/"
GEO = "http://www.opengis.net/ont/geosparql#"
WGS = "http://www.w3.org/2003/01/geo/wgs84_pos#"

SEED = 20250601
PROVENANCE = GRAPH + "provenance"
COORDINATES = GRAPH + "reference/coordinates"
ROUNDS_GRAPH = GRAPH + "reference/rounds"

# (latin, arabic) syllables: names are made of two or three, so label searches have realistic selectivity
SYLLABLES = [
    ("ka", "كا"), ("ra", "را"), ("bel", "بل"), ("mar", "مار"), ("sa", "سا"), ("lim", "ليم"), ("to", "تو"),
    ("nor", "نور"), ("vi", "في"), ("da", "دا"), ("mo", "مو"), ("zen", "زن"), ("fa", "فا"), ("qu", "كو"),
    ("al", "ال"), ("ber", "بر"), ("ti", "تي"), ("lan", "لان"), ("go", "غو"), ("ha", "ها"), ("ri", "ري"),
    ("son", "سون"), ("ne", "ني"), ("wa", "وا"), ("dor", "دور"), ("ye", "يي"), ("mi", "مي"), ("tan", "تان"),
]  # fmt: skip
FIRST_NAMES = ["Amina", "Youssef", "Maria", "Jean", "Fatima", "Omar", "Lea", "Karim", "Sara", "Hassan", "Ines",
               "Paul", "Nadia", "Ali", "Chloe", "Samir", "Leila", "Marc", "Hana", "Tariq"]  # fmt: skip
ORG_KINDS = [
    ("University", "University of", "Université de"),
    ("Association", "Learning Association of", "Association d'apprentissage de"),
    ("GovernmentDirectorate", "Education Directorate of", "Direction de l'éducation de"),
    ("RegionalAcademy", "Regional Academy of", "Académie régionale de"),
    ("PublicAgency", "Employment Agency of", "Agence pour l'emploi de"),
    ("Chamber", "Chamber of Commerce of", "Chambre de commerce de"),
    ("HigherInstitute", "Higher Institute of", "Institut supérieur de"),
]
FOCUS_AREAS = [
    "non-formal-education", "vocational-training", "youth-empowerment", "womens-empowerment", "digital-literacy",
    "culture-and-heritage", "sport", "inclusive-education-disability", "second-chance-education",
    "sustainable-mobility", "community-learning-spaces", "continuing-training", "digital-transformation",
    "entrepreneurship-and-innovation", "literacy", "reading-culture", "intergenerational-learning",
    "higher-education", "basic-education", "partnerships-and-governance",
]  # fmt: skip
UNITS = [("person", "people trained"), ("young-person", "young people reached"), ("trainer", "trainers"),
         ("workshop", "workshops held"), ("organization", "partner organizations"),
         ("percent", "completion rate")]  # fmt: skip
ROUNDS = [("2015", "2015-09-16"), ("2016", "2016-09-19"), ("2017", "2017-09-18"), ("2019", "2019-10-01"),
          ("2020", "2020-09-10"), ("2022", "2022-03-31"), ("2024", "2024-02-28"), ("2025", "2025-12-05")]  # fmt: skip
LANGUAGES = ("en", "fr", "ar")


@dataclass(frozen=True)
class Place:
    slug: str
    en: str
    ar: str


@dataclass(frozen=True)
class Plan:
    """Sizes derived from the target alone, so the same target always gives the same file."""

    triples: int
    cities: int  # an estimate: blocks are written until the next one would not fit
    countries: int
    regions_per_country: int


def iri(value: str) -> str:
    return f"<{value}>"


def lit(text: str, *, lang: str | None = None, datatype: str | None = None) -> str:
    """An N-Quads literal.

    >>> lit('say "hi"', lang="en")
    '"say \\\\"hi\\\\""@en'
    >>> lit("3", datatype="http://www.w3.org/2001/XMLSchema#integer")
    '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'
    """
    body = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    if lang:
        return f'"{body}"@{lang}'
    if datatype:
        return f'"{body}"^^<{datatype}>'
    return f'"{body}"'


def typed(text: object, kind: str) -> str:
    return lit(str(text), datatype=XSD + kind)


class Block:
    """The quads of one unit of data, in the graph of the article that states them."""

    def __init__(self, rng: random.Random, graph: str, echo_graph: str | None) -> None:
        self.lines: list[str] = []
        self._rng, self._graph, self._echo = rng, graph, echo_graph

    def add(self, s: str, p: str, o: str, graph: str | None = None) -> None:
        g = graph or self._graph
        self.lines.append(f"{s} {p} {o} <{g}> .\n")
        # a second article stating the same fact: the fact sits in both graphs
        if graph is None and self._echo and self._rng.random() < 0.05:
            self.lines.append(f"{s} {p} {o} <{self._echo}> .\n")

    def labels(self, s: str, en: str, fr: str | None = None, ar: str | None = None) -> None:
        self.add(s, iri(RDFS + "label"), lit(en, lang="en"))
        if fr:
            self.add(s, iri(RDFS + "label"), lit(fr, lang="fr"))
        if ar:
            self.add(s, iri(RDFS + "label"), lit(ar, lang="ar"))


def name(rng: random.Random, parts: int | None = None) -> tuple[str, str]:
    """A pronounceable place name and its Arabic spelling."""
    chosen = [rng.choice(SYLLABLES) for _ in range(parts or rng.choice((2, 2, 3)))]
    return "".join(s[0] for s in chosen).capitalize(), "".join(s[1] for s in chosen)


def french(en: str) -> str:
    """The French form of a synthetic name: mostly the same, sometimes with an accent."""
    return en.replace("e", "é", 1) if len(en) % 3 == 0 else en


def t(kind: str) -> str:
    return iri(KG + kind)


def entity(kind: str, slug: str) -> str:
    return iri(f"{ID}{kind}/{slug}")


def make_plan(triples: int) -> Plan:
    cities = max(1, triples // 110)  # about 110 quads per city block
    countries = max(5, min(200, cities // 12))
    return Plan(triples, cities, countries, max(2, min(30, cities // countries // 6)))


def header(plan: Plan, rng: random.Random) -> tuple[Block, list[list[Place]]]:
    """The network, its rounds, UNESCO, countries with their national commissions, and regions."""
    b = Block(rng, PROVENANCE, None)
    gnlc = entity("network", "gnlc")
    b.add(gnlc, iri(RDF_TYPE), t("Network"), ROUNDS_GRAPH)
    b.add(gnlc, iri(RDFS + "label"), lit("UNESCO Global Network of Learning Cities", lang="en"), ROUNDS_GRAPH)
    b.add(gnlc, iri(KG + "launchYear"), typed(2013, "gYear"), ROUNDS_GRAPH)
    unesco = entity("org", "unesco")
    b.add(unesco, iri(RDF_TYPE), t("UNAgency"), ROUNDS_GRAPH)
    b.add(unesco, iri(RDFS + "label"), lit("UNESCO", lang="en"), ROUNDS_GRAPH)
    b.add(gnlc, iri(KG + "coordinatedBy"), unesco, ROUNDS_GRAPH)
    award = entity("award", "learning-city-award")
    b.add(award, iri(RDF_TYPE), t("Award"), ROUNDS_GRAPH)
    b.add(award, iri(RDFS + "label"), lit("UNESCO Learning City Award", lang="en"), ROUNDS_GRAPH)
    for year, date in ROUNDS:
        r = entity("round", f"gnlc-{year}")
        b.add(r, iri(RDF_TYPE), t("AdmissionRound"), ROUNDS_GRAPH)
        b.add(r, iri(RDFS + "label"), lit(f"GNLC admission round {year}", lang="en"), ROUNDS_GRAPH)
        b.add(r, iri(RDFS + "label"), lit(f"Cycle d'admission {year} du GNLC", lang="fr"), ROUNDS_GRAPH)
        b.add(r, iri(KG + "ofNetwork"), gnlc, ROUNDS_GRAPH)
        b.add(r, iri(KG + "date"), typed(date, "date"), ROUNDS_GRAPH)
        b.add(r, iri(KG + "announcedBy"), unesco, ROUNDS_GRAPH)
    regions: list[list[Place]] = []
    for c in range(plan.countries):
        en, ar = name(rng, 3)
        country = Place(f"k{c:03d}", en + "ia", ar + "يا")
        cs = entity("country", country.slug)
        graph = GRAPH + f"reference/countries-{c // 50}"
        b.add(cs, iri(RDF_TYPE), t("Country"), graph)
        for lang, label in zip(LANGUAGES, (country.en, french(country.en), country.ar), strict=True):
            b.add(cs, iri(RDFS + "label"), lit(label, lang=lang), graph)
        b.add(cs, iri(KG + "likelyWikidataId"), lit(f"Q{900000 + c}"), graph)
        natcom = entity("org", f"natcom-{country.slug}")
        b.add(natcom, iri(RDF_TYPE), t("NationalCommission"), graph)
        b.add(natcom, iri(RDFS + "label"), lit(f"National Commission of {country.en} for UNESCO", lang="en"), graph)
        b.add(natcom, iri(KG + "jurisdiction"), cs, graph)
        row = []
        for r in range(plan.regions_per_country):
            ren, rar = name(rng, 2)
            region = Place(f"{country.slug}-r{r:02d}", ren + " Region", "جهة " + rar)
            rs = entity("region", region.slug)
            b.add(rs, iri(RDF_TYPE), t("Region"), graph)
            b.add(rs, iri(RDFS + "label"), lit(region.en, lang="en"), graph)
            b.add(rs, iri(RDFS + "label"), lit(region.ar, lang="ar"), graph)
            b.add(rs, iri(KG + "country"), cs, graph)
            row.append(region)
        regions.append(row)
    return b, regions


class Generator:
    """Writes the blocks of one file; `orgs` counts institutions so partners can name earlier ones."""

    def __init__(self, plan: Plan, seed: int) -> None:
        self.plan = plan
        self.rng = random.Random(seed)
        self.orgs: list[str] = []
        self.runners: list[str] = []  # institutions that run an initiative of their own
        self.regions: list[list[Place]] = []

    def lines(self) -> Iterator[str]:
        head, self.regions = header(self.plan, self.rng)
        written = len(head.lines)
        yield from head.lines
        i = 0
        while True:
            block = self.city_block(i)
            if written + len(block.lines) > self.plan.triples:
                return
            written += len(block.lines)
            yield from block.lines
            i += 1

    def city_block(self, i: int) -> Block:
        rng = self.rng
        slug = f"c{i:06d}"
        graph = GRAPH + f"source/a{i:06d}"
        echo = GRAPH + f"source/a{rng.randrange(i):06d}" if i else None
        b = Block(rng, graph, echo)
        self.article(b, i, graph)
        c = rng.randrange(self.plan.countries)
        region = rng.choice(self.regions[c])
        city = entity("city", slug)
        en, ar = name(rng)
        self.city(b, city, en, ar, c, region)
        self.membership(b, city, slug, en)
        council = self.institutions(b, city, slug, en, c)
        self.mayor(b, city, slug, council)
        for n in range(rng.choice((1, 1, 2, 2, 3))):
            self.initiative(b, f"{slug}-i{n}", city, en, local=self.runners[-1])
        if rng.random() < 0.4:
            self.event(b, slug, city, en, council)
        if rng.random() < 0.08:
            self.award(b, slug, city, i)
        return b

    def article(self, b: Block, i: int, graph: str) -> None:
        rng = self.rng
        a = entity("article", f"a{i:06d}")
        lang = rng.choice(LANGUAGES)
        b.add(a, iri(RDF_TYPE), t("SourceArticle"), PROVENANCE)
        b.add(a, iri(RDFS + "label"), lit(f"Synthetic article {i}", lang="en"), PROVENANCE)
        b.add(a, iri(DCT + "language"), lit(lang), PROVENANCE)
        b.add(a, iri(DCT + "publisher"), entity("org", f"publisher-{i % 40:02d}"), PROVENANCE)
        b.add(a, iri(SCHEMA + "url"), typed(f"https://news.example.org/{i}", "anyURI"), PROVENANCE)
        b.add(a, iri(DCT + "date"), typed(f"{rng.randrange(2014, 2026)}-{rng.randrange(1, 13):02d}-15", "date"))
        b.add(a, iri(KG + "graph"), iri(graph), PROVENANCE)
        b.add(iri(graph), iri(PROV + "wasDerivedFrom"), a, PROVENANCE)

    def city(self, b: Block, city: str, en: str, ar: str, c: int, region: Place) -> None:
        rng = self.rng
        b.add(city, iri(RDF_TYPE), t("LearningCity"))
        b.labels(city, en, french(en), ar)
        if rng.random() < 0.3:
            b.add(city, iri(SKOS + "altLabel"), lit(en + "e", lang="en"))
        lat, lon = round(rng.uniform(-45, 60), 4), round(rng.uniform(-120, 150), 4)
        b.add(city, iri(WGS + "lat"), typed(lat, "decimal"), COORDINATES)
        b.add(city, iri(WGS + "long"), typed(lon, "decimal"), COORDINATES)
        geometry = city[:-1].replace("/city/", "/geometry/") + ">"
        b.add(city, iri(KG + "geometry"), geometry, COORDINATES)
        b.add(geometry, iri(RDF_TYPE), iri(GEO + "Geometry"), COORDINATES)
        b.add(geometry, iri(GEO + "asWKT"), lit(f"POINT({lon} {lat})", datatype=GEO + "wktLiteral"), COORDINATES)
        b.add(city, iri(KG + "country"), entity("country", f"k{c:03d}"))
        b.add(city, iri(KG + "locatedIn"), entity("region", region.slug))
        b.add(city, iri(KG + "population"), typed(int(rng.lognormvariate(12, 1.2)), "integer"))
        b.add(city, iri(KG + "likelyWikidataId"), lit(f"Q{5000000 + rng.randrange(10**6)}"))
        for fa in rng.sample(FOCUS_AREAS, rng.choice((1, 2, 3))):
            b.add(city, iri(KG + "plannedFocusArea"), iri(KG + f"focus-area/{fa}"))
        b.add(city, iri(RDFS + "comment"), lit(f"{en} is a synthetic learning city for benchmarks.", lang="en"))

    def membership(self, b: Block, city: str, slug: str, en: str) -> None:
        year, date = self.rng.choice(ROUNDS)
        m = entity("membership", f"{slug}-gnlc")
        r = entity("round", f"gnlc-{year}")
        b.add(city, iri(KG + "hasMembership"), m)
        b.add(m, iri(RDF_TYPE), t("Membership"))
        b.add(m, iri(RDFS + "label"), lit(f"{en} – GNLC membership", lang="en"))
        b.add(m, iri(KG + "member"), city)
        b.add(m, iri(KG + "network"), entity("network", "gnlc"))
        b.add(m, iri(KG + "startDate"), typed(date, "date"))
        b.add(m, iri(KG + "admissionRound"), r)
        b.add(r, iri(KG + "admitted"), city)

    def institutions(self, b: Block, city: str, slug: str, en: str, c: int) -> str:
        """The municipal council and one to three other institutions; returns the council."""
        rng = self.rng
        council = entity("org", f"{slug}-council")
        b.add(council, iri(RDF_TYPE), t("MunicipalCouncil"))
        b.labels(council, f"Municipal Council of {en}", f"Conseil communal de {french(en)}")
        b.add(council, iri(KG + "basedIn"), city)
        b.add(council, iri(KG + "jurisdiction"), city)
        self.orgs.append(council)
        for n in range(rng.choice((1, 2, 2, 3))):
            kind, en_prefix, fr_prefix = rng.choice(ORG_KINDS)
            org = entity("org", f"{slug}-o{n}")
            b.add(org, iri(RDF_TYPE), t(kind))
            b.labels(org, f"{en_prefix} {en}", f"{fr_prefix} {french(en)}")
            b.add(org, iri(KG + "basedIn"), city)
            b.add(org, iri(KG + "foundingDate"), typed(rng.randrange(1950, 2024), "gYear"))
            if rng.random() < 0.3:
                b.add(org, iri(KG + "subOrganizationOf"), entity("org", f"natcom-k{c:03d}"))
            self.orgs.append(org)
        # one local institution runs its own programme with the council, so the city's partners have partners
        runner = self.orgs[-1]
        self.runners.append(runner)
        self.initiative(b, f"{slug}-r", runner, en, local=council)
        return council

    def mayor(self, b: Block, city: str, slug: str, council: str) -> None:
        rng = self.rng
        person = entity("person", f"{slug}-mayor")
        post = entity("post", f"{slug}-mayor")
        last, _ = name(rng, 2)
        b.add(person, iri(RDF_TYPE), t("Person"))
        b.add(person, iri(RDFS + "label"), lit(f"{rng.choice(FIRST_NAMES)} {last}", lang="en"))
        b.add(person, iri(KG + "holds"), post)
        b.add(person, iri(KG + "headOf"), city)
        b.add(post, iri(RDF_TYPE), t("Post"))
        b.add(post, iri(RDFS + "label"), lit("Mayor", lang="en"))
        b.add(post, iri(KG + "heldBy"), person)
        b.add(post, iri(KG + "postIn"), council)
        b.add(post, iri(KG + "role"), iri(KG + "role/mayor"))
        b.add(post, iri(KG + "startDate"), typed(f"{rng.randrange(2010, 2025)}-0{rng.randrange(1, 10)}-01", "date"))

    def initiative(self, b: Block, slug: str, runner: str, en: str, *, local: str) -> None:
        rng = self.rng
        ini = entity("initiative", slug)
        fa = rng.sample(FOCUS_AREAS, 2)
        b.add(ini, iri(RDF_TYPE), t("Initiative"))
        b.labels(ini, f"{en} {fa[0].replace('-', ' ')} programme", f"Programme {fa[0].replace('-', ' ')} {en}")
        b.add(ini, iri(KG + "runBy"), runner)
        for area in fa:
            b.add(ini, iri(KG + "focusArea"), iri(KG + f"focus-area/{area}"))
        b.add(ini, iri(KG + "status"), lit(rng.choice(("ongoing", "ongoing", "planned"))))
        partners = {local}
        partners.update(rng.choice(self.orgs) for _ in range(rng.choice((0, 1, 2))))
        for p in sorted(partners - {runner}):
            b.add(ini, iri(KG + "partner"), p)
        for n in range(rng.choice((1, 1, 2))):
            out = entity("outcome", f"{slug}-m{n}")
            unit, measures = rng.choice(UNITS)
            b.add(ini, iri(KG + "hasOutcome"), out)
            b.add(out, iri(RDF_TYPE), t("MeasuredOutcome"))
            b.add(out, iri(KG + "value"), typed(rng.randrange(10, 20000), "decimal"))
            b.add(out, iri(KG + "unit"), iri(KG + f"unit/{unit}"))
            b.add(out, iri(KG + "measures"), lit(measures, lang="en"))

    def event(self, b: Block, slug: str, city: str, en: str, council: str) -> None:
        rng = self.rng
        ev = entity("event", f"{slug}-e")
        b.add(ev, iri(RDF_TYPE), t(rng.choice(("Event", "Conference"))))
        b.labels(ev, f"{en} Learning Festival", f"Festival de l'apprentissage de {french(en)}")
        b.add(ev, iri(KG + "date"), typed(f"{rng.randrange(2014, 2026)}-{rng.randrange(1, 13):02d}-10", "date"))
        b.add(ev, iri(KG + "venue"), city)
        b.add(ev, iri(KG + "organizer"), council)
        b.add(ev, iri(KG + "partner"), rng.choice(self.orgs))
        b.add(ev, iri(KG + "theme"), lit("Lifelong learning for all", lang="en"))
        b.add(ev, iri(KG + "about"), city)

    def award(self, b: Block, slug: str, city: str, i: int) -> None:
        conferral = entity("conferral", f"{slug}-award")
        award = entity("award", "learning-city-award")
        b.add(conferral, iri(RDF_TYPE), t("AwardConferral"))
        b.add(conferral, iri(KG + "award"), award)
        b.add(conferral, iri(KG + "recipient"), city)
        b.add(conferral, iri(KG + "year"), typed(2015 + i % 10, "gYear"))
        b.add(conferral, iri(KG + "conferredBy"), entity("org", "unesco"))
        b.add(city, iri(KG + "awardReceived"), award)


def params(plan: Plan, seed: int) -> dict[str, str]:
    """The entities the query mix asks about: one city a third of the way in, and what it links to.

    The file is made again up to that city (a third of it, never written) to read the city's facts.
    """
    target = plan.cities // 3
    city = f"<{ID}city/c{target:06d}>"
    membership = f"<{ID}membership/c{target:06d}-gnlc>"
    facts: dict[str, str] = {}
    for line in Generator(plan, seed).lines():
        if line.startswith((city, membership)):
            _s, p, rest = line.split(" ", 2)
            facts.setdefault(p + rest.rsplit(" <", 1)[0][-3:] if p == f"<{RDFS}label>" else p, rest.rsplit(" <", 1)[0])
        elif f"/c{target + 1:06d}" in line:
            break
    en = facts[f"<{RDFS}label>@en"][1:-4]
    fr = facts[f"<{RDFS}label>@fr"][1:-4]
    year = facts[f"<{KG}startDate>"][1:5]
    return {
        "city": city[1:-1],
        "country": facts[f"<{KG}country>"][1:-1],
        "round": facts[f"<{KG}admissionRound>"][1:-1],
        "year": year,
        "search": fr[1:4].lower(),
        "regex": f"^{en[:2]}.*{en[-1]}$",
    }


def generate(out: Path, triples: int, seed: int = SEED) -> int:
    """Write the file and its params; returns the number of lines (quads) written."""
    plan = make_plan(triples)
    out.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    tmp = out.with_suffix(out.suffix + ".part")
    with tmp.open("w", encoding="utf-8", newline="\n") as f:
        for line in Generator(plan, seed).lines():
            f.write(line)
            n += 1
    tmp.replace(out)
    side = params_path(out)
    meta = {"quads": n, "seed": seed, "generator": generator_version()}
    side.write_text(json.dumps({**meta, **params(plan, seed)}, indent=2, ensure_ascii=False) + "\n")
    return n


def generator_version() -> str:
    """A digest of this file: data made by another version of the generator is made again."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


def params_path(out: Path) -> Path:
    return out.with_suffix(".params.json")


def parse_size(text: str) -> int:
    """A size such as 10k, 1m or 100000.

    >>> parse_size("10k"), parse_size("1M"), parse_size("2500")
    (10000, 1000000, 2500)
    """
    text = text.strip().lower()
    scale = {"k": 1_000, "m": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("km")) * scale)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--triples", type=parse_size, required=True, help="target size, e.g. 100000 or 1m")
    parser.add_argument("--out", type=Path, required=True, help="the N-Quads file to write")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    n = generate(args.out, args.triples, args.seed)
    print(f"wrote {n:,} quads to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
