"""Only the admin role imports, and an import record belongs to the admins of its own finance bureau."""

import pytest
from django.urls import reverse

from evaluations.tests.factories import CAST_NAMES, UserFactory
from imports.models import ImportRecord
from policy.access import can

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(org, cast):
    def record(bureau):
        return ImportRecord.objects.create(
            uploaded_by=cast.admin,
            finance_bureau=bureau,
            original_name="往年.xlsx",
            file="imports/x.xlsx",
            sha256="1" * 64,
            size=1,
            preview={"changes": [], "problems": []},
        )

    return {"own": record(org.bureau), "other": record(org.other_bureau)}


@pytest.mark.parametrize("perm", ["imports.add_importrecord"])
def test_only_the_admin_role_may_import(cast, perm):
    assert [name for name in CAST_NAMES if can(getattr(cast, name), perm)] == ["admin"]


@pytest.mark.parametrize("perm", ["imports.view_importrecord", "imports.commit_importrecord"])
def test_an_import_record_is_the_business_of_its_own_bureaus_admins(cast, records, org, perm):
    other_admin = UserFactory(username="admin2", role="admin", organisation=org.other_bureau)

    holders = {
        key: [name for name in CAST_NAMES if can(getattr(cast, name), perm, record)] for key, record in records.items()
    }

    assert (holders, can(other_admin, perm, records["own"]), can(other_admin, perm, records["other"])) == (
        {"own": ["admin"], "other": []},
        False,
        True,
    )


def test_another_bureaus_import_cannot_be_seen_or_committed_by_url(client, cast, records):
    client.force_login(cast.admin)
    other = records["other"]

    responses = [
        client.get(reverse("imports:detail", args=[other.pk])).status_code,
        client.post(reverse("imports:commit", args=[other.pk])).status_code,
        client.get(reverse("imports:detail", args=[records["own"].pk])).status_code,
    ]

    assert responses == [403, 403, 200]
    other.refresh_from_db()
    assert other.status == ImportRecord.Status.PREVIEWED
