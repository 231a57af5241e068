"""Attachments of an order (the complainant's material, the firm's answer photos), kept through the storage API.

The type is read from the file's content, never from its name or the browser's claim: JPEG, PNG, WebP
(decoded by Pillow) or PDF; at most ATTACHMENT_MAX_BYTES each.
"""
from __future__ import annotations

import datetime
import os

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from ..models import Attachment, AttachmentKind, Complaint

ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "MPO": "image/jpeg"}
EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "application/pdf": ".pdf"}


def _name(uploaded_file) -> str:
    return os.path.basename(getattr(uploaded_file, "name", "") or "") or _("附件")


def detect_type(uploaded_file) -> str | None:
    """The content type the file's bytes show (one of EXTENSIONS), or None."""
    try:
        uploaded_file.seek(0)
        head = uploaded_file.read(8)
        if head.startswith(b"%PDF-"):
            return "application/pdf"
        uploaded_file.seek(0)
        with Image.open(uploaded_file) as img:
            img.verify()
            return IMAGE_TYPES.get((img.format or "").upper())
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None
    finally:
        uploaded_file.seek(0)


def attachment_check(uploaded_file) -> None:
    """Refuse anything but a JPEG, PNG, WebP image or a PDF of at most 10 MB, with a clear Chinese message."""
    name = _name(uploaded_file)
    size = getattr(uploaded_file, "size", None)
    if size is None:
        raise ValidationError(_("无法读取文件“%(name)s”。") % {"name": name})
    if size == 0:
        raise ValidationError(_("文件“%(name)s”是空文件。") % {"name": name})
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(_("文件“%(name)s”大小为 %(size).1f MB，超过 %(mb)d MB 的上限，请压缩后再上传。") % {
            "name": name, "size": size / (1024 * 1024), "mb": ATTACHMENT_MAX_BYTES // (1024 * 1024)})
    if detect_type(uploaded_file) is None:
        raise ValidationError(_("文件“%(name)s”不是 JPG、PNG、WebP 图片或 PDF 文件。") % {"name": name})


def attachment_save(*, complaint: Complaint, uploaded_file, kind: str, actor, now: datetime.datetime,
                    event=None, checked: bool = False) -> Attachment:
    """Keep one checked file on the order (the caller's transaction). `checked`: attachment_check already ran."""
    if kind not in AttachmentKind.values:
        raise ValidationError(_("附件类型无效。"))
    if not checked:
        attachment_check(uploaded_file)
    content_type = detect_type(uploaded_file)
    name = _name(uploaded_file)[:200]
    attachment = Attachment(complaint=complaint, event=event, kind=kind, original_name=name,
                            content_type=content_type, size=uploaded_file.size,
                            uploaded_by=actor, uploaded_at=now)
    # A name of our own (the original is kept in original_name): no path or odd characters reach the storage.
    attachment.file.save(f"{complaint.number}{EXTENSIONS[content_type]}", uploaded_file, save=False)
    attachment.save()
    return attachment
