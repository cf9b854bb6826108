"""The app's Celery tasks, for Celery's autodiscovery: each is a thin wrapper defined beside the service it calls."""

from evaluations.reports.exports import export_report

__all__ = ["export_report"]
