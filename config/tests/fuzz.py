"""The pieces of the request fuzz (config/tests/test_fuzz_requests.py): hostile values, forms read off a page,
the query parameters each view reads, and a cheap fingerprint of the records.

Nothing here knows the demo data; the test module puts it together.
"""

import hashlib
import random
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.db import connection
from django.urls import Resolver404, resolve

# --- values -----------------------------------------------------------------------------------------------------

LONG = "长" * 10_000
# Issue 15's list: each has broken a view somewhere (or could): isdigit() true and int() false, numbers int() and
# Decimal() read differently, NUL (which PostgreSQL refuses in text), paths, markup, SQL, spreadsheet formulas.
HOSTILE = (
    "²",
    "abc",
    "-1",
    "0",
    "99999999999999999999",
    "1e5",
    "",
    " ",
    "\x00",
    "%00",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "=1+2",
    LONG,
    "１２",
    "１",
    "NaN",
    "Infinity",
    "1.5",
    "true",
    "2024-13-45",
)

# Code points the generator draws from (no surrogates: they cannot be sent as UTF-8).
_DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹߀߁߂०१२३४५६७८९০১২৩௧௨௩๑๒๓０１２３４５６７８９𝟎𝟏𝟐𝟗²³¹⁴₅½⅓Ⅻ〇一二"
_ODD = (
    "\x01\x07\x08\t\n\r\x0b\x0c\x1b\x7f\x85\xa0\xad"  # control characters, NEL, NBSP, soft hyphen
    "\u200b\u200c\u200d\u200e\u200f\u202a\u202e\u2028\u2029\u2060\ufeff"  # zero-width, direction, separators
    "\ufffd\U0001f600\u0301\u0489"  # replacement character, emoji, combining marks
)
_PUNCT = "'\"`<>&;%\\/{}[]()|$#!?*=+-_.,:@~^"
_TEXT = "abcXYZ绩效自评项目東莞ｱｲｳﾞÀÉÎõüßΩжمשׁ한"
_TEMPLATES = (
    "{{7*7}}",
    "${7*7}",
    "%s%s%s%n",
    "\r\nSet-Cookie: fuzz=1",
    "javascript:alert(1)",
    "//evil.example/",
    "\\\\evil.example\\share",
    "%2e%2e%2f%2e%2e%2f",
    "NULL",
    "None",
    "null",
    "[]",
    "{}",
    '{"a": 1}',
    "-0",
    "+7",
    " 7 ",
    "7\n",
    "0x1A",
    "1_000",
    "1e999999999",
    "-1e-999999999",
    "9" * 40,
    "0.000000000001",
    "1,5",
    "١٢",
    "𝟗",
    "--1",
    "1/0",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31T25:61",
    "2024/01/01",
    "on",
    "off",
    "false",
    "yes",
    "Ｔｒｕｅ",
)
_BOUNDARIES = (0, 1, 7, 100, 2**15, 2**16, 2**31, 2**32, 2**53, 2**63, 2**64, 10**18, 10**19)
# Past Python's limit for int(str) (4,300 digits), written out as text: the number itself cannot be str()-ed.
_HUGE = "1" + "0" * 4300


