"""Template helpers of the ratings pages: stars, figures, the plaque's QR code, the menu's flags."""
from __future__ import annotations

from decimal import Decimal

import segno
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


register = template.Library()


@register.filter
def stars(tier):
    """3 -> ★★★ (with a text label for screen readers); 0 -> 未评星."""
    if not tier:
        return format_html('<span class="text-muted">{}</span>', _("未评星"))
    label = _("%(n)d 星") % {"n": tier}
    return format_html('<span class="rating-stars" title="{}" aria-label="{}">{}</span>', label, label, "★" * tier)


@register.filter
def figure(value):
    """A score to two decimals, or — when there is none."""
    if value is None or value == "":
        return "—"
    return f"{Decimal(value):.2f}"


@register.filter
def weight(value):
    """70.00 -> 70, 12.50 -> 12.5 (a weight or threshold as people write it)."""
    if value is None:
        return "—"
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.simple_tag
def qr_svg(data, scale=4):
    """The QR code of `data` as inline SVG, drawn on the server (no CDN, works offline)."""
    qr = segno.make(data, error="m")
    # omitsize: a viewBox instead of a fixed width/height, so CSS can size the code for print.
    return mark_safe(qr.svg_inline(scale=int(scale), dark="#000", light="#fff", border=2, omitsize=True,
                                   title=_("扫码验证标牌真伪")))


@register.filter
def tier_cn(tier):
    """3 -> 三 (for 三星级)."""
    return "零一二三四五"[int(tier)] if tier is not None and 0 <= int(tier) <= 5 else ""
