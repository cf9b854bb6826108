"""Reading numbers a page sent back (a query string, a hidden field), without trusting them.

``str.isdigit`` is true for "²" and "٣", which ``int`` then refuses: a crafted parameter must mean "not given"
(or a 404), never a server error. Every view reads an id, a year, a version or a count through here.

A list's ``?page=`` is read by django-tables2 itself (``int``, no upper bound): its paginator here bounds it.
"""

from django.core.paginator import EmptyPage
from django_tables2.paginators import LazyPaginator

# A version the page did not send (or sent garbled) matches no record: the action is refused as stale.
MISSING_VERSION = -1
# Longer than any id, year or count we store; also keeps a crafted parameter from becoming a huge integer.
_MAX_DIGITS = 18


def whole_number(raw) -> int | None:
    """``raw`` as a non-negative whole number when it is written in ASCII digits, else None."""
    text = (raw or "").strip() if isinstance(raw, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= _MAX_DIGITS:
        return int(text)
    return None


def posted_version(request, name: str = "version") -> int:
    """The record version a form carried (its hidden field), or MISSING_VERSION when absent or not a number."""
    version = whole_number(request.POST.get(name, ""))
    return MISSING_VERSION if version is None else version


# Further than any list of ours reaches (a bureau's thousands of projects, 10 to 100 a page).
MAX_PAGE = 100_000


class BoundedLazyPaginator(LazyPaginator):
    """django-tables2's LazyPaginator (no COUNT(*) per page) with page numbers past MAX_PAGE refused as empty.

    The lazy paginator reads rows at OFFSET (page - 1) × per page: a crafted ``?page=99999999999999999999``
    asked the database for an offset past its integers, a server error. django-tables2 answers an empty page
    with the first one.
    """

    def validate_number(self, number):
        number = super().validate_number(number)
        if number > MAX_PAGE:
            raise EmptyPage("没有该页。")
        return number
