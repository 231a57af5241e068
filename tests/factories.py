"""factory_boy factories. People come from Faker zh_CN, never real names."""
import datetime
import random
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from accounts.models import RoleAssignment, User
from communities.models import (
    Community,
    District,
    DistrictPolicy,
    Estate,
    ManagementMode,
    OwnerCommittee,
    Street,
)
from enterprises.models import Firm, ServiceContract
from enterprises.validators import generate_credit_code

factory.Faker._DEFAULT_LOCALE = "zh_CN"


def make_credit_code(seed: int | None = None) -> str:
    return generate_credit_code(random.Random(seed))


class DistrictFactory(DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("name",)
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"测试{n}区")

    @factory.post_generation
    def policy(obj, create, extracted, **kwargs):
        if create and not obj.policies.exists():
            DistrictPolicy.objects.create(district=obj, effective_from=datetime.date(2000, 1, 1))


class StreetFactory(DjangoModelFactory):
    class Meta:
        model = Street
        django_get_or_create = ("district", "name")

    district = factory.SubFactory(DistrictFactory)
    name = factory.Sequence(lambda n: f"测试{n}街道")


class CommunityFactory(DjangoModelFactory):
    class Meta:
        model = Community
        django_get_or_create = ("street", "name")

    street = factory.SubFactory(StreetFactory)
    name = factory.Sequence(lambda n: f"测试{n}社区")


class FirmFactory(DjangoModelFactory):
    class Meta:
        model = Firm

    name = factory.Sequence(lambda n: f"测试{n}物业服务有限公司")
    credit_code = factory.Sequence(lambda n: make_credit_code(n))
    legal_representative = factory.Faker("name")
    contact_name = factory.Faker("name")
    contact_phone = factory.Faker("phone_number")


class EstateFactory(DjangoModelFactory):
    class Meta:
        model = Estate
        skip_postgeneration_save = True

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"测试{n}小区")
    address = factory.Faker("street_address")
    completion_year = 2010
    total_area = Decimal("50000.00")
    building_count = 10
    household_count = 400
    management_mode = ManagementMode.NONE
    category = 1

    @factory.post_generation
    def contract(obj, create, extracted, **kwargs):
        """An estate built with a firm is served under a contract from `firm_since` (the firm that
        served is read from contracts: enterprises/selectors.py)."""
        if create and obj.firm_id and not obj.contracts.exists():
            start = obj.firm_since or datetime.date(2025, 1, 1)
            ServiceContract.objects.create(estate=obj, firm_id=obj.firm_id, start_date=start,
                                           end_date=start.replace(year=start.year + 3), fee_standard=Decimal("1.20"),
                                           bond=Decimal("50000.00"))


class ServiceContractFactory(DjangoModelFactory):
    class Meta:
        model = ServiceContract

    estate = factory.SubFactory(EstateFactory)
    firm = factory.SubFactory(FirmFactory)
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)
    fee_standard = Decimal("1.20")
    bond = Decimal("50000.00")


class OwnerCommitteeFactory(DjangoModelFactory):
    class Meta:
        model = OwnerCommittee

    estate = factory.SubFactory(EstateFactory)
    elected_on = datetime.date(2024, 3, 1)
    term_end = datetime.date(2029, 2, 28)


PASSWORD = "Portal-Test-2026!"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)


def user_with_role(username: str, role: str, **target) -> User:
    user = UserFactory(username=username)
    RoleAssignment.objects.create(user=user, role=role, **target)
    return user
