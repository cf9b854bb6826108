"""HTML → PDF with WeasyPrint, fetching nothing but the project's own static files.

WeasyPrint is imported inside the functions: it is slow to import and most requests never need it.
"""

import mimetypes
from pathlib import Path
from urllib.parse import urlparse

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

# Templates refer to static files under this base; nothing else is ever fetched (no file://, no network).
STATIC_HOST = "static.invalid"
STATIC_PREFIX = "/" + settings.STATIC_URL.strip("/") + "/"
BASE_URL = f"https://{STATIC_HOST}{STATIC_PREFIX}"


class RefusedFetch(ValueError):
    """A report referenced something outside the project's static files."""


def static_file_for(url: str) -> Path:
    """The project static file ``url`` names, or RefusedFetch for any other URL."""
    parsed = urlparse(url)
    if parsed.scheme != "https" or parsed.netloc != STATIC_HOST or not parsed.path.startswith(STATIC_PREFIX):
        raise RefusedFetch(f"报表不允许引用外部资源：{url}")
    relative = parsed.path[len(STATIC_PREFIX) :]
    found = finders.find(relative) if ".." not in relative.split("/") else None
    if not found:
        raise RefusedFetch(f"找不到报表资源：{url}")
    return Path(found)


def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves the project's static files; refuses every other URL (file://, http://, data:…)."""

        def fetch(self, url, headers=None):
            path = static_file_for(url)
            mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})

    return StaticOnlyFetcher()


def render_pdf(template_name: str, context: dict) -> bytes:
    """Render ``template_name`` with ``context`` and lay it out as a PDF (page size from the template's CSS)."""
    from weasyprint import HTML

    html = render_to_string(template_name, context)
    return HTML(string=html, base_url=BASE_URL, url_fetcher=_fetcher()).write_pdf()
