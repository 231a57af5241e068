"""Estate matching: which estate of the importing street's district an address names.

Candidates are the district's estates only (never another district's: a row about one lands in the triage
queue), each known by its name, its address and its aliases (`EstateAlias`). Names and addresses are
normalised the same way: full-width → half-width (NFKC), no spaces, lower case, without a trailing 小区.

For an address, the matcher
1. cuts the building/unit/room part ("3号楼2单元501室") to keep the place ("山亭区山城街道梅花园小区"),
2. takes an exact hit: the place equals a candidate (with or without 小区), or contains one (the longest
   wins; keys of at least 3 characters, so 紫荆小区 matches inside an address but a bare two-character
   name never matches inside a road name) → score 100,
3. else asks rapidfuzz for the best `fuzz.partial_ratio` (a name inside a longer address) and accepts it at
   or above the district policy's threshold (default 85) → that score, else no estate (triage).
A name shared by estates of two streets goes to the importing street's one, else it is ambiguous (triage).

`EstateMatcher` is built once per import (one query for the estates, one for the aliases) and caches the
answer per place, so 100,000 rows with a few thousand distinct places cost a few thousand look-ups.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

from rapidfuzz import fuzz, process

DEFAULT_THRESHOLD = 85
MIN_KEY_LENGTH = 3  # shorter names match only when the whole place equals them

# The first building/unit/room designation ends the place: "梅花园小区3号楼2单元" -> "梅花园小区".
_UNIT = re.compile(r"(\d+|[一二三四五六七八九十百]+)(号楼|栋|幢|座|单元|层|楼|室|户)")
_TRAILING = ("小区",)


def squash(value: str | None) -> str:
    """Full-width to half-width, no whitespace, lower case."""
    return "".join(unicodedata.normalize("NFKC", value or "").split()).lower()


def normalise(value: str | None) -> str:
    """squash(), then without a trailing 小区."""
    s = squash(value)
    for suffix in _TRAILING:
        if s.endswith(suffix) and len(s) > len(suffix):
            s = s[: -len(suffix)]
    return s


def place_of(address: str | None) -> str:
    """The part of an address before the first building/unit/room designation, squashed (小区 kept)."""
    s = squash(address)
    m = _UNIT.search(s)
    if m and m.start() > 0:
        s = s[: m.start()]
    return s


@dataclass(frozen=True)
class Candidate:
    estate: object  # an Estate (or anything the caller wants back)
    street_id: int
    names: tuple[str, ...]


class EstateMatcher:
    def __init__(self, candidates: Iterable[Candidate], *, threshold: int | None = None,
                 home_street_id: int | None = None):
        self.threshold = DEFAULT_THRESHOLD if threshold is None else int(threshold)
        self.home_street_id = home_street_id
        self.index: dict[str, list[Candidate]] = {}
        for c in candidates:
            for name in c.names:
                # both 紫荆小区 and 紫荆: the short form matches a whole place, the long one inside an address
                for key in {squash(name), normalise(name)}:
                    if key and c not in self.index.setdefault(key, []):
                        self.index[key].append(c)
        self.lengths = sorted({len(k) for k in self.index if len(k) >= MIN_KEY_LENGTH}, reverse=True)
        self.fuzzy_keys = [k for k in self.index if len(k) >= MIN_KEY_LENGTH]
        self._cache: dict[str, tuple[object | None, int | None]] = {}

    def _pick(self, key: str):
        """The one estate a key names (the importing street's when several share it), or None."""
        found = self.index.get(key, [])
        estates = {id(c.estate): c for c in found}
        if len(estates) == 1:
            return found[0].estate
        home = [c for c in found if c.street_id == self.home_street_id]
        if len({id(c.estate) for c in home}) == 1:
            return home[0].estate
        return None

    def match(self, address: str | None) -> tuple[object | None, int | None]:
        """(estate, score 0–100) or (None, None) when nothing reaches the threshold."""
        place = place_of(address)
        if not place:
            return None, None
        cached = self._cache.get(place)
        if cached is None:
            cached = self._cache[place] = self._match(place)
        return cached

    def _match(self, place: str):
        for whole in dict.fromkeys((place, normalise(place))):
            if whole in self.index:
                estate = self._pick(whole)
                if estate is not None:
                    return estate, 100
        for n in self.lengths:  # the longest name the place contains
            if n > len(place):
                continue
            for i in range(len(place) - n + 1):
                piece = place[i:i + n]
                if piece in self.index:
                    estate = self._pick(piece)
                    if estate is not None:
                        return estate, 100
        if not self.fuzzy_keys:
            return None, None
        for key, score, _i in process.extract(place, self.fuzzy_keys, scorer=fuzz.partial_ratio,
                                              score_cutoff=self.threshold, limit=5):
            if len(place) < len(key):
                # partial_ratio aligns the shorter string inside the longer: "锦绣" would score 100
                # against "锦绣花园". A place shorter than the name is compared whole.
                score = fuzz.ratio(place, key)
                if score < self.threshold:
                    continue
            estate = self._pick(key)
            if estate is not None:
                return estate, int(round(score))
        return None, None


def build_matcher(*, street, threshold: int | None = None) -> EstateMatcher:
    """The matcher for imports into `street`: the estates of its district, with their aliases."""
    from communities.models import Estate

    from .models import EstateAlias

    estates = list(Estate.objects.filter(community__street__district_id=street.district_id)
                   .select_related("community").only("id", "name", "address", "community__street_id"))
    aliases: dict[int, list[str]] = {}
    for estate_id, name in EstateAlias.objects.filter(
            estate__community__street__district_id=street.district_id).values_list("estate_id", "name"):
        aliases.setdefault(estate_id, []).append(name)
    candidates = [Candidate(estate=e, street_id=e.community.street_id,
                            names=(e.name, *((e.address,) if e.address else ()), *aliases.get(e.pk, ())))
                  for e in estates]
    return EstateMatcher(candidates, threshold=threshold, home_street_id=street.pk)
