#!/usr/bin/env python
"""Django's command-line entry point."""

import os
import secrets
import sys

# Commands that only read or write migration files: they sign nothing, so on a bare checkout (no SECRET_KEY,
# no DEBUG) they run with a throwaway key instead of stopping where the settings demand a real one.
KEYLESS_COMMANDS = {"makemigrations", "showmigrations", "sqlmigrate", "squashmigrations"}


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(sys.argv) > 1 and sys.argv[1] in KEYLESS_COMMANDS:
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
