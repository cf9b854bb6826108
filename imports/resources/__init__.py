"""django-import-export resources of the flat import templates: one row per project (with its fund rows) and one
row per indicator (SPEC §10.1).

``imports.readers.flat`` turns the sheets of an uploaded workbook into ``tablib.Dataset``s with canonical Chinese
headers (``columns.normalise_header``) and hands them to ``project_sheet.ProjectResource`` and
``indicator_sheet.IndicatorResource``. The modules:

* ``columns``: the templates' columns, headers and their aliases;
* ``cells``: a cell's value as text, year or Decimal, and the widgets that clean each column;
* ``rows``: the RowState of each data row, and batching;
* ``base``: the import's shared context (years, organisations) and the resource machinery both sheets use;
* ``project_sheet`` and ``indicator_sheet``: the two resources.

This package holds no code of its own.

How the resources use import-export, and why:

* ``use_bulk`` with ``batch_size``: rows are collected and written with ``bulk_create`` / ``bulk_update``. Bulk mode
  bypasses ``Model.save()`` and signals, so whatever ``save()`` would do is done here: ``Project.version`` is
  raised and ``updated_at`` set in ``ProjectResource.before_save_instance`` (``auto_now`` is not applied by
  ``bulk_update``); there are no signal receivers on these models.
* ``skip_diff``: no ``deepcopy`` of every instance and no HTML diff. import-export then cannot compare rows for
  ``skip_unchanged`` itself (its ``skip_row`` returns False whenever ``skip_diff`` is set), so each resource keeps
  a tuple of the tracked field values taken before the row is applied and ``FlatResource.skip_row`` compares
  against it: unchanged rows are skipped (idempotent re-imports) and the changed fields are named for the preview.
* Foreign keys are never looked up per row: ``before_import`` resolves every row's fiscal year, organisation,
  project and existing instance from a few queries (the year's projects in one, the bureau's organisations in
  one, the existing indicators by project in chunks) and the instance loader only reads that.
* ``clean_model_instances`` stays off (``full_clean()`` would query once per foreign key and row); values are
  checked in Python as they are parsed: lengths, decimals, non-negative amounts and points.
* Callers must pass ``use_transactions=True`` and ``rollback_on_validation_errors=True`` to ``import_data``:
  import-export rolls back on exceptions, but a row with a validation error would otherwise leave every other row
  written (999 rows of 1,000).

Identity. A project is the row's 项目编码 when the year has a project with that code, else 预算单位 + 项目名称
(names compared ignoring full-width forms and blanks). An indicator is its project + position: the n-th indicator
row of a project on the sheet is the project's n-th stored indicator (by ``order``, then pk). Names would not do:
三级 names repeat, spacer rows have none, and a renamed indicator would be deleted and re-created, losing the
finance reviewer's 核查分数 attached to it. Positions are also what the standard-table import and the form use.
"""
