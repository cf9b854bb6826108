"""Celery tasks: thin wrappers that look the object up and call a service."""

import logging

from celery import shared_task

from evaluations.exports import export_run
from evaluations.models import ReportExport

logger = logging.getLogger(__name__)


# Acknowledged only when done, and put back on the queue if its pool process dies (also the defaults in
# settings, stated here because they are only safe for a task that may run twice). The hard time limit must
# stay below the broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS).
@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=2,
    default_retry_delay=10,
    soft_time_limit=15 * 60,
    time_limit=20 * 60,
)
def export_report(*, export_id: int):
    """Build one ReportExport; a repeated delivery leaves a finished export alone and rebuilds an unfinished one."""
    export = (
        ReportExport.objects.filter(pk=export_id)
        .select_related("fiscal_year", "department", "owner__organisation")
        .first()
    )
    if export is None:
        logger.warning("export %s no longer exists", export_id)
        return
    export_run(export=export)