def generated(rng: random.Random) -> str:
    """One hostile value drawn by ``rng``: boundary numbers, unusual digits, control characters, and so on."""
    kind = rng.randrange(8)
    if kind == 0:  # whole numbers around the integer limits of Python, SQLite and PostgreSQL
        sign = "-" if rng.random() < 0.3 else ""
        if rng.random() < 0.1:
            return sign + _HUGE[:-1] + str(rng.randint(0, 9))
        return sign + str(rng.choice(_BOUNDARIES) + rng.randint(-2, 2))
    if kind == 1:  # numbers in other scripts' digits, which str.isdigit() (and sometimes int()) accept
        return "".join(rng.choice(_DIGITS) for _ in range(rng.randint(1, 6)))
    if kind == 2:  # decimals and exponents
        mantissa = f"{rng.choice(('', '-', '+'))}{rng.randint(0, 10 ** rng.randint(0, 25))}"
        fraction = f".{rng.randint(0, 10 ** rng.randint(1, 12))}" if rng.random() < 0.5 else ""
        exponent = f"e{rng.randint(-400, 400)}" if rng.random() < 0.4 else ""
        return mantissa + fraction + exponent
    if kind == 3:  # dates and times that do not exist
        return f"{rng.randint(0, 99999):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 40):02d}"
    if kind == 4:  # a mix of text, punctuation and control characters
        pool = _TEXT + _PUNCT + _ODD + _DIGITS
        return "".join(rng.choice(pool) for _ in range(rng.randint(1, 40)))
    if kind == 5:  # one character, many times
        return rng.choice(_TEXT + _PUNCT + _ODD + _DIGITS) * rng.choice((255, 256, 2001, 4097, 20_001))
    if kind == 6:
        return rng.choice(_TEMPLATES)
    # random code points from the Basic Multilingual Plane and beyond (surrogates left out)
    points = []
    for _ in range(rng.randint(1, 12)):
        point = rng.randint(1, 0x10FFFF)
        points.append(chr(point if not 0xD800 <= point <= 0xDFFF else 0xFFFD))
    return "".join(points)


# The values that have broken pages before, tried first on every page: NUL (PostgreSQL refuses it in text), an
# integer past 64 bits, a digit int() refuses, a very long text, a number that is not one, full-width digits.
SHARP = ("\x00", "99999999999999999999", "²", LONG, "NaN", "１２", "-1", "' OR 1=1 --")


def value_stream(rng: random.Random):
    """SHARP's values, then issue 15's whole list shuffled, every third one a generated value, for ever."""
    sharp = list(SHARP)
    rng.shuffle(sharp)
    yield from sharp
    known = list(HOSTILE)
    while True:
        rng.shuffle(known)
        for index, value in enumerate(known):
            yield value
            if index % 2 == 1:
                yield generated(rng)


