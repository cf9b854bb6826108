"""What the resources of both flat sheets share: the import's context (FlatContext: the bureau's years and
organisations, found in one query and created on demand) and FlatResource, the import-export machinery (row
states, messages naming the file's headers, change tracking with ``skip_diff``). See ``imports.resources``."""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Q
from import_export import resources
from import_export.instance_loaders import BaseInstanceLoader

from accounts.models import Organisation
from budgets.models import FiscalYear, RuleProfile
from imports import progress
from imports.records import Outcome, create_imported_year
from imports.resources.cells import DASHES, cell_text, parse_year
from imports.resources.columns import DEPARTMENT, UNIT, YEAR, fund_source_names
from imports.resources.rows import BATCH_SIZE, STATE, RowState
from imports.wording import fold


class FlatContext:
    """What every sheet of one import shares: the bureau, its fiscal years and organisations, and the outcome that
    collects new organisations and years. Organisations are loaded in one query and created on demand."""

    def __init__(self, *, bureau: Organisation, outcome: Outcome, year: int | None = None, user=None):
        self.bureau = bureau
        self.outcome = outcome
        self.year_override = year
        self.user = user
        self.years: dict[int, FiscalYear] = {}
        self.created_years: set[int] = set()  # years this import creates
        self._fund_sources: dict[int, list[str]] = {}
        self.departments: dict[str, Organisation] = {}
        self.units: dict[tuple[int, str], Organisation] = {}
        self.by_name: dict[str, list[Organisation]] = defaultdict(list)
        self.organisations: dict[int, Organisation] = {}

    def fiscal_year(self, number: int) -> FiscalYear:
        """The bureau's year ``number``, created (with the latest year's profile, or "national") if missing."""
        found = self.years.get(number)
        if found is not None:
            return found
        found = FiscalYear.objects.filter(finance_bureau=self.bureau, year=number).select_related("profile").first()
        if found is None:
            latest = (
                FiscalYear.objects.filter(finance_bureau=self.bureau)
                .select_related("profile")
                .order_by("-year")
                .first()
            )
            profile = latest.profile if latest else RuleProfile.objects.get(code="national")
            found = create_imported_year(self.bureau, number, profile, self.outcome)
            self.created_years.add(number)
        self.years[number] = found
        return found

    def fund_sources(self, year: FiscalYear) -> list[str]:
        if year.profile_id not in self._fund_sources:
            self._fund_sources[year.profile_id] = fund_source_names(year.profile)
        return self._fund_sources[year.profile_id]

    def load_organisations(self):
        """(Re)load the bureau's departments and units: one query."""
        self.departments.clear()
        self.units.clear()
        self.by_name.clear()
        self.organisations.clear()
        found = Organisation.objects.filter(Q(parent=self.bureau) | Q(parent__parent=self.bureau)).order_by("pk")
        for org in found:
            self._remember(org)

    def _remember(self, org: Organisation):
        self.organisations[org.pk] = org
        if org.kind == Organisation.Kind.DEPARTMENT and org.parent_id == self.bureau.pk:
            self.departments.setdefault(fold(org.name), org)
            self.by_name[fold(org.name)].append(org)
        elif org.kind == Organisation.Kind.UNIT:
            self.units.setdefault((org.parent_id, fold(org.name)), org)
            self.by_name[fold(org.name)].append(org)

    def unit(self, department: str, unit: str, *, create: bool) -> tuple[Organisation | None, str]:
        """The budget unit a row names, and an error message when there is none. With ``create``, a department or
        unit not yet known is created (under the bureau / the department) and listed in the outcome."""
        department, unit = cell_text(department), cell_text(unit)
        if not department and not unit:
            return None, f"没有填写“{DEPARTMENT}”和“{UNIT}”"
        if not department:
            matches = self.by_name.get(fold(unit), [])
            if len(matches) == 1:
                return matches[0], ""
            if matches:
                return None, f"预算单位“{unit}”在多个主管部门下都有，请填写“{DEPARTMENT}”"
            return None, f"找不到预算单位“{unit}”；新的预算单位须同时填写“{DEPARTMENT}”"
        for name in (department, unit):
            if len(name) > 200:
                return None, f"单位名称“{name[:20]}…”超过了 200 个字"
        found = self.departments.get(fold(department))
        if found is None:
            if not create:
                return None, ""
            found = Organisation.objects.create(name=department, parent=self.bureau, kind=Organisation.Kind.DEPARTMENT)
            self._remember(found)
            self.outcome.new_organisations.append(f"主管部门：{department}")
        if not unit or fold(unit) == fold(department):
            return found, ""
        department_org = found
        found = self.units.get((department_org.pk, fold(unit)))
        if found is None:
            if not create:
                return None, ""
            found = Organisation.objects.create(name=unit, parent=department_org, kind=Organisation.Kind.UNIT)
            self._remember(found)
            self.outcome.new_organisations.append(f"预算单位：{unit}")
        return found, ""


