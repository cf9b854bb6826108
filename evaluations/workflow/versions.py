"""Reading values a page posted back, without trusting them."""

# A version the page did not send (or sent garbled) matches no record: the action is refused as stale.
MISSING_VERSION = -1


def posted_version(request, name: str = "version") -> int:
    """The record version a form carried (its hidden field), or MISSING_VERSION when absent or not a number."""
    raw = request.POST.get(name, "")
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 18 else MISSING_VERSION
