"""The one scoping mechanism, model by model, for every persona."""
import pytest

from communities.models import Community, Estate, OwnerCommittee, Street
from enterprises.models import Firm, ServiceContract
from tests.factories import OwnerCommitteeFactory

pytestmark = pytest.mark.django_db


def names(qs):
    return sorted(str(o) for o in qs)


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("city_admin", ["北庄花园", "梅花园", "紫荆小区", "锦绣花园"]),
        ("district_admin", ["北庄花园", "梅花园", "锦绣花园"]),
        ("district_staff", ["北庄花园", "梅花园", "锦绣花园"]),
        ("district_admin_gc", ["紫荆小区"]),
        ("street_staff", ["梅花园", "锦绣花园"]),
        ("street_staff2", ["北庄花园"]),
        ("community_clerk", ["梅花园"]),
        ("firm_user", ["梅花园"]),
        ("firm_user2", ["北庄花园"]),
    ],
)
def test_estates_visible_to_each_persona(world, persona, expected):
    assert names(Estate.objects.visible_to(world.users[persona])) == expected


def test_anonymous_sees_no_estates(world):
    from django.contrib.auth.models import AnonymousUser

    assert not Estate.objects.visible_to(AnonymousUser()).exists()


def test_user_without_roles_sees_nothing(world):
    from tests.factories import UserFactory

    nobody = UserFactory(username="nobody")
    assert not Estate.objects.visible_to(nobody).exists()
    assert not Firm.objects.visible_to(nobody).exists()


@pytest.mark.parametrize(
    "persona, expected",
    [
        ("street_staff", ["山亭甲物业服务有限公司"]),
        ("street_staff2", ["山亭乙物业服务有限公司"]),
        ("district_admin", ["山亭乙物业服务有限公司", "山亭甲物业服务有限公司"]),
        ("district_admin_gc", []),
        ("firm_user", ["山亭甲物业服务有限公司"]),
        ("firm_user2", ["山亭乙物业服务有限公司"]),
        ("community_clerk", ["山亭甲物业服务有限公司"]),
    ],
)
def test_firms_visible_to_each_persona(world, persona, expected):
    assert names(Firm.objects.visible_to(world.users[persona])) == expected


def test_firm_list_has_no_duplicates_when_a_firm_serves_many_estates(world):
    from tests.factories import EstateFactory

    for i in range(3):
        EstateFactory(community=world.meiyuan, name=f"多{i}", firm=world.firm1,
                      firm_since=world.contract_a1.start_date)
    assert Firm.objects.visible_to(world.users["street_staff"]).count() == 1


@pytest.mark.parametrize(
    "persona, streets, communities",
    [
        ("street_staff", ["山城街道"], ["梅园社区", "紫薇社区"]),
        ("street_staff2", ["北庄街道"], ["北庄社区"]),
        ("district_admin", ["北庄街道", "山城街道"], ["北庄社区", "梅园社区", "紫薇社区"]),
        ("community_clerk", ["山城街道"], ["梅园社区"]),
        ("firm_user", ["山城街道"], ["梅园社区"]),
    ],
)
def test_streets_and_communities_visible(world, persona, streets, communities):
    user = world.users[persona]
    assert names(Street.objects.visible_to(user)) == streets
    assert names(Community.objects.visible_to(user)) == communities


def test_committees_and_contracts_follow_estate_scope(world):
    OwnerCommitteeFactory(estate=world.estate_a1)
    OwnerCommitteeFactory(estate=world.estate_b1)
    assert OwnerCommittee.objects.visible_to(world.users["street_staff"]).get().estate == world.estate_a1
    assert OwnerCommittee.objects.visible_to(world.users["street_staff2"]).get().estate == world.estate_b1
    # A firm sees (never edits) the committee of the estate it serves now (issue 15: its 业委会 page was empty),
    # not the committees of other firms' estates.
    assert OwnerCommittee.objects.visible_to(world.users["firm_user"]).get().estate == world.estate_a1
    assert not OwnerCommittee.objects.editable_by(world.users["firm_user"]).exists()
    assert ServiceContract.objects.visible_to(world.users["firm_user"]).get() == world.contract_a1


def test_editable_is_narrower_than_visible(world):
    # A firm sees the estate it serves but may not edit it; district staff only read.
    assert Estate.objects.visible_to(world.users["firm_user"]).exists()
    assert not Estate.objects.editable_by(world.users["firm_user"]).exists()
    assert not Estate.objects.editable_by(world.users["district_staff"]).exists()
    assert names(Estate.objects.editable_by(world.users["street_staff"])) == ["梅花园", "锦绣花园"]
    assert names(Estate.objects.editable_by(world.users["district_admin"])) == ["北庄花园", "梅花园", "锦绣花园"]
    # A firm may edit its own profile, not another's.
    assert names(Firm.objects.editable_by(world.users["firm_user"])) == ["山亭甲物业服务有限公司"]


def test_user_with_two_roles_sees_the_union(world):
    from accounts.models import Role, RoleAssignment

    user = world.users["street_staff"]
    RoleAssignment.objects.create(user=user, role=Role.STREET_STAFF, street=world.beizhuang)
    user = type(user).objects.get(pk=user.pk)  # drop the cached scope
    assert names(Estate.objects.visible_to(user)) == ["北庄花园", "梅花园", "锦绣花园"]


def test_old_estate_filter_defaults_to_2004_without_a_policy(db):
    from communities.models import DistrictPolicy
    from tests.factories import CommunityFactory, EstateFactory

    community = CommunityFactory()
    DistrictPolicy.objects.filter(district=community.street.district).delete()
    EstateFactory(community=community, name="旧", completion_year=2004)
    EstateFactory(community=community, name="新", completion_year=2005)
    assert [e.name for e in Estate.objects.filter(community=community).old(True)] == ["旧"]
    assert [e.name for e in Estate.objects.filter(community=community).old(False)] == ["新"]
