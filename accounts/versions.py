"""Versioned per-district policy rows (ARCHITECTURE.md: policy is data, with an effective date).

DistrictPolicy, RatingPolicy and SubsidyPolicy all follow one rule: a
district applies, on a given day, its row with the latest `effective_from`
not after that day. These two helpers are that rule, written once.
"""
from __future__ import annotations

import datetime


def version_in_force(model, district_id: int, on: datetime.date):
    """The district's row of `model` in force on `on`, or None."""
    return model.objects.filter(district_id=district_id, effective_from__lte=on).order_by("-effective_from").first()


def ids_in_force(model, on: datetime.date) -> set[int]:
    """Primary keys of every district's row of `model` in force on `on` (one query)."""
    seen, ids = set(), set()
    for pk, district_id in (model.objects.filter(effective_from__lte=on)
                            .order_by("district_id", "-effective_from").values_list("pk", "district_id")):
        if district_id not in seen:
            seen.add(district_id)
            ids.add(pk)
    return ids
