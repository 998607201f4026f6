"""HTML building blocks: escaping, links to resources, the page layout. Everything from the data is escaped here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

import pyoxigraph as ox

from kg.pages.language import LANGUAGE_NAMES, RTL, t

if TYPE_CHECKING:
    from kg.pages.resources import Labels

XSD = "http://www.w3.org/2001/XMLSchema#"
LOCAL_SPACES = ("id/", "def", "graph/")  # the parts of the base this server dereferences


def esc(text: object) -> str:
    """Text made safe for HTML content and attribute values.

    >>> esc('<a href="x">&</a>')
    '&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;'
    """
    return escape(str(text), quote=True)


def local_path(iri: str, base: str) -> str | None:
    """The path on this server that dereferences `iri`, when it is one of ours.

    >>> local_path("https://w3id.org/learning-cities/id/city/fez", "https://w3id.org/learning-cities/")
    '/id/city/fez'
    >>> local_path("http://www.wikidata.org/entity/Q80985", "https://w3id.org/learning-cities/") is None
    True
    """
    if iri.startswith(base) and iri[len(base) :].startswith(LOCAL_SPACES):
        return "/" + iri[len(base) :]
    return None


def with_lang(href: str, lang: str) -> str:
    """`href` carrying the page language, so that following links keeps it.

    >>> with_lang("/id/city/fez", "ar")
    '/id/city/fez?lang=ar'
    >>> with_lang("/def/#City", "fr")
    '/def/?lang=fr#City'
    """
    path, hash_, fragment = href.partition("#")
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}lang={lang}{hash_}{fragment}"


@dataclass(frozen=True)
class Context:
    """What every renderer needs: the language, the base IRI and the label lookup."""

    lang: str
    base: str
    labels: Labels

    def href(self, iri: str) -> str:
        local = local_path(iri, self.base)
        return with_lang(local, self.lang) if local else iri

    def link(self, node: ox.NamedNode | str, text: str | None = None, *, term: bool = False) -> str:
        """A link to `node` showing its label; `term` marks a vocabulary term, not flagged as external."""
        iri = node if isinstance(node, str) else node.value
        label, label_lang = (text, self.lang) if text is not None else self.labels.get(iri)
        attrs = _lang_attrs(label_lang, self.lang)
        external = ' class="term"' if term else "" if local_path(iri, self.base) else ' class="external"'
        return f'<a href="{esc(self.href(iri))}"{external}{attrs} title="{esc(iri)}">{esc(label)}</a>'

    def literal(self, lit: ox.Literal) -> str:
        value = esc(lit.value)
        if lit.language:
            badge = f' <small class="datatype" dir="ltr">{esc(lit.language)}</small>'
            return f"<span{_lang_attrs(lit.language, self.lang)}>{value}</span>{badge}"
        datatype = lit.datatype.value
        if datatype == XSD + "anyURI" and lit.value.startswith(("http://", "https://")):
            return f'<a href="{value}" class="external" dir="ltr">{value}</a>'
        if datatype.startswith(XSD) and datatype not in (XSD + "string",):
            return f'<span dir="ltr">{value}</span> <small class="datatype">{esc(datatype[len(XSD) :])}</small>'
        return f'<span dir="auto">{value}</span>'


def _lang_attrs(text_lang: str, page_lang: str) -> str:
    # text in another language than the page keeps its own lang and direction
    if not text_lang or text_lang == page_lang:
        return ""
    return f' lang="{esc(text_lang)}" dir="{"rtl" if text_lang in RTL else "ltr"}"'


def table(headers: Iterable[str], rows: Iterable[Iterable[str]], *, css: str = "") -> str:
    """A table from already-escaped cells."""
    head = "".join(f"<th scope=col>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def page(
    *,
    title: str,
    body: str,
    lang: str,
    path: str,
    query: dict[str, str] | None = None,
    alternates: Iterable[tuple[str, str]] = (),
    scripts: Iterable[str] = (),
) -> str:
    """A whole HTML document: header, navigation, language switcher, `body`, footer."""
    direction = "rtl" if lang in RTL else "ltr"
    params = {k: v for k, v in (query or {}).items() if k != "lang"}
    switcher = " ".join(
        f'<a href="{esc(path + "?" + urlencode({**params, "lang": code}))}" hreflang="{code}" lang="{code}"'
        f'{" aria-current=true" if code == lang else ""} class="lang-{code}">{esc(name)}</a>'
        for code, name in LANGUAGE_NAMES.items()
    )
    links = "".join(f'<link rel="alternate" type="{esc(m)}" href="{esc(h)}">' for m, h in alternates)
    js = "".join(f'<script src="/static/{esc(s)}" defer></script>' for s in scripts)
    nav = " ".join(
        f'<a href="{esc(with_lang(href, lang) if href.startswith(("/def", "/query")) or href == "/" else href)}">'
        f"{esc(text)}</a>"
        for href, text in (
            ("/", t("home", lang)),
            ("/query", t("query", lang)),
            ("/def/", t("ontology", lang)),
            ("/sparql", "SPARQL"),
            ("/docs", t("api", lang)),
            ("/.well-known/void", t("dataset", lang)),
        )
    )
    return f"""<!DOCTYPE html>
<html lang="{lang}" dir="{direction}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · {esc(t("title", lang))}</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
{links}{js}
</head>
<body>
<header class="site">
<a class="brand" href="{esc(with_lang("/", lang))}">{esc(t("title", lang))}</a>
<nav aria-label="main">{nav}</nav>
<nav class="languages" aria-label="{esc(t("language", lang))}">{switcher}</nav>
</header>
<main>
{body}
</main>
<footer class="site">
<p>Data: <a href="https://creativecommons.org/licenses/by/4.0/" class="external">CC BY 4.0</a> ·
<a href="/.well-known/void">VoID</a> · <a href="/export?format=nquads">N-Quads dump</a></p>
</footer>
</body>
</html>
"""
