"""What a result says in English, French or Arabic: the shape's own message, and a hint on how to fix it.

Messages come from the shapes (`sh:message` in en/fr/ar); hints come from the table below, one entry per
constraint component (and per check of our own), filled with the shape's parameters.
"""

from __future__ import annotations

import string

import rdflib

from kg.reports.model import Result, display

LANGUAGES = ("en", "fr", "ar")

SEVERITY_NAMES = {
    "en": {"Violation": "Violation", "Warning": "Warning", "Info": "Info"},
    "fr": {"Violation": "Violation", "Warning": "Avertissement", "Info": "Info"},
    "ar": {"Violation": "مخالفة", "Warning": "تحذير", "Info": "معلومة"},
}

# keyed by the local name of the constraint component; placeholders are the shape's parameters, {path},
# {value}, {focus}, and for our own checks the extra parameters the check sets
HINTS: dict[str, dict[str, str]] = {
    "MinCountConstraintComponent": {
        "en": "Add {path} to this resource (at least {minCount}).",
        "fr": "Ajoutez {path} à cette ressource (au moins {minCount}).",
        "ar": "أضف {path} إلى هذا المورد (على الأقل {minCount}).",
    },
    "MaxCountConstraintComponent": {
        "en": "Keep at most {maxCount} value(s) of {path} and remove the others.",
        "fr": "Gardez au plus {maxCount} valeur(s) de {path} et supprimez les autres.",
        "ar": "احتفظ بما لا يزيد على {maxCount} من قيم {path} واحذف الباقي.",
    },
    "QualifiedMinCountConstraintComponent": {
        "en": "Add a value of {path} of the kind the message names.",
        "fr": "Ajoutez une valeur de {path} du type indiqué par le message.",
        "ar": "أضف قيمة لـ {path} من النوع الذي تذكره الرسالة.",
    },
    "QualifiedMaxCountConstraintComponent": {
        "en": "Remove the extra values of {path} the message names.",
        "fr": "Supprimez les valeurs de {path} en trop indiquées par le message.",
        "ar": "احذف القيم الزائدة لـ {path} التي تذكرها الرسالة.",
    },
    "DatatypeConstraintComponent": {
        "en": 'Write the value as a literal of type {datatype}, e.g. "…"^^{datatype}.',
        "fr": "Écrivez la valeur comme un littéral de type {datatype}, par ex. « … »^^{datatype}.",
        "ar": 'اكتب القيمة كقيمة حرفية من نوع {datatype}، مثل "…"^^{datatype}.',
    },
    "PatternConstraintComponent": {
        "en": "Make the value match the pattern {pattern}.",
        "fr": "Faites correspondre la valeur au motif {pattern}.",
        "ar": "اجعل القيمة مطابقة للنمط {pattern}.",
    },
    "MinInclusiveConstraintComponent": {
        "en": "Use a value of at least {minInclusive}.",
        "fr": "Utilisez une valeur d'au moins {minInclusive}.",
        "ar": "استخدم قيمة لا تقل عن {minInclusive}.",
    },
    "MaxInclusiveConstraintComponent": {
        "en": "Use a value of at most {maxInclusive}.",
        "fr": "Utilisez une valeur d'au plus {maxInclusive}.",
        "ar": "استخدم قيمة لا تزيد على {maxInclusive}.",
    },
    "MinExclusiveConstraintComponent": {
        "en": "Use a value greater than {minExclusive}.",
        "fr": "Utilisez une valeur supérieure à {minExclusive}.",
        "ar": "استخدم قيمة أكبر من {minExclusive}.",
    },
    "MaxExclusiveConstraintComponent": {
        "en": "Use a value less than {maxExclusive}.",
        "fr": "Utilisez une valeur inférieure à {maxExclusive}.",
        "ar": "استخدم قيمة أصغر من {maxExclusive}.",
    },
    "ClassConstraintComponent": {
        "en": "Point {path} at a resource typed {class} (or a subclass of it), or give that resource this type.",
        "fr": "Faites pointer {path} vers une ressource de type {class} (ou d'une sous-classe), ou donnez-lui ce type.",
        "ar": "اجعل {path} يشير إلى مورد من نوع {class} (أو من صنف فرعي منه)، أو أعطِ ذلك المورد هذا النوع.",
    },
    "OrConstraintComponent": {
        "en": "Use a value that meets one of the alternatives the message lists.",
        "fr": "Utilisez une valeur qui satisfait l'une des possibilités citées par le message.",
        "ar": "استخدم قيمة تستوفي أحد البدائل التي تذكرها الرسالة.",
    },
    "UniqueLangConstraintComponent": {
        "en": "Keep one {path} per language; move variants to skos:altLabel.",
        "fr": "Gardez un seul {path} par langue ; mettez les variantes dans skos:altLabel.",
        "ar": "احتفظ بقيمة {path} واحدة لكل لغة؛ وانقل الصيغ الأخرى إلى skos:altLabel.",
    },
    "LanguageInConstraintComponent": {
        "en": "Tag the value with one of the languages {languageIn}.",
        "fr": "Étiquetez la valeur avec l'une des langues {languageIn}.",
        "ar": "وسم القيمة بإحدى اللغات {languageIn}.",
    },
    "NodeKindConstraintComponent": {
        "en": "Use a value of the kind {nodeKind} (an IRI, a blank node or a literal as the shape says).",
        "fr": "Utilisez une valeur de la sorte {nodeKind} (IRI, nœud anonyme ou littéral, selon la forme).",
        "ar": "استخدم قيمة من النوع {nodeKind} (معرّف IRI أو عقدة فارغة أو قيمة حرفية كما يحدد الشكل).",
    },
    "SPARQLConstraintComponent": {
        "en": "Correct the value the message names; this rule looks at several resources together ({shape}).",
        "fr": "Corrigez la valeur indiquée par le message ; cette règle considère plusieurs ressources ({shape}).",
        "ar": "صحّح القيمة التي تذكرها الرسالة؛ فهذه القاعدة تنظر في عدة موارد معًا ({shape}).",
    },
    "StoreCheck-unknownReference": {
        "en": "Use the IRI of a {expected} the graph holds (look it up at /sparql), or describe the new "
        "{expected} in this data with its type and an English label.",
        "fr": "Utilisez l'IRI d'un {expected} présent dans le graphe (cherchez-le via /sparql), ou décrivez le "
        "nouveau {expected} dans ces données avec son type et un libellé en anglais.",
        "ar": "استخدم معرّف IRI لـ {expected} موجود في الرسم البياني (ابحث عنه عبر ‎/sparql)، أو صِف "
        "{expected} الجديد في هذه البيانات بنوعه وتسمية بالإنجليزية.",
    },
    "StoreCheck-wrongType": {
        "en": "{value} is stored as {found}; point {path} at a {expected} instead.",
        "fr": "{value} est enregistré comme {found} ; faites pointer {path} vers un {expected}.",
        "ar": "{value} مسجّل بوصفه {found}؛ اجعل {path} يشير إلى {expected} بدلًا منه.",
    },
    "StoreCheck-probableDuplicate": {
        "en": "If it is the same city, use the stored IRI {other} instead of a new one and send only the new facts.",
        "fr": "S'il s'agit de la même ville, utilisez l'IRI enregistrée {other} au lieu d'une nouvelle et "
        "n'envoyez que les faits nouveaux.",
        "ar": "إن كانت المدينة نفسها، فاستخدم المعرّف المسجّل {other} بدلًا من معرّف جديد وأرسل الحقائق الجديدة فقط.",
    },
    "DataCheck-noCity": {
        "en": "Describe each city as a kg:City or kg:LearningCity with an English rdfs:label (see docs/model.md).",
        "fr": "Décrivez chaque ville comme kg:City ou kg:LearningCity avec un rdfs:label en anglais "
        "(voir docs/model.md).",
        "ar": "صِف كل مدينة بوصفها kg:City أو kg:LearningCity مع تسمية rdfs:label بالإنجليزية (انظر docs/model.md).",
    },
}

