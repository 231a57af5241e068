"""Pending uploads: files chosen in an application form the server refused are kept, not lost.

A browser never re-sends a file input after a refused POST, so the page would silently drop the
evidence the firm chose. Instead the refused request saves each acceptable file (format and size as
application_submit checks them) as a PendingUpload of its uploader, and the re-rendered form lists
them, each as a checked box whose value is a signed token (pending_upload_token). The next submit
reads the tokens back (pending_uploads_from_tokens: signature, owner and age checked), hands the files
to application_submit with the new ones, and on success the temporary copies are removed. A token that
has expired refuses the submit with a clear message rather than dropping the file unseen.

Uploads live PENDING_UPLOAD_TTL; older ones are removed by pending_uploads_expire, which every keep
calls (bounded) and the ratings.expire_pending_uploads task runs.
"""
from __future__ import annotations

import datetime

from contextlib import ExitStack, contextmanager

from django.core import signing
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User

from ..models import PendingUpload

PENDING_UPLOAD_TTL = datetime.timedelta(hours=24)
SALT = "ratings.pending-upload"
EXPIRE_BATCH = 200
MAX_EVIDENCE_BYTES = 10 * 1024 * 1024
EVIDENCE_EXTENSIONS = {"pdf", "jpg", "jpeg", "png", "doc", "docx", "xls", "xlsx"}


def evidence_refusal(f) -> str | None:
    """Why an evidence file is refused (format, size), or None. application_submit refuses a form with
    such a file; pending_upload_keep does not keep it."""
    ext = f.name.rsplit(".", 1)[-1].lower() if "." in f.name else ""
    if ext not in EVIDENCE_EXTENSIONS:
        return _("附件“%(n)s”格式不支持（可上传 PDF、图片、Word、Excel）。") % {"n": f.name}
    if f.size > MAX_EVIDENCE_BYTES:
        return _("附件“%(n)s”超过 10 MB。") % {"n": f.name}
    return None


@contextmanager
def kept_files(uploads):
    """The kept uploads opened as files named as the user chose them (closed on exit)."""
    with ExitStack() as stack:
        opened = []
        for u in uploads or []:
            handle = stack.enter_context(u.file.open("rb"))
            opened.append(File(handle, name=u.name))
        yield opened


def pending_upload_token(upload: PendingUpload) -> str:
    return signing.dumps({"p": upload.pk, "u": upload.owner_id}, salt=SALT, compress=True)


def _delete_files_on_commit(uploads) -> None:
    names = [(u.file.storage, u.file.name) for u in uploads if u.file]

    def delete():
        for storage, name in names:
            storage.delete(name)

    transaction.on_commit(delete)


@transaction.atomic
def pending_uploads_expire(*, now: datetime.datetime, limit: int = EXPIRE_BATCH) -> int:
    """Remove up to `limit` uploads older than the TTL (rows now, files once committed)."""
    stale = list(PendingUpload.objects.filter(created_at__lte=now - PENDING_UPLOAD_TTL).order_by("pk")[:limit])
    if stale:
        PendingUpload.objects.filter(pk__in=[u.pk for u in stale]).delete()
        _delete_files_on_commit(stale)
    return len(stale)


@transaction.atomic
def pending_upload_keep(*, actor: User, files, now: datetime.datetime) -> list[PendingUpload]:
    """Keep the acceptable files of a refused form for `actor`; files the service would refuse anyway
    (format, size) are not kept (the form's error names them)."""
    pending_uploads_expire(now=now)
    kept = []
    for f in files or []:
        if evidence_refusal(f):
            continue
        f.seek(0)
        kept.append(PendingUpload.objects.create(owner=actor, file=f, name=f.name[:200], size=f.size,
                                                 created_at=now))
    return kept


def pending_uploads_from_tokens(*, actor: User, tokens, now: datetime.datetime) -> tuple[list[PendingUpload], int]:
    """The actor's still-kept uploads named by `tokens`, in the order given, and how many tokens no longer
    name one (expired, removed, tampered with, or another user's)."""
    wanted, lost = [], 0
    for token in dict.fromkeys(t for t in tokens or [] if t):
        try:
            data = signing.loads(token, salt=SALT, max_age=PENDING_UPLOAD_TTL)
        except signing.BadSignature:
            lost += 1
            continue
        if data.get("u") != actor.pk:
            lost += 1
            continue
        wanted.append(data.get("p"))
    found = PendingUpload.objects.filter(pk__in=wanted, owner=actor,
                                         created_at__gt=now - PENDING_UPLOAD_TTL).in_bulk()
    lost += sum(1 for pk in wanted if pk not in found)
    return [found[pk] for pk in wanted if pk in found], lost


def pending_uploads_release(uploads) -> None:
    """Remove uploads that have been attached (inside the attaching transaction: rows at once, files on
    commit, so a rolled-back submit keeps them)."""
    uploads = list(uploads)
    if uploads:
        PendingUpload.objects.filter(pk__in=[u.pk for u in uploads]).delete()
        _delete_files_on_commit(uploads)
