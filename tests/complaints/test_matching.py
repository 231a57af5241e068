"""Estate matching: normalisation, exact before fuzzy, the threshold, ambiguity, never across districts."""
import pytest

from complaints.matching import Candidate, EstateMatcher, build_matcher, normalise, place_of
from complaints.models import EstateAlias, TimeLimitPolicy
from tests.factories import CommunityFactory, EstateFactory


def matcher(*names_by_estate, threshold=85, home=1):
    """matcher(("梅花园", "梅花园小区二期"), ("锦绣花园",)) — estates "e0", "e1", … of street 1."""
    return EstateMatcher([Candidate(estate=f"e{i}", street_id=1, names=names)
                          for i, names in enumerate(names_by_estate)], threshold=threshold, home_street_id=home)


@pytest.mark.parametrize("raw, expected", [
    ("梅花园小区", "梅花园"),
    (" 梅花 园 ", "梅花园"),
    ("ＡＢＣ花园１号", "abc花园1号"),  # full-width to half-width, lower case
    ("小区", "小区"),  # nothing left: kept
])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


@pytest.mark.parametrize("address, place", [
    ("山亭区山城街道梅花园小区3号楼2单元501室", "山亭区山城街道梅花园小区"),
    ("梅花园１２栋", "梅花园"),
    ("文化路12号院3号楼", "文化路12号院"),
    ("梅花园二期3号楼", "梅花园二期"),
])
def test_place_of_cuts_the_building_part(address, place):
    assert place_of(address) == place


def test_exact_match_on_name_alias_and_address_scores_100():
    m = matcher(("梅花园", "梅花园二期"), ("锦绣花园", "文化路12号院"))
    assert m.match("梅花园小区5号楼") == ("e0", 100)
    assert m.match("山亭区梅花园二期7号楼") == ("e0", 100)
    assert m.match("文化路12号院3号楼1单元") == ("e1", 100)


def test_longest_contained_name_wins():
    m = matcher(("锦绣花园",), ("锦绣花园二期",))
    assert m.match("山城街道锦绣花园二期8号楼") == ("e1", 100)
    assert m.match("山城街道锦绣花园8号楼") == ("e0", 100)


def test_fuzzy_match_on_an_alias_above_the_threshold():
    m = matcher(("梅花园", "梅花园小区二期"), ("锦绣花园",))
    estate, score = m.match("山亭区山城街道梅花苑小区二期7号楼")  # 苑 for 园: a typo of the alias
    assert estate == "e0" and 85 <= score < 100


def test_below_the_threshold_is_a_miss():
    m = matcher(("梅花园", "梅花园小区二期"), ("锦绣花园",))
    assert m.match("山亭区山城街道梅林苑7号楼") == (None, None)
    assert m.match("建设路与文化路交叉口") == (None, None)
    assert m.match("") == (None, None)
    # the same typo passes a laxer district policy
    assert matcher(("梅花园",), threshold=60).match("梅花苑3号楼")[0] == "e0"


def test_a_short_place_is_not_matched_inside_a_longer_name():
    m = matcher(("锦绣花园",))
    assert m.match("锦绣1号楼") == (None, None)  # partial_ratio alone would say 100


def test_two_letter_names_match_only_whole():
    m = matcher(("金苑",), ("紫荆小区",))
    assert m.match("金苑3号楼") == ("e0", 100)
    assert m.match("金苑小区3号楼") == ("e0", 100)
    assert m.match("金苑路18号某公司") == (None, None)
    # with 小区 the name is long enough to be found inside an address; "紫荆" alone is not
    assert m.match("管城回族区紫荆山街道紫荆小区3号楼") == ("e1", 100)
    assert m.match("紫荆3号楼") == ("e1", 100)
    assert m.match("紫荆山路8号") == (None, None)


def test_a_name_shared_by_two_streets_goes_to_the_importing_street():
    cands = [Candidate(estate="ours", street_id=1, names=("幸福家园",)),
             Candidate(estate="theirs", street_id=2, names=("幸福家园",))]
    assert EstateMatcher(cands, home_street_id=1).match("幸福家园3号楼") == ("ours", 100)
    assert EstateMatcher(cands, home_street_id=2).match("幸福家园3号楼") == ("theirs", 100)
    assert EstateMatcher(cands, home_street_id=3).match("幸福家园3号楼") == (None, None)  # ambiguous: triage


def test_answers_are_cached_per_place():
    m = matcher(("梅花园",))
    m.match("梅花园1号楼")
    m.match("梅花园2号楼301室")
    m.match("梅花园小区2号楼")
    assert list(m._cache) == ["梅花园", "梅花园小区"]


def test_build_matcher_reads_the_district_estates_and_aliases(world, django_assert_max_num_queries):
    EstateAlias.objects.create(estate=world.estate_a1, name="梅花园二期")
    with django_assert_max_num_queries(2):
        m = build_matcher(street=world.shancheng)
    assert m.match("梅花园二期3号楼") == (world.estate_a1, 100)
    assert m.match("北庄花园3号楼")[0] == world.estate_b1  # another street of the same district
    assert m.match("紫荆小区3号楼") == (None, None)  # 管城回族区: never across districts
    assert build_matcher(street=world.zijingshan).match("管城回族区紫荆山街道紫荆小区3号楼")[0] == world.estate_c1
    # the same name in the other district does not make ours ambiguous, nor theirs a match for us
    other = EstateFactory(community=world.zidong, name="梅花园")
    assert build_matcher(street=world.shancheng).match("梅花园3号楼")[0] == world.estate_a1
    assert build_matcher(street=world.zijingshan).match("梅花园3号楼")[0] == other


def test_same_name_in_two_streets_of_a_district(world):
    twin = EstateFactory(community=CommunityFactory(street=world.beizhuang, name="北庄二社区"), name="梅花园")
    assert build_matcher(street=world.shancheng).match("梅花园3号楼")[0] == world.estate_a1
    assert build_matcher(street=world.beizhuang).match("梅花园3号楼")[0] == twin


def test_threshold_comes_from_the_district_policy(world, settings, tmp_path):
    import datetime
    from zoneinfo import ZoneInfo

    from complaints.services.imports import _matcher, _Policies

    TimeLimitPolicy.objects.create(district=world.shanting, effective_from=datetime.date(2026, 1, 1),
                                   match_threshold=60)
    m = _matcher(world.shancheng, _Policies(world.shanting),
                 datetime.datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert m.threshold == 60
