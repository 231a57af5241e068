"""The data keepers' admin (city administrators): categories, time-limit policies with history, aliases, mappings."""
import pytest
from django.urls import reverse

from complaints.models import TimeLimitPolicy
from complaints.services import ensure_default_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(world, login):
    """The city administrator as a data keeper (superuser: every model permission)."""
    user = world.users["city_admin"]
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    return login("city_admin")

MODELS = ["category", "timelimitpolicy", "estatealias", "importmapping"]


@pytest.mark.parametrize("model", MODELS)
def test_city_admin_keeps_the_complaint_data(keeper, model):
    client = keeper
    assert client.get(reverse(f"admin:complaints_{model}_changelist")).status_code == 200
    assert client.get(reverse(f"admin:complaints_{model}_add")).status_code == 200


@pytest.mark.parametrize("persona", ["district_admin", "street_staff", "firm_user"])
def test_no_one_else_enters_the_admin(login, persona):
    response = login(persona).get(reverse("admin:complaints_timelimitpolicy_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_policy_keeps_its_history_and_is_not_deleted_in_the_admin(world, keeper):
    policy = ensure_default_policy(world.shanting)
    assert ensure_default_policy(world.shanting) == policy  # created once
    assert TimeLimitPolicy.objects.filter(district=world.shanting).count() == 1
    client = keeper
    assert client.get(reverse("admin:complaints_timelimitpolicy_history", args=[policy.pk])).status_code == 200
    assert client.get(reverse("admin:complaints_timelimitpolicy_delete", args=[policy.pk])).status_code == 403
    assert policy.history.count() == 1