# --- resources ----------------------------------------------------------------------------------------------------


class StateInstanceLoader(BaseInstanceLoader):
    """Returns the instance ``before_import`` already found for the row: no query per row."""

    def get_instance(self, row):
        return row[STATE].existing


class FlatResource(resources.ModelResource):
    """Common machinery: row states, messages naming the file's headers, change tracking with ``skip_diff``."""

    class Meta:
        """The options of both sheets' resources (see ``imports.resources`` for why each is set)."""

        instance_loader_class = StateInstanceLoader
        use_bulk = True
        batch_size = BATCH_SIZE
        skip_diff = True
        skip_unchanged = True
        clean_model_instances = False
        use_transactions = True

    # model attribute → Chinese name shown in the preview when it changes
    tracked: dict[str, str] = {}
    bulk_update_fields: tuple[str, ...] = ()

    def __init__(self, *, context: FlatContext, labels: dict[str, str] | None = None, row_numbers=None):
        super().__init__()
        self.context = context
        self.labels = dict(labels or {})
        self.row_numbers = list(row_numbers) if row_numbers is not None else None
        self.states: list[RowState] = []
        for resource_field in self.fields.values():
            resource_field.widget.column = resource_field.column_name
            resource_field.widget.label = self.label(resource_field.column_name)

    def label(self, column: str) -> str:
        """The column's header as written in the file."""
        return self.labels.get(column, column)

    def excel_row(self, index: int) -> int:
        return self.row_numbers[index - 1] if self.row_numbers else index + 1

    def _new_states(self, dataset) -> list[tuple[RowState, dict]]:
        self.states = []
        pairs = []
        for index, values in enumerate(dataset, 1):
            state = RowState(index=index, excel_row=self.excel_row(index))
            self.states.append(state)
            pairs.append((state, dict(zip(dataset.headers, values, strict=False))))
        return pairs

    def _row_year(self, state: RowState, row: dict) -> FiscalYear | None:
        number = self.context.year_override
        if number is None:
            raw = row.get(YEAR)
            number = parse_year(raw)
            if number is None:
                text = cell_text(raw)
                state.error(
                    YEAR, f"“{self.label(YEAR)}”列的“{text}”不是有效的年度" if text else f"没有填写“{self.label(YEAR)}”"
                )
                return None
        return self.context.fiscal_year(number)

    def _text(self, row: dict, column: str) -> str:
        value = cell_text(row.get(column))
        return "" if value in DASHES else value

    # import-export hooks

    def before_import_row(self, row, **kwargs):
        row[STATE] = self.states[kwargs["row_number"] - 1]
        progress.rows(kwargs["row_number"], len(self.states))

    def get_instance(self, instance_loader, row):
        return instance_loader.get_instance(row)

    def after_init_instance(self, instance, new, row, **kwargs):
        state = row[STATE]
        state.instance, state.new = instance, new
        state.before = None if new else self.snapshot(instance)

    def snapshot(self, instance) -> tuple:
        return tuple(getattr(instance, name) for name in self.tracked)

    def import_instance(self, instance, row, **kwargs):
        """Apply every column, collecting all of the row's problems (keyed by column) instead of stopping at one."""
        state = row[STATE]
        for resource_field in self.get_import_fields():
            try:
                self.import_field(resource_field, instance, row, **kwargs)
            except ValueError as exc:
                state.error(resource_field.column_name, str(exc))
        self.import_extra(instance, row, state)
        if state.errors:
            raise ValidationError({key: list(messages) for key, messages in state.errors.items()})

    def import_extra(self, instance, row, state: RowState):
        """Values that take more than one column or live outside the model."""

    def skip_row(self, instance, original, row, import_validation_errors=None):
        state = row[STATE]
        if import_validation_errors or state.errors:
            return False
        if state.pending:
            return True
        if state.new:
            return False
        after = self.snapshot(instance)
        state.changed = list(
            dict.fromkeys(
                label
                for (name, label), old, new in zip(self.tracked.items(), state.before, after, strict=True)
                if old != new
            )
        )
        return not state.changed

    def get_bulk_update_fields(self):
        return list(self.bulk_update_fields)
