"""What waits on whom (my tasks, nearest deadline first), the triage queue, and attachments."""
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import services as svc
from complaints.models import Attachment, AttachmentKind, Complaint, Status, Urgency
from complaints.selectors import my_tasks, triage_queue

from .conftest import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 12, 2, 12, 0)


def tasks(user):
    return [(c.pk, c.task) for c in my_tasks(user, NOW)]


def test_firm_tasks_nearest_deadline_first(world, make_complaint):
    u = world.users
    a = make_complaint(to=Status.ASSIGNED, at=at(2026, 12, 1, 9, 0))       # sign due 24:00 Wed 12-02
    b = make_complaint(to=Status.SIGNED, at=at(2026, 12, 1, 8, 0))         # answer due 24:00 Tue 12-08
    c = make_complaint(to=Status.ASSIGNED, at=at(2026, 12, 2, 10, 0), urgency=Urgency.CRITICAL)  # due 10:16
    make_complaint(to=Status.ANSWERED, at=at(2026, 12, 1, 7, 0))           # waits on the street now
    d = make_complaint(to=Status.ASSIGNED, at=at(2026, 12, 1, 6, 0), estate=world.estate_b1)  # firm 乙's
    assert (c.sign_due_at, a.sign_due_at, b.answer_due_at) == (
        at(2026, 12, 2, 10, 16), at(2026, 12, 3, 0, 0), at(2026, 12, 9, 0, 0))
    assert tasks(u["firm_user"]) == [(c.pk, "sign"), (a.pk, "sign"), (b.pk, "answer")]
    assert tasks(u["firm_user2"]) == [(d.pk, "sign")]
    assert [x.due for x in my_tasks(u["firm_user"], NOW)] == [c.sign_due_at, a.sign_due_at, b.answer_due_at]
    # A returned order no longer waits on the firm.
    svc.complaint_return(actor=u["firm_user"], complaint=a, reason="非本小区", now=NOW)
    assert (a.pk, "sign") not in tasks(u["firm_user"])


def test_street_tasks_and_the_triage_queue(world, make_complaint):
    u = world.users
    assign = make_complaint(at=at(2026, 11, 20, 9, 0))
    triage = make_complaint(at=at(2026, 11, 21, 9, 0), estate=None, street=world.shancheng)
    callback = make_complaint(to=Status.ANSWERED, at=at(2026, 11, 23, 9, 0))
    close = make_complaint(to=Status.CALLED_BACK, at=at(2026, 11, 26, 9, 0))
    pending = make_complaint(to=Status.SIGNED, at=at(2026, 11, 30, 9, 0))
    svc.complaint_extend_request(actor=u["firm_user"], complaint=pending, amount=2, reason="等配件", now=NOW)
    make_complaint(to=Status.CLOSED, at=at(2026, 11, 30, 10, 0))
    make_complaint(to=Status.ASSIGNED, at=at(2026, 11, 30, 11, 0))  # waits on the firm
    other_street = make_complaint(at=at(2026, 11, 30, 12, 0), estate=world.estate_b1)
    # Deadline first (the extension request, by the answer due time), then the oldest.
    assert tasks(u["street_staff"]) == [(pending.pk, "extension"), (assign.pk, "assign"), (callback.pk, "callback"),
                                        (close.pk, "close")]
    assert tasks(u["street_staff2"]) == [(other_street.pk, "assign")]
    assert tasks(u["community_clerk"]) == [] and tasks(u["city_admin"]) == []
    assert [c.pk for c in triage_queue(u["street_staff"])] == [triage.pk]
    assert [c.pk for c in triage_queue(u["district_admin"])] == [triage.pk]
    assert list(triage_queue(u["street_staff2"])) == [] and list(triage_queue(u["firm_user"])) == []
    svc.complaint_match(actor=u["street_staff"], complaint=triage, estate=world.estate_a1, now=NOW)
    assert list(triage_queue(u["street_staff"])) == []


def test_district_tasks_are_the_cases_flagged_for_supervision(world, make_complaint):
    u = world.users
    for hour in (9, 10):
        make_complaint(at=at(2026, 12, 1, hour, 0))
    flagged = make_complaint(at=at(2026, 12, 1, 11, 0))
    assert flagged.supervision_flagged
    assert tasks(u["district_admin"]) == [(flagged.pk, "supervise")]
    assert tasks(u["district_staff"]) == [(flagged.pk, "supervise")]
    assert tasks(u["district_admin_gc"]) == []
    svc.complaint_supervise(actor=u["district_staff"], complaint=flagged, comment="区督办", now=NOW)
    assert tasks(u["district_admin"]) == []


# --- attachments ----------------------------------------------------------------------------------------------

def png(name="photo.png", size=(8, 8)):
    buf = io.BytesIO()
    Image.new("RGB", size, "red").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def test_attachments_are_checked_by_content_and_size(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    svc.attachment_check(png())
    svc.attachment_check(SimpleUploadedFile("scan.pdf", b"%PDF-1.7\n%...", content_type="application/pdf"))
    with pytest.raises(ValidationError, match="“evil.png”不是 JPG、PNG、WebP 图片或 PDF 文件"):
        svc.attachment_check(SimpleUploadedFile("evil.png", b"MZ\x90\x00 not an image", content_type="image/png"))
    big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    with pytest.raises(ValidationError, match="超过 10 MB 的上限"):
        svc.attachment_check(big)
    with pytest.raises(ValidationError, match="空文件"):
        svc.attachment_check(SimpleUploadedFile("empty.jpg", b"", content_type="image/jpeg"))


def test_receive_with_a_bad_file_saves_nothing_and_answer_photos_are_kept(world, make_complaint, category, settings,
                                                                          tmp_path):
    settings.MEDIA_ROOT = tmp_path
    before = Complaint.objects.count()
    with pytest.raises(ValidationError, match="不是 JPG"):
        svc.complaint_receive(actor=world.users["street_staff"], street=world.shancheng, source="walk_in",
                              received_at=NOW, category=category, title="漏水", content="楼顶漏水", now=NOW,
                              files=[png(), SimpleUploadedFile("x.jpg", b"text", content_type="image/jpeg")])
    assert Complaint.objects.count() == before and Attachment.objects.count() == 0
    c = svc.complaint_receive(actor=world.users["street_staff"], street=world.shancheng, source="walk_in",
                              received_at=NOW, category=category, title="漏水", content="楼顶漏水", now=NOW,
                              estate=world.estate_a1, files=[png("现场.png")])
    c = svc.complaint_assign(actor=world.users["street_staff"], complaint=c, now=NOW)
    c = svc.complaint_sign(actor=world.users["firm_user"], complaint=c, now=NOW)
    c = svc.complaint_answer(actor=world.users["firm_user"], complaint=c, answer="已修补", now=NOW,
                             files=[png("修补后.png")])
    kept = list(c.attachments.order_by("pk").values_list("kind", "original_name", "content_type"))
    assert kept == [(AttachmentKind.COMPLAINT, "现场.png", "image/png"), (AttachmentKind.ANSWER, "修补后.png", "image/png")]
    answer_photo = c.attachments.get(kind=AttachmentKind.ANSWER)
    assert answer_photo.event.action == "answer" and answer_photo.uploaded_by == world.users["firm_user"]
    assert answer_photo.file.name.endswith(".png") and "修补后" not in answer_photo.file.name
