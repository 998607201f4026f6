"""The validation page's content: an upload form and a report grouped by focus node. Everything is escaped."""

from __future__ import annotations

from html import escape
from itertools import groupby

from kg.reports.messages import SEVERITY_NAMES, hint, message
from kg.reports.model import SEVERITIES, Report, display

UI: dict[str, dict[str, str]] = {
    "title": {"en": "Validate city data", "fr": "Valider des données de villes", "ar": "التحقق من بيانات المدن"},
    "intro": {
        "en": "Check RDF about learning cities against the shapes of this graph and the data it already holds, "
        "before submitting it. Nothing is stored here.",
        "fr": "Vérifiez des données RDF sur des villes apprenantes au regard des formes de ce graphe et des données "
        "qu'il contient déjà, avant de les soumettre. Rien n'est enregistré ici.",
        "ar": "تحقّق من بيانات RDF عن مدن التعلّم وفق أشكال هذا الرسم المعرفي والبيانات الموجودة فيه، قبل "
        "إرسالها. لا يُحفظ هنا أي شيء.",
    },
    "file": {"en": "File", "fr": "Fichier", "ar": "ملف"},
    "paste": {"en": "…or paste the data", "fr": "…ou collez les données", "ar": "…أو الصق البيانات"},
    "format": {"en": "Format", "fr": "Format", "ar": "الصيغة"},
    "auto": {
        "en": "from the file (type or extension)",
        "fr": "d'après le fichier (type ou extension)",
        "ar": "حسب الملف (النوع أو الامتداد)",
    },
    "submit": {"en": "Validate", "fr": "Valider", "ar": "تحقّق"},
    "report": {"en": "Report", "fr": "Rapport", "ar": "التقرير"},
    "conforms": {"en": "The data conforms.", "fr": "Les données sont conformes.", "ar": "البيانات مطابقة."},
    "fails": {
        "en": "The data does not conform.",
        "fr": "Les données ne sont pas conformes.",
        "ar": "البيانات غير مطابقة.",
    },
    "error": {"en": "The data could not be read", "fr": "Les données sont illisibles", "ar": "تعذّرت قراءة البيانات"},
    "hint": {"en": "How to fix it", "fr": "Comment corriger", "ar": "طريقة التصحيح"},
    "shape": {"en": "Rule", "fr": "Règle", "ar": "القاعدة"},
    "value": {"en": "Value", "fr": "Valeur", "ar": "القيمة"},
    "path": {"en": "Property", "fr": "Propriété", "ar": "الخاصية"},
    "note": {"en": "Note", "fr": "Remarque", "ar": "ملاحظة"},
}

STYLE = """
.validation form { display: grid; gap: 0.75rem; max-width: 60rem; }
.validation textarea { width: 100%; min-height: 12rem; }
.validation .verdict { font-weight: 700; padding: 0.5rem 0.75rem; border-radius: 6px; }
.validation .verdict.ok { background: #e3f4e8; color: #185c2c; }
.validation .verdict.fail, .validation .problem { background: #fbe9e7; color: #8a1f11; }
.validation section.focus { border: 1px solid #d9e2e4; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0;
  background: #fff; }
.validation .result { border-inline-start: 4px solid #c2872b; padding-inline-start: 0.75rem; margin: 0.75rem 0; }
.validation .result.violation { border-color: #b3261e; }
.validation .result.info { border-color: #5b6b71; }
.validation .sev { font-weight: 700; }
.validation dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.75rem; margin: 0.25rem 0; }
.validation dt { color: #5b6b71; }
.validation code { overflow-wrap: anywhere; }
"""

# short format names for the form's select, with the media types a body is parsed as
FORM_FORMATS = (
    ("text/turtle", "Turtle"),
    ("application/trig", "TriG"),
    ("application/n-triples", "N-Triples"),
    ("application/n-quads", "N-Quads"),
    ("application/ld+json", "JSON-LD"),
    ("application/rdf+xml", "RDF/XML"),
)


def t(key: str, lang: str) -> str:
    return UI[key].get(lang) or UI[key]["en"]


def form(lang: str, *, text: str = "", chosen: str = "auto") -> str:
    """The upload form, posting multipart/form-data to /validate."""
    options = [("auto", t("auto", lang)), *FORM_FORMATS]
    select = "".join(
        f'<option value="{escape(v)}"{" selected" if v == chosen else ""}>{escape(label)}</option>'
        for v, label in options
    )
    return (
        f'<form method="post" action="/validate?lang={escape(lang)}" enctype="multipart/form-data">'
        f'<label>{escape(t("file", lang))} <input type="file" name="file" '
        f'accept=".ttl,.trig,.nt,.nq,.jsonld,.json,.rdf,.owl"></label>'
        f'<label>{escape(t("paste", lang))}<textarea name="data" dir="ltr" spellcheck="false">{escape(text)}'
        f"</textarea></label>"
        f'<label>{escape(t("format", lang))} <select name="format">{select}</select></label>'
        f'<button type="submit">{escape(t("submit", lang))}</button></form>'
    )


def body(lang: str, *, report: Report | None = None, error: str | None = None, data: str = "") -> str:
    """The page body: title, form, and the report or the reason the data could not be read."""
    parts = [
        f"<style>{STYLE}</style>",
        '<div class="validation">',
        f"<h1>{escape(t('title', lang))}</h1>",
        f"<p>{escape(t('intro', lang))}</p>",
        form(lang, text=data),
    ]
    if error is not None:
        parts.append(f'<h2>{escape(t("error", lang))}</h2><p class="problem"><code>{escape(error)}</code></p>')
    if report is not None:
        parts.append(report_html(report, lang))
    parts.append("</div>")
    return "".join(parts)


def report_html(report: Report, lang: str) -> str:
    """The report: a verdict with counts, notes, then one section per focus node."""
    names = SEVERITY_NAMES.get(lang, SEVERITY_NAMES["en"])
    counts = ", ".join(f"{report.count(s)} {names[s]}" for s in SEVERITIES)
    verdict = t("conforms" if report.conforms else "fails", lang)
    parts = [
        f"<h2>{escape(t('report', lang))}</h2>",
        f'<p class="verdict {"ok" if report.conforms else "fail"}">{escape(verdict)} ({escape(counts)})</p>',
    ]
    parts += [f"<p><strong>{escape(t('note', lang))}:</strong> {escape(n)}</p>" for n in report.notes]
    g = report.graph
    for focus, group in groupby(report.results, key=lambda r: r.focus):
        label = report.labels.get(focus)
        heading = f"<code>{escape(display(focus, g))}</code>" + (f" — {escape(label)}" if label else "")
        parts.append(f'<section class="focus"><h3>{heading}</h3>')
        for r in group:
            rows = [
                (t("path", lang), display(r.path, g)),
                (t("value", lang), display(r.value, g)),
                (t("hint", lang), hint(r, lang, g)),
                (t("shape", lang), display(r.shape, g)),
            ]
            details = "".join(
                f"<dt>{escape(k)}</dt><dd>{'<code>' + escape(v) + '</code>' if k != t('hint', lang) else escape(v)}"
                "</dd>"
                for k, v in rows
                if v
            )
            parts.append(
                f'<div class="result {r.severity.lower()}"><p><span class="sev">{escape(names[r.severity])}</span> '
                f"{escape(message(r, lang, g))}</p><dl>{details}</dl></div>"
            )
        parts.append("</section>")
    return "".join(parts)