def shown(value, limit: int = 60) -> str:
    """A value as a failure message shows it: escaped, long ones shortened with their length."""
    if isinstance(value, list):
        return "[" + ", ".join(shown(v, limit // 2) for v in value) + "]"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}…({len(value)} chars)"


# --- the query parameters each view reads -------------------------------------------------------------------------

# Read off the views (request.GET, the FilterSets and GET forms) by hand; the GET forms of each page are added when
# the page is read. Every page is also sent the parameters any view reads (GENERIC_QUERY).
QUERY_PARAMS = {
    "budgets:project_list": ("q", "year", "unit", "status", "grade", "per_page", "page", "sort"),
    "budgets:library_search": ("q", "level1", "level2"),
    "budgets:project_edit": ("rows", "check"),
    "evaluations:review_queue": ("page", "sort"),
    "department:list": ("year",),
    "department:edit": ("check",),
    "dashboard:index": ("year",),
    "finance:board": ("year", "sample", "grade", "department", "page", "sort"),
    "quality:list": ("year", "department", "code", "severity", "format"),
    "reports:summary": ("department",),
    "reports:project_report": ("format",),
    "reports:department_statement": ("format",),
    "audit:project": ("page",),
    "audit:department": ("page",),
    "audit:export": ("year", "department", "since", "until"),
    "accounts:login": ("next", "username"),
}
GENERIC_QUERY = ("year", "page", "format", "department", "next")

# Fields some POST view reads that no form of the pages shows (request.POST.get in the views).
POST_FIELDS = (
    "version",
    "action",
    "reason",
    "comment",
    "confirm",
    "project",
    "year",
    "kind",
    "format",
    "department",
    "spare_rows",
    "section-0",
)


# The fields that carry a form's bookkeeping rather than what the user typed: kept as the page sent them when
# every other field is corrupted at once.
BOOKKEEPING_SUFFIXES = ("-TOTAL_FORMS", "-INITIAL_FORMS", "-MIN_NUM_FORMS", "-MAX_NUM_FORMS", "-id", "-DELETE")
BOOKKEEPING = ("csrfmiddlewaretoken", "version", "action", "confirm")


def typed_fields(names) -> list[str]:
    return [n for n in names if n not in BOOKKEEPING and not n.endswith(BOOKKEEPING_SUFFIXES)]


# --- forms read off a page ----------------------------------------------------------------------------------------


@dataclass
class Form:
    """A form as a browser would send it: its fields' current values, and the other values its controls offer."""

    method: str
    action: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # Values a browser sends only sometimes: unchecked boxes, the options not selected.
    optional: dict[str, list[str]] = field(default_factory=dict)
    # The submit buttons' name and value: a browser sends the one clicked.
    buttons: list[tuple[str, str]] = field(default_factory=list)

    def names(self) -> list[str]:
        named = [name for name, _ in self.fields] + list(self.optional) + [name for name, _ in self.buttons]
        return [name for name in dict.fromkeys(named) if name != "csrfmiddlewaretoken"]

    def data(self) -> dict[str, list[str]]:
        sent: dict[str, list[str]] = {}
        for name, value in self.fields:
            sent.setdefault(name, []).append(value)
        return sent


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, list[tuple[str, bool]]] | None = None  # name, (value, selected) of each option
        self._option: tuple[str | None, bool, list[str]] | None = None  # value attribute, selected, text
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            self._form = Form(method=(a.get("method") or "get").lower(), action=a.get("action", ""))
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._option = (a.get("value"), "selected" in a, [])
        form, name = self._form, a.get("name")
        if form is None or not name or "disabled" in a:
            return
        if tag == "input":
            kind = a.get("type", "text").lower()
            value = a.get("value", "on" if kind in ("checkbox", "radio") else "")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, value))
                else:
                    form.optional.setdefault(name, []).append(value)
            elif kind in ("submit", "image"):
                form.buttons.append((name, value))
            elif kind != "file":
                form.fields.append((name, value))
        elif tag == "button" and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select":
            self._select = (name, [])
        elif tag == "textarea":
            self._textarea = (name, [])

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)
        if self._option is not None:
            self._option[2].append(data)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._select is not None and self._option is not None:
            value, selected, text = self._option
            self._select[1].append(("".join(text).strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None and self._form is not None:
            name, options = self._select
            chosen = [value for value, selected in options if selected] or [value for value, _ in options[:1]]
            self._form.fields.extend((name, value) for value in chosen)
            self._form.optional.setdefault(name, []).extend(v for v, _ in options if v not in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            name, text = self._textarea
            self._form.fields.append((name, "".join(text).removeprefix("\n")))
            self._textarea = None


def forms_of(html: str) -> list[Form]:
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    return parser.forms


def url_name(action: str, page_path: str) -> str | None:
    """The named URL a form's action points to (the page itself when the action is empty), or None."""
    path = urlsplit(action).path or page_path
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


# --- the records' fingerprint -------------------------------------------------------------------------------------

# Columns that change whenever a record is saved. Historical tables (django-simple-history) grow on every save;
# the other tables are small enough in the demo to hash whole.
CHANGING = ("status", "version", "updated_at", "excluded")


@cache
def _statements(models) -> tuple[str, ...]:
    statements = []
    for model in models:
        fields = model._meta.concrete_fields
        table, pk = model._meta.db_table, model._meta.pk.column
        if any(f.name == "history_id" for f in fields):
            statements.append(f'SELECT COUNT(*), MAX("{pk}") FROM "{table}"')  # noqa: S608 (model metadata)
            continue
        columns = [f.column for f in fields if f.name in CHANGING] or [f.column for f in fields]
        selected = ", ".join(f'"{column}"' for column in dict.fromkeys([pk, *columns]))
        statements.append(f'SELECT {selected} FROM "{table}" ORDER BY "{pk}"')  # noqa: S608 (model metadata)
    return tuple(statements)


def fingerprint(models) -> str:
    """The state of ``models``' rows: whole rows, or for the big ones count, highest key and changing columns.

    Plain SQL, one statement a table: a few milliseconds for the demo, cheap enough to take after every request.
    """
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for statement in _statements(tuple(models)):
            cursor.execute(statement)
            digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()