_GENERIC = {
    "en": "See the rule {shape} and change the data to meet it.",
    "fr": "Consultez la règle {shape} et modifiez les données pour la respecter.",
    "ar": "راجع القاعدة {shape} وعدّل البيانات لتستوفيها.",
}

_NO_MESSAGE = {
    "en": "The data does not meet the rule {shape}.",
    "fr": "Les données ne respectent pas la règle {shape}.",
    "ar": "البيانات لا تستوفي القاعدة {shape}.",
}


def message(result: Result, language: str, graph: rdflib.Graph | None = None) -> str:
    """The result's message in `language`, else in English, else the first there is."""
    by_language: dict[str, str] = {}
    for lang, text in result.messages:
        by_language.setdefault(lang, text)
    for lang in (language, "en", ""):
        if lang in by_language:
            return by_language[lang]
    if result.messages:
        return result.messages[0][1]
    return _NO_MESSAGE.get(language, _NO_MESSAGE["en"]).format(shape=display(result.shape, graph))


def hint(result: Result, language: str, graph: rdflib.Graph | None = None) -> str:
    """How to fix the result, from the hint table, filled with the shape's parameters."""
    key = str(result.component).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
    table = HINTS.get(key, _GENERIC)
    template = table.get(language) or table["en"]
    values = {
        "path": display(result.path, graph) or "-",
        "value": display(result.value, graph),
        "focus": display(result.focus, graph),
        "shape": display(result.shape, graph),
        **{k: _compact(v, graph) for k, v in result.params},
    }
    return string.Formatter().vformat(template, (), _Missing(values))


def _compact(value: str, graph: rdflib.Graph | None) -> str:
    """A parameter as the report writes it: `<iri>` with the report's prefixes, anything else as it is."""
    if value.startswith("<") and value.endswith(">") and graph is not None:
        return display(rdflib.URIRef(value[1:-1]), graph)
    return value


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "…"
