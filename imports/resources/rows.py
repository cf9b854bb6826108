"""One data row of a flat template while import-export works on it (its RowState: what it resolves to, its
problems and what it changes), and the batches the resources query and write in."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import NON_FIELD_ERRORS

from accounts.models import Organisation
from budgets.models import FiscalYear, Project
from imports.records import CREATED, UNCHANGED, UPDATED

BATCH_SIZE = 500
# Key under which each row dict carries its RowState while import-export works on it.
STATE = "__flat_row_state__"


@dataclass
class RowState:
    """What the import knows about one data row: where it resolves to, its problems and what it changes."""

    index: int  # 1-based position in the dataset (import-export's row_number)
    excel_row: int
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (canonical column or "", message)
    fiscal_year: FiscalYear | None = None
    unit: Organisation | None = None
    name: str = ""
    code: str = ""
    project: Project | None = None  # indicator rows
    position: int | None = None  # indicator rows: n-th indicator row of its project on the sheet
    existing: object = None
    instance: object = None
    new: bool = False
    before: tuple | None = None
    changed: list[str] = field(default_factory=list)
    funds: dict[str, dict[str, Decimal]] | None = None  # project rows: None when the row states no amounts
    claims: dict = field(default_factory=dict)  # project rows: claimed_total / claimed_grade stated
    keys: tuple = ()  # project rows: how indicator rows may name this project
    pending: bool = False  # indicator row of a project listed on a 项目 sheet that could not be imported
    kept_name: str = ""  # project matched by a name differing only in full-width forms or blanks: the stored name
    saved: bool = False  # handed to import-export's save (bulk create or update)

    def error(self, column: str, message: str):
        self.errors[column or NON_FIELD_ERRORS].append(message)

    def warn(self, column: str, message: str):
        self.warnings.append((column, message))

    @property
    def action(self) -> str | None:
        if self.errors or self.pending or self.instance is None:
            return None
        if self.new:
            return CREATED
        return UPDATED if self.changed else UNCHANGED

    @property
    def label(self) -> str:
        if self.project is not None:
            indicator = self.instance
            name = (indicator.name if indicator is not None else "") or "（空）"
            return f"{self.project.unit.name} / {self.project.name} / 第 {self.position + 1} 条 {name}"
        unit = self.unit.name if self.unit else ""
        return f"{unit} / {self.instance.name if self.instance is not None else self.name}"


def chunks(items, size=BATCH_SIZE):
    """``items`` in lists of ``size``: one query or write per batch, never one per row nor one unbounded."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
