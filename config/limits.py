"""A request body larger than any form of the site accepts is refused by its declared length, before anything reads it.

Django streams an uploaded file to a temporary file while it parses the body, which the CSRF check does before any
view runs: without this, a 2 GB POST would be written to disk before the import form could say "too large". The
reverse proxy should refuse such bodies too (README, client_max_body_size); this is the application's own bound.
"""

from django.conf import settings
from django.http import HttpResponse
from django.template.loader import render_to_string

# What a form holds beside its file: the multipart boundaries, the year and the CSRF token.
FORM_OVERHEAD = 1024 * 1024


def body_limit() -> int:
    from imports.safety import IMPORT_MAX_UPLOAD_BYTES

    return getattr(settings, "IMPORT_MAX_UPLOAD_BYTES", IMPORT_MAX_UPLOAD_BYTES) + FORM_OVERHEAD


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = body_limit()
        if length > limit:
            page = render_to_string(
                "413.html", {"size": f"{length / 2**20:.3g}", "limit": f"{(limit - FORM_OVERHEAD) / 2**20:.3g}"}
            )
            return HttpResponse(page, status=413)
        return self.get_response(request)
