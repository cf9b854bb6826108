"""The form renderer: Django's Jinja2 widget templates where they exist, its own template engine otherwise.

The filling form holds about 200 widgets, and the Django template engine spent half of that page's CPU
rendering them (bench/profile_pages.py); the same widgets from Django's bundled Jinja2 templates cost about a
third. The admin's widgets (related-object wrappers and the like) exist only as Django templates, so a name the
Jinja2 side does not have falls back to them.
"""

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class WidgetRenderer(BaseRenderer):
    def __init__(self):
        self.fast = Jinja2()
        self.fallback = DjangoTemplates()

    def get_template(self, template_name):
        try:
            return self.fast.get_template(template_name)
        except TemplateDoesNotExist:
            return self.fallback.get_template(template_name)
