"""History rows for detail pages (django-simple-history), with field-level changes."""
from __future__ import annotations


def history_rows(obj, limit: int = 50):
    """Newest first: when, who, what kind of change, and `field: old → new` lines."""
    records = list(obj.history.select_related("history_user").order_by("-history_date", "-history_id")[: limit + 1])
    rows = []
    for i, rec in enumerate(records[:limit]):
        prev = records[i + 1] if i + 1 < len(records) else None
        changes = []
        if prev is not None and rec.history_type == "~":
            delta = rec.diff_against(prev)
            for change in delta.changes:
                field = rec.instance._meta.get_field(change.field)
                changes.append({"field": str(field.verbose_name), "old": _show(prev, field), "new": _show(rec, field)})
        rows.append({
            "date": rec.history_date,
            "user": rec.history_user,
            "type": {"+": "创建", "~": "修改", "-": "删除"}.get(rec.history_type, rec.history_type),
            "changes": changes,
            "reason": rec.history_change_reason or "",
        })
    return rows


def _show(record, field):
    if field.choices:
        return dict(field.flatchoices).get(getattr(record, field.attname), getattr(record, field.attname))
    if field.is_relation:
        related_id = getattr(record, field.attname)
        if related_id is None:
            return "—"
        try:
            return str(getattr(record, field.name))
        except Exception:  # the related row may be gone; history must still render
            return f"#{related_id}"
    value = getattr(record, field.attname)
    if isinstance(value, bool):
        return "是" if value else "否"
    return "—" if value in (None, "") else value
