"""The settings without connection health checks: the control case of test_faults (never used to serve)."""

from config.settings import *  # noqa: F403 - the same settings in every other respect

DATABASES["default"]["CONN_HEALTH_CHECKS"] = False  # noqa: F405 - DATABASES comes from the star import
