"""Sanitising the finance reviewer's opinion: paragraphs, lists, bold and italics only (SPEC §8)."""

import html
import re

import nh3

# Exactly what the opinion editor produces; everything else (img, a, style, on* attributes) is dropped.
OPINION_TAGS = {"p", "br", "ol", "ul", "li", "strong", "em"}
_LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")


def sanitise_opinion(raw: str | None) -> str:
    """Keep only the allowed tags, without attributes; plain text becomes one paragraph per line."""
    text = (raw or "").strip()
    if not text:
        return ""
    if not _LOOKS_LIKE_HTML.search(text):
        paragraphs = [line.strip() for line in text.splitlines() if line.strip()]
        text = "".join(f"<p>{html.escape(line)}</p>" for line in paragraphs)
    return nh3.clean(text, tags=OPINION_TAGS, attributes={}, link_rel=None).strip()


def opinion_paragraphs(clean_html: str | None) -> list[str]:
    """The stored (sanitised) opinion as plain-text paragraphs, for Excel cells and text comparisons: every tag
    dropped, script and style content with it. Text without a tag is only unescaped (no parser needed)."""
    text = (clean_html or "").strip()
    if _LOOKS_LIKE_HTML.search(text):
        text = text.replace("</p>", "\n").replace("<br>", "\n").replace("</li>", "\n")
        text = nh3.clean(text, tags=set(), attributes={})
    return [line.strip() for line in html.unescape(text).splitlines() if line.strip()]
