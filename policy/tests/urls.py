"""The site's named URLs (the admin's aside), for the tests that walk every one of them."""

from django.urls import URLResolver, get_resolver


def named_urls(resolver=None, namespace=""):
    """Each named URL as (namespaced name, the names of its path parameters)."""
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from named_urls(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        else:
            yield f"{namespace}{entry.name}", tuple(entry.pattern.converters)
