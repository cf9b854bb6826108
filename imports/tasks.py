"""The app's Celery tasks, for Celery's autodiscovery; CELERY_BEAT_SCHEDULE (config/settings.py) runs them."""

from celery import shared_task

from imports.retention import purge


@shared_task(name="imports.tasks.purge_imports")
def purge_imports() -> dict:
    """The nightly retention run (the same as `manage.py purge_imports`); safe to repeat."""
    return purge().as_dict()


# The background check and commit of large imports (imports/jobs.py), registered through this module.
from imports.jobs import check_upload, commit_upload  # noqa: E402, F401
