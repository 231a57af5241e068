"""The printed 整改通知书 (rectification notice): what it says, and its PDF.

One template (templates/inspections/notice.html) serves the print page, the PDF and the preview before
issuing; `notice_context` gathers what it shows from a saved order or from the issue form's data.

PDF engine: headless Chromium (`chromium --headless --print-to-pdf`), the browser the portal's browser tests
already need on every machine that runs them. It prints the same HTML as the print page, so the two cannot
drift apart, honours the template's `@page { size: A4 }`, and embeds the CJK font it renders with (Noto
Serif/Sans CJK from Debian's fonts-noto-cjk), so the PDF shows the same on any reader and its text layer
holds the Chinese characters. WeasyPrint is not installed in this project and reportlab would need a second
layout written in Python. The page is rendered from a temporary file with its photos inlined as data: URIs
and a throwaway profile (so two prints at once do not share one), so Chromium reads nothing but that file.
The template holds no script and every user-entered text is autoescaped. (`--blink-settings=scriptEnabled=
false` would be a second fence, but with it this Chromium writes no PDF at all.)
"""
from __future__ import annotations

import base64
import datetime
import mimetypes
import os
import subprocess
import tempfile
from dataclasses import dataclass, field

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import ItemScore, document_number, issuing_unit, street_short_name

CHROMIUM = os.environ.get("CHROMIUM_PATH") or getattr(settings, "CHROMIUM_PATH", "/usr/bin/chromium")
PDF_TIMEOUT_SECONDS = 60


class NoticePdfError(RuntimeError):
    """Chromium could not print the notice (missing, timed out or failed)."""


@dataclass
class NoticePhoto:
    src: str
    caption: str = ""


@dataclass
class Notice:
    number: str                       # "山城整改〔2026〕第 007 号", or a placeholder in a preview
    issuing_unit: str                 # 山城街道办事处
    firm_name: str
    estate_name: str
    estate_place: str                 # 山亭区 山城街道 梅园社区
    problem: str
    requirement: str
    deadline: datetime.date
    issued_on: datetime.date
    items: list = field(default_factory=list)      # scores that lost points: code, title, score, max, note
    photos: list = field(default_factory=list)     # NoticePhoto
    reference: str = ""               # the order's own reference (ZG…), "" in a preview
    preview: bool = False


def lost_points(inspection, item=None) -> list[dict]:
    """The inspection's items that lost points (only `item` when the order is about one item)."""
    if inspection is None:
        return []
    scores = ItemScore.objects.filter(inspection=inspection).select_related("item").order_by(
        "item__category__order", "item__order", "item__code")
    if item is not None:
        scores = scores.filter(item=item)
    return [{"code": s.item.code, "title": s.item.title, "score": s.score, "max": s.item.max_points,
             "note": s.note}
            for s in scores if s.score is not None and s.score < s.item.max_points]


def _place(estate) -> str:
    street = estate.community.street
    return " ".join([street.district.name, street.name, estate.community.name])


def _data_uri(content: bytes, name: str) -> str:
    mime = mimetypes.guess_type(name)[0] or "image/jpeg"
    return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def stored_photo_uri(photo) -> str:
    """The stored photo as a data: URI, "" when its file is missing (the notice prints without it)."""
    try:
        with photo.image.open("rb") as f:
            return _data_uri(f.read(), photo.image.name)
    except (FileNotFoundError, OSError):
        return ""


def notice_for_order(order, *, inline_photos: bool = False) -> Notice:
    """The notice of an issued order. `inline_photos` puts the photos in the page (for the PDF); otherwise
    they link to the scoped photo view."""
    photos = [p for p in order.photos.all() if p.side == "problem"]
    street = order.doc_street or order.estate.community.street
    return Notice(
        number=order.document_number or order.number,
        issuing_unit=issuing_unit(street),
        firm_name=order.firm.name,
        estate_name=order.estate.name,
        estate_place=_place(order.estate),
        problem=order.problem,
        requirement=order.requirement,
        deadline=order.deadline,
        issued_on=timezone.localdate(order.issued_at),
        items=lost_points(order.inspection, order.item),
        photos=[NoticePhoto(src) for src in
                (stored_photo_uri(p) if inline_photos else p.get_absolute_url() for p in photos) if src],
        reference=order.number,
    )


def notice_preview(*, estate, problem: str, requirement: str, deadline: datetime.date, today: datetime.date,
                   inspection=None, item=None, uploads=()) -> Notice:
    """The notice the issue form would produce, without saving anything: the number is shown as a blank
    to be filled on issue (a sequence cannot be promised before the street's lock is taken)."""
    street = estate.community.street
    photos = []
    if inspection is not None and item is not None:
        photos += [NoticePhoto(src) for src in map(stored_photo_uri, inspection.photos.filter(item=item)) if src]
    for upload in uploads:
        upload.seek(0)
        photos.append(NoticePhoto(_data_uri(upload.read(), upload.name)))
        upload.seek(0)
    return Notice(
        number=_("%(street)s整改〔%(year)s〕第 ____ 号") % {"street": street_short_name(street), "year": today.year},
        issuing_unit=issuing_unit(street),
        firm_name=estate.firm.name if estate.firm_id else "",
        estate_name=estate.name,
        estate_place=_place(estate),
        problem=problem.strip(),
        requirement=requirement.strip(),
        deadline=deadline,
        issued_on=today,
        items=lost_points(inspection, item),
        photos=photos,
        preview=True,
    )


def render_notice_html(notice: Notice, *, request=None, for_pdf: bool = False, **extra) -> str:
    return render_to_string("inspections/notice.html", {"notice": notice, "for_pdf": for_pdf, **extra},
                            request=request)


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained HTML page to PDF with headless Chromium (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="notice-") as tmp:
        page = os.path.join(tmp, "notice.html")
        out = os.path.join(tmp, "notice.pdf")
        with open(page, "w", encoding="utf-8") as f:
            f.write(html)
        cmd = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={os.path.join(tmp, 'profile')}",
            "--no-pdf-header-footer", f"--print-to-pdf={out}", "file://" + page,
        ]
        try:
            subprocess.run(cmd, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           timeout=PDF_TIMEOUT_SECONDS, check=True)
        except FileNotFoundError as exc:
            raise NoticePdfError(f"Chromium not found at {CHROMIUM}") from exc
        except subprocess.TimeoutExpired as exc:
            raise NoticePdfError("Chromium timed out printing the notice") from exc
        except subprocess.CalledProcessError as exc:
            raise NoticePdfError(f"Chromium failed: {exc.stderr[-500:]!r}") from exc
        if not os.path.exists(out) or os.path.getsize(out) == 0:
            raise NoticePdfError("Chromium wrote no PDF")
        with open(out, "rb") as f:
            return f.read()


__all__ = ["Notice", "NoticePdfError", "document_number", "html_to_pdf", "lost_points", "notice_for_order",
           "notice_preview", "render_notice_html"]
