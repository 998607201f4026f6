"""Choosing the page language (en, fr, ar) and the interface strings in each of them."""

from __future__ import annotations

from collections.abc import Mapping

from kg.languages import DEFAULT_LANGUAGE

RTL = frozenset({"ar"})

# interface strings; data labels come from the graph itself
UI: dict[str, dict[str, str]] = {
    "title": {
        "en": "Learning Cities Knowledge Graph",
        "fr": "Graphe de connaissances des villes apprenantes",
        "ar": "الرسم المعرفي لمدن التعلّم",
    },
    "tagline": {
        "en": "The UNESCO Global Network of Learning Cities in Morocco, as sourced linked data: every fact "
        "names the article that states it.",
        "fr": "Le Réseau mondial UNESCO des villes apprenantes au Maroc, en données liées sourcées : chaque fait "
        "cite l'article qui l'énonce.",
        "ar": "شبكة اليونسكو العالمية لمدن التعلّم في المغرب كبيانات مترابطة موثّقة: كل معلومة تذكر المقال الذي أوردها.",
    },
    "home": {"en": "Home", "fr": "Accueil", "ar": "الرئيسية"},
    "query": {"en": "Query", "fr": "Requête", "ar": "استعلام"},
    "ontology": {"en": "Ontology", "fr": "Ontologie", "ar": "الأنطولوجيا"},
    "api": {"en": "API", "fr": "API", "ar": "واجهة البرمجة"},
    "dataset": {"en": "Dataset description", "fr": "Description du jeu de données", "ar": "وصف مجموعة البيانات"},
    "contents": {"en": "What the graph holds", "fr": "Contenu du graphe", "ar": "محتوى الرسم المعرفي"},
    "class": {"en": "Class", "fr": "Classe", "ar": "الصنف"},
    "count": {"en": "Resources", "fr": "Ressources", "ar": "الموارد"},
    "triples": {"en": "triples", "fr": "triplets", "ar": "ثلاثيات"},
    "graphs": {"en": "named graphs", "fr": "graphes nommés", "ar": "رسوم مسمّاة"},
    "map": {"en": "Member cities", "fr": "Villes membres", "ar": "المدن الأعضاء"},
    "map_note": {
        "en": "Positions from the coordinates in the graph; no map tiles.",
        "fr": "Positions tirées des coordonnées du graphe ; sans fond de carte.",
        "ar": "المواقع مأخوذة من الإحداثيات في الرسم المعرفي؛ دون خلفية خرائط.",
    },
    "timeline": {"en": "Admission rounds", "fr": "Vagues d'admission", "ar": "جولات القبول"},
    "new_cities": {"en": "new cities", "fr": "nouvelles villes", "ar": "مدن جديدة"},
    "total_cities": {"en": "cities in all", "fr": "villes au total", "ar": "مدينة في المجموع"},
    "countries": {"en": "countries", "fr": "pays", "ar": "دولة"},
    "admitted": {"en": "Admitted", "fr": "Admises", "ar": "المقبولة"},
    "type": {"en": "Type", "fr": "Type", "ar": "النوع"},
    "facts": {"en": "Facts", "fr": "Faits", "ar": "المعلومات"},
    "property": {"en": "Property", "fr": "Propriété", "ar": "الخاصية"},
    "value": {"en": "Value", "fr": "Valeur", "ar": "القيمة"},
    "sources": {"en": "Sources", "fr": "Sources", "ar": "المصادر"},
    "outgoing": {"en": "Outgoing links", "fr": "Liens sortants", "ar": "الروابط الصادرة"},
    "incoming": {"en": "Incoming links", "fr": "Liens entrants", "ar": "الروابط الواردة"},
    "subject": {"en": "From", "fr": "Depuis", "ar": "من"},
    "labels": {"en": "Names", "fr": "Noms", "ar": "الأسماء"},
    "wikidata": {"en": "On Wikidata", "fr": "Sur Wikidata", "ar": "في ويكي بيانات"},
    "likely": {"en": "likely, unverified", "fr": "probable, non vérifié", "ar": "مرجّح، غير متحقَّق منه"},
    "position": {"en": "Position", "fr": "Position", "ar": "الموقع"},
    "download": {"en": "Download", "fr": "Télécharger", "ar": "تنزيل"},
    "formats": {"en": "This description as", "fr": "Cette description en", "ar": "هذا الوصف بصيغة"},
    "editor": {"en": "SPARQL query", "fr": "Requête SPARQL", "ar": "استعلام SPARQL"},
    "run": {"en": "Run", "fr": "Exécuter", "ar": "تنفيذ"},
    "examples": {"en": "Example questions", "fr": "Questions d'exemple", "ar": "أسئلة أمثلة"},
    "results": {"en": "Results", "fr": "Résultats", "ar": "النتائج"},
    "no_results": {"en": "No results.", "fr": "Aucun résultat.", "ar": "لا توجد نتائج."},
    "query_help": {
        "en": "The default graph is the union of all named graphs; prefixes such as kg:, rdfs:, wd: are predefined.",
        "fr": "Le graphe par défaut est l'union des graphes nommés ; les préfixes kg:, rdfs:, wd: sont prédéfinis.",
        "ar": "الرسم الافتراضي هو اتحاد جميع الرسوم المسمّاة؛ والبادئات مثل kg: وrdfs: وwd: معرّفة مسبقًا.",
    },
    "classes": {"en": "Classes", "fr": "Classes", "ar": "الأصناف"},
    "properties": {"en": "Properties", "fr": "Propriétés", "ar": "الخصائص"},
    "concepts": {"en": "Concepts", "fr": "Concepts", "ar": "المفاهيم"},
    "definition": {"en": "Definition", "fr": "Définition", "ar": "التعريف"},
    "term": {"en": "Term", "fr": "Terme", "ar": "المصطلح"},
    "module": {"en": "Module", "fr": "Module", "ar": "الوحدة"},
    "modules": {"en": "Modules", "fr": "Modules", "ar": "الوحدات"},
    "domain": {"en": "Domain", "fr": "Domaine", "ar": "المجال"},
    "range": {"en": "Range", "fr": "Portée", "ar": "المدى"},
    "subclass_of": {"en": "Subclass of", "fr": "Sous-classe de", "ar": "صنف فرعي من"},
    "graph": {"en": "Named graph", "fr": "Graphe nommé", "ar": "رسم مسمّى"},
    "derived_from": {"en": "Derived from", "fr": "Dérivé de", "ar": "مستمدّ من"},
    "graph_subjects": {"en": "Resources described", "fr": "Ressources décrites", "ar": "الموارد الموصوفة"},
    "language": {"en": "Language", "fr": "Langue", "ar": "اللغة"},
    "none": {"en": "None recorded.", "fr": "Rien d'enregistré.", "ar": "لا شيء مسجّل."},
}

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "ar": "العربية"}


def t(key: str, lang: str) -> str:
    """An interface string in `lang`, English when it has no translation.

    >>> t("sources", "ar")
    'المصادر'
    """
    strings = UI[key]
    return strings.get(lang) or strings[DEFAULT_LANGUAGE]


def pick(texts: Mapping[str, str], lang: str) -> tuple[str, str] | None:
    """The text in `lang`, else English, else any: with the language it is in.

    >>> pick({"en": "Fez", "ar": "فاس"}, "fr")
    ('Fez', 'en')
    >>> pick({"": "Fès"}, "ar")
    ('Fès', '')
    """
    for candidate in (lang, DEFAULT_LANGUAGE, ""):
        if candidate in texts:
            return texts[candidate], candidate
    for key in sorted(texts):
        return texts[key], key
    return None
