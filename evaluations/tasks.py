"""Celery tasks: thin wrappers that look the object up and call a service."""

import logging

from celery import shared_task

from evaluations.exports import export_run
from evaluations.models import ReportExport

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, max_retries=2, default_retry_delay=10, soft_time_limit=15 * 60, time_limit=20 * 60)
def export_report(*, export_id: int):
    """Build one ReportExport (idempotent: a redelivered task rebuilds the same file)."""
    export = ReportExport.objects.filter(pk=export_id).select_related("fiscal_year", "department").first()
    if export is None:
        logger.warning("export %s no longer exists", export_id)
        return
    export_run(export=export)
