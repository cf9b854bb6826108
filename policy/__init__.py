"""Who may see or change what, and when (SPEC §1, §12, §13): the one place these rules live.

- ``policy.rules``: the django-rules predicates and every permission, keyed by role, bureau and year state;
- ``policy.access``: ``can``/``get_object_for_user`` and the questions pages and outputs ask
  (``sees_finance_results``, ``department_scope``, ``is_operator`` …);
- ``policy.scopes``: the querysets a user's lists start from, always cut to their bureau first;
- ``policy.locks``: the guard that keeps a finalised year's records unchanged whatever path writes them;
- ``policy.admin``: the admin site's bureau scoping.

No role is compared anywhere else: views, templates, exports, commands and the admin ask these modules.
"""
