"""Reading the audit trail: history rows turned into entries of who changed what, when, from what to what.

django-simple-history stores a full snapshot per change; an entry is the difference between a snapshot and
the previous snapshot of the same object. The record pages show the entries of one project or one
department-wide evaluation (with its children: budget lines, indicators, score items, finance reviews), and
the auditor's export writes every entry of a year's scope to Excel.
"""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice

import nh3
from django.db import models
from django.utils import timezone

from history.records import untracked_fields

ACTIONS = {"+": "新增", "~": "修改", "-": "删除"}
NO_USER = "系统"


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    when: datetime
    user: str
    action: str
    kind: str  # what sort of thing changed: 项目, 指标, 财政抽查审核 …
    subject: str  # which one: the indicator's name, the fund source …
    object_id: int
    reason: str = ""
    project_id: int | None = None
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class Source:
    """One audited model as the trail shows it."""

    model: type[models.Model]
    kind: str
    subject: Callable[[models.Model], str] = lambda row: ""
    hide: tuple[str, ...] = ()  # fields not worth showing (the parent the page is already about)


def user_label(user) -> str:
    if user is None:
        return NO_USER
    name = getattr(user, "full_name", "") or ""
    return f"{name}（{user.username}）" if name and name != user.username else user.username


class Labels:
    """Readable text for stored values; names of related records are looked up once each, a batch at a time."""

    def __init__(self):
        self._names: dict[tuple[type, object], str] = {}

    def preload(self, fields, rows) -> None:
        """Look up in one query per related model the names ``rows`` (history rows) refer to through ``fields``."""
        for model_field in fields:
            if not isinstance(model_field, models.ForeignKey):
                continue
            model = model_field.related_model
            wanted = {getattr(row, model_field.attname) for row in rows} - {None}
            wanted = {pk for pk in wanted if (model, pk) not in self._names}
            if wanted:
                found = model._base_manager.in_bulk(wanted)
                for pk in wanted:
                    self._names[(model, pk)] = self._name(found.get(pk), pk)

    def related(self, model, pk) -> str:
        key = (model, pk)
        if key not in self._names:
            self._names[key] = self._name(model._base_manager.filter(pk=pk).first(), pk)
        return self._names[key]

    @staticmethod
    def _name(obj, pk) -> str:
        return str(obj) if obj is not None else f"#{pk}（已删除）"

    def value(self, model_field, value) -> str:
        if value is None or value == "" or value == {} or value == []:
            return ""
        if model_field.choices:
            return str(dict(model_field.flatchoices).get(value, value))
        if isinstance(model_field, models.BooleanField):
            return "是" if value else "否"
        if isinstance(model_field, models.ForeignKey):
            return self.related(model_field.related_model, value)
        if isinstance(value, Decimal):
            return format(value.normalize(), "f")
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
        if isinstance(model_field, models.JSONField):
            return json.dumps(value, ensure_ascii=False, sort_keys=True)
        if model_field.name.endswith("_html"):
            # Rich text is shown as its words: tags would only clutter a comparison.
            return nh3.clean(str(value), tags=set()).strip()
        return str(value)


def _shown_fields(source: Source) -> list[models.Field]:
    hidden = {"id", *source.hide, *untracked_fields(source.model)}
    return [f for f in source.model.history.model.tracked_fields if f.name not in hidden]


def _preloaded(rows, fields, labels: Labels, batch_size: int = 2000):
    """``rows`` streamed in batches, the related names of each batch looked up before its rows are read."""
    stream = rows.iterator(chunk_size=batch_size)
    while batch := list(islice(stream, batch_size)):
        labels.preload(fields, batch)
        yield from batch


def entries(source: Source, history, labels: Labels, *, project_of=None) -> Iterator[Entry]:
    """The entries of ``history`` (a queryset of ``source.model``'s history rows), object by object.

    A save that changed nothing shown leaves a history row but no entry. ``project_of(row)`` names the
    project an entry belongs to, for exports spanning many projects.
    """
    shown = _shown_fields(source)
    previous_id, previous = None, None  # the object's last snapshot, as display values
    rows = history.select_related("history_user").order_by("id", "history_date", "history_id")
    for row in _preloaded(rows, source.model.history.model.tracked_fields, labels):
        if row.id != previous_id:
            previous_id, previous = row.id, None
        values = {f.name: labels.value(f, getattr(row, f.attname)) for f in shown}
        if row.history_type == "-":
            changes = []
        elif previous is None:
            changes = [Change(str(f.verbose_name), "", values[f.name]) for f in shown if values[f.name]]
        else:
            changes = [
                Change(str(f.verbose_name), previous[f.name], values[f.name])
                for f in shown
                if values[f.name] != previous[f.name]
            ]
        unchanged = row.history_type == "~" and previous is not None and not changes
        previous = values
        if unchanged:
            continue
        yield Entry(
            when=row.history_date,
            user=user_label(row.history_user),
            action=ACTIONS.get(row.history_type, row.history_type),
            kind=source.kind,
            subject=source.subject(row),
            object_id=row.id,
            reason=row.history_change_reason or "",
            project_id=project_of(row) if project_of else None,
            changes=changes,
        )


def newest_first(items) -> list[Entry]:
    return sorted(items, key=lambda e: (e.when, e.kind), reverse=True)
