"""Free text has a ceiling: 200,000 characters in a note are refused with a Chinese message and nothing
is saved (forms without a length of their own get accounts.forms.TEXT_MAX_LENGTH = 2,000)."""
import pytest

from accounts.forms import TEXT_MAX_LENGTH
from communities.models import Estate, OwnerCommittee
from tests.communities.test_committees import create_url
from tests.communities.test_committees import form_data as committee_form
from tests.communities.test_estate_forms import CREATE
from tests.communities.test_estate_forms import form_data as estate_form

pytestmark = pytest.mark.django_db
HUGE = "很" * 200_000
MESSAGE = "最多可填写 2000 个字，目前有 200000 个字，请精简后再保存。"


def test_a_huge_estate_note_is_refused_and_nothing_saved(world, login):
    before = Estate.objects.count()
    response = login("street_staff").post(CREATE, estate_form(world, notes=HUGE))
    assert response.status_code == 200
    assert MESSAGE in response.context["form"].errors["notes"]
    assert Estate.objects.count() == before
    assert f'maxlength="{TEXT_MAX_LENGTH}"' in login("street_staff").get(CREATE).content.decode()


def test_a_huge_committee_note_is_refused_and_nothing_saved(world, login):
    response = login("street_staff").post(create_url(world.estate_a2), committee_form(notes=HUGE))
    assert response.status_code == 200
    assert MESSAGE in response.context["form"].errors["notes"]
    assert not OwnerCommittee.objects.exists()


def test_a_note_at_the_limit_is_accepted(world, login):
    response = login("street_staff").post(CREATE, estate_form(world, notes="很" * TEXT_MAX_LENGTH))
    assert response.status_code == 302
    assert Estate.objects.get(name="幸福家园").notes == "很" * TEXT_MAX_LENGTH
