"""The organisation tree (财政局 → 主管部门 → 预算单位) and users with one role each (SPEC §1, §2)."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from domain import roles
from history.records import AuditedQuerySet, AuditRecords


class OrganisationQuerySet(AuditedQuerySet):
    def departments(self):
        return self.filter(kind=Organisation.Kind.DEPARTMENT)

    def budget_units(self):
        """Everything that can own a project: departments (which are units too) and units."""
        return self.filter(kind__in=Organisation.BUDGET_UNIT_KINDS)

    def of_department(self, department):
        """The department itself and the units under it."""
        return self.filter(Q(pk=department.pk) | Q(parent=department))


class Organisation(models.Model):
    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("pk", "parent", "parent__parent")

    class Kind(models.TextChoices):
        FINANCE_BUREAU = "finance_bureau", "财政局"
        DEPARTMENT = "department", "主管部门"
        UNIT = "unit", "预算单位"

    # A department is also a budget unit: it files projects of its own (seed 000, row 2 onwards).
    BUDGET_UNIT_KINDS = (Kind.DEPARTMENT, Kind.UNIT)

    name = models.CharField("名称", max_length=200)
    kind = models.CharField("类型", max_length=20, choices=Kind.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    code = models.CharField("单位编码", max_length=50, blank=True)

    objects = OrganisationQuerySet.as_manager()
    history = AuditRecords()

    class Meta:
        verbose_name = "组织"
        verbose_name_plural = "组织"
        ordering = ["kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="organisation_unique_name_under_parent"),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent__isnull=True), name="organisation_unique_root_name"
            ),
            models.CheckConstraint(
                condition=Q(kind="finance_bureau", parent__isnull=True)
                | Q(~Q(kind="finance_bureau"), parent__isnull=False),
                name="organisation_only_bureaus_are_roots",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def department(self):
        """The 主管部门 this organisation belongs to (itself for a department, None for a bureau)."""
        if self.kind == self.Kind.DEPARTMENT:
            return self
        if self.kind == self.Kind.UNIT:
            return self.parent
        return None

    @property
    def finance_bureau(self):
        node = self
        while node.parent_id is not None:
            node = node.parent
        return node


class AuditedUserManager(UserManager.from_queryset(AuditedQuerySet)):
    """Django's UserManager whose bulk writes are audited too."""


class User(AbstractUser):
    # Where a row belongs: policy.admin scopes the admin site by it.
    bureau_paths = ("organisation", "organisation__parent", "organisation__parent__parent")

    class Role(models.TextChoices):
        UNIT_FILLER = roles.UNIT_FILLER, "单位填报人"
        DEPARTMENT_REVIEWER = roles.DEPARTMENT_REVIEWER, "主管部门审核人"
        FINANCE_REVIEWER = roles.FINANCE_REVIEWER, "财政审核员"
        ADMIN = roles.ADMIN, "管理员"

    # Which kind of organisation each role belongs to.
    ROLE_ORGANISATION_KINDS = {
        Role.UNIT_FILLER: Organisation.BUDGET_UNIT_KINDS,
        Role.DEPARTMENT_REVIEWER: (Organisation.Kind.DEPARTMENT,),
        Role.FINANCE_REVIEWER: (Organisation.Kind.FINANCE_BUREAU,),
        Role.ADMIN: (Organisation.Kind.FINANCE_BUREAU,),
    }

    role = models.CharField("角色", max_length=30, choices=Role.choices, default=Role.UNIT_FILLER)
    organisation = models.ForeignKey(
        Organisation, verbose_name="所属组织", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("联系电话", max_length=30, blank=True)

    objects = AuditedUserManager()
    # The password hash is never copied into history; last_login changes on every sign-in and is not content.
    history = AuditRecords(untracked=["password", "last_login"])

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self):
        return self.full_name or self.username
