"""The 整改通知书: its document number per street and year, the print page's scope, its PDF and the preview."""
import datetime
import importlib
import re
import unicodedata
import zlib
import zoneinfo

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from inspections.models import RectificationOrder
from inspections.services.inspections import inspection_add_photos, inspection_save, inspection_start, inspection_submit
from inspections.services.orders import order_issue

from .conftest import score_all
from .test_pages_permissions import _media, png  # noqa: F401

pytestmark = pytest.mark.django_db
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(y, m, d, h=10):
    return datetime.datetime(y, m, d, h, tzinfo=SHANGHAI)


def issue(world, estate, persona, now, problem="楼道堆放杂物"):
    return order_issue(actor=world.users[persona], estate=estate, problem=problem,
                       deadline=timezone.localdate(now) + datetime.timedelta(days=5), now=now)  # Beijing date


# --- The number scheme ---------------------------------------------------------------------------

def test_numbers_run_per_street_and_per_year(world):
    a1 = issue(world, world.estate_a1, "street_staff", at(2026, 3, 2))
    b1 = issue(world, world.estate_b1, "street_staff2", at(2026, 3, 3))
    a2 = issue(world, world.estate_a1, "street_staff", at(2026, 12, 31, 23))  # 23:00 Beijing time: still 2026
    a3 = issue(world, world.estate_a1, "street_staff", at(2027, 1, 4))
    b2 = issue(world, world.estate_b1, "street_staff2", at(2027, 1, 5))
    assert [o.document_number for o in (a1, a2, a3, b1, b2)] == [
        "山城整改〔2026〕第 001 号", "山城整改〔2026〕第 002 号", "山城整改〔2027〕第 001 号",
        "北庄整改〔2026〕第 001 号", "北庄整改〔2027〕第 001 号",
    ]
    a1.refresh_from_db()
    assert (a1.doc_street, a1.doc_year, a1.doc_seq) == (world.shancheng, 2026, 1)


def test_a_community_clerk_takes_the_next_number_of_the_street(world):
    issue(world, world.estate_a1, "street_staff", at(2026, 3, 2))
    order = issue(world, world.estate_a1, "community_clerk", at(2026, 3, 2, 11))
    assert order.document_number == "山城整改〔2026〕第 002 号"


def test_the_same_number_twice_is_refused_by_the_database(world):
    first = issue(world, world.estate_a1, "street_staff", at(2026, 3, 2))
    second = issue(world, world.estate_a1, "street_staff", at(2026, 3, 3))
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationOrder.objects.filter(pk=second.pk).update(doc_seq=first.doc_seq)
    # Another street or year may use the same sequence.
    RectificationOrder.objects.filter(pk=second.pk).update(doc_seq=first.doc_seq, doc_year=2025)


def test_a_half_number_is_refused_by_the_database(world):
    order = issue(world, world.estate_a1, "street_staff", at(2026, 3, 2))
    with pytest.raises(IntegrityError), transaction.atomic():
        RectificationOrder.objects.filter(pk=order.pk).update(doc_year=None)


def test_the_migration_numbers_existing_orders_in_order_of_issue(world):
    orders = [issue(world, e, p, now) for e, p, now in (
        (world.estate_a1, "street_staff", at(2025, 11, 3)),
        (world.estate_a1, "street_staff", at(2026, 2, 1)),
        (world.estate_b1, "street_staff2", at(2026, 2, 2)),
        (world.estate_a1, "street_staff", at(2026, 1, 1, 0)),  # issued before the one above, created after
    )]
    RectificationOrder.objects.update(doc_street=None, doc_year=None, doc_seq=None)
    migration = importlib.import_module("inspections.migrations.0003_order_document_number")
    migration.backfill(django_apps, None)
    numbers = {o.pk: RectificationOrder.objects.get(pk=o.pk).document_number for o in orders}
    assert [numbers[o.pk] for o in orders] == [
        "山城整改〔2025〕第 001 号", "山城整改〔2026〕第 002 号", "北庄整改〔2026〕第 001 号",
        "山城整改〔2026〕第 001 号",
    ]
    # New orders continue after the backfilled ones.
    assert issue(world, world.estate_a1, "street_staff", at(2026, 2, 5)).document_number == "山城整改〔2026〕第 003 号"


# --- The print page ------------------------------------------------------------------------------

@pytest.fixture
def order(world):
    return issue(world, world.estate_a1, "street_staff", timezone.now(), problem="消防通道被车辆占用")


# Who sees the notice of an order for 梅花园 (山亭区 › 山城街道 › 梅园社区, served by firm 甲).
NOTICE_STATUS = {
    "city_admin": 200, "district_admin": 200, "district_staff": 200, "street_staff": 200, "community_clerk": 200,
    "firm_user": 200,
    "district_admin_gc": 404, "street_staff2": 404, "firm_user2": 404,
}


@pytest.mark.parametrize("persona", NOTICE_STATUS)
def test_notice_page_has_the_scope_of_the_order(world, login, order, persona):
    client = login(persona)
    url = reverse("inspections:order_notice", args=[order.pk])
    response = client.get(url)
    assert response.status_code == NOTICE_STATUS[persona]
    assert client.get(reverse("inspections:order_detail", args=[order.pk])).status_code == NOTICE_STATUS[persona]
    if response.status_code == 200:
        assert "山城整改〔" in response.content.decode()


@pytest.mark.parametrize("persona", ["district_admin_gc", "street_staff2", "firm_user2"])
def test_notice_pdf_outside_the_scope_is_not_found(world, login, order, persona):
    assert login(persona).get(reverse("inspections:order_notice_pdf", args=[order.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_log_in(client, order):
    for name in ("inspections:order_notice", "inspections:order_notice_pdf"):
        response = client.get(reverse(name, args=[order.pk]))
        assert response.status_code == 302 and "login" in response["Location"]


def test_notice_page_reads_as_an_official_notice(world, login, order):
    html = login("firm_user").get(reverse("inspections:order_notice", args=[order.pk])).content.decode()
    today = timezone.localdate()
    number = f"山城整改〔{today.year}〕第 001 号"
    assert re.search(r'data-testid="doc-number">\s*' + re.escape(number), html)
    assert "整改通知书" in html
    assert re.search(r'data-testid="addressee">山亭甲物业服务有限公司<', html)
    assert "梅花园" in html and "消防通道被车辆占用" in html
    deadline = today + datetime.timedelta(days=5)
    assert f'data-testid="deadline">{deadline.year}年{deadline.month}月{deadline.day}日<' in html
    assert "《物业管理条例》" in html
    assert html.count("山城街道办事处") == 2  # the head and the issuing unit above the seal
    assert "（盖章）" in html and "签发人" in html and "签收人" in html
    assert "@media print" in html and "size: A4" in html
    assert order.number in html  # the platform's own reference, small at the foot


def test_notice_lists_the_items_that_lost_points_with_their_photos(world, rubric, login):
    clerk = world.users["street_staff"]
    today = timezone.localdate()
    insp = inspection_start(actor=clerk, estate=world.estate_a1, kind="regular", date=today, inspectors="检查组",
                            today=today)
    item = rubric.items.get(code="1.2")
    scores = score_all(rubric, {"1.2": "1", "1.3": "0"})
    scores[item.pk] = ("1", "服务中心无人值守")
    inspection_save(actor=clerk, inspection=insp, scores=scores, today=today)
    inspection_add_photos(actor=clerk, inspection=insp, images=[png()], item=item)
    insp = inspection_submit(actor=clerk, inspection=insp, now=timezone.now())
    whole = order_issue(actor=clerk, estate=world.estate_a1, problem="见检查记录", inspection=insp,
                        now=timezone.now())
    one = order_issue(actor=clerk, estate=world.estate_a1, problem="服务中心无人值守", inspection=insp, item=item,
                      now=timezone.now())
    client = login("street_staff")
    html = client.get(reverse("inspections:order_notice", args=[whole.pk])).content.decode()
    other = rubric.items.get(code="1.3")
    assert item.title in html and other.title in html and "服务中心无人值守" in html
    html = client.get(reverse("inspections:order_notice", args=[one.pk])).content.decode()
    assert item.title in html and other.title not in html
    photo = one.photos.get()
    assert f'src="{photo.get_absolute_url()}"' in html


# --- The PDF -------------------------------------------------------------------------------------

def pdf_text(data: bytes) -> str:
    """The text layer of a PDF as Chromium (Skia) writes it: each page's content streams, each shown string
    decoded through the ToUnicode CMap of the font selected for it. Small on purpose (no PDF library is
    installed); it reads only what a PDF reader's text extraction reads. The result is NFKC-normalised, as
    readers' search does: Noto CJK draws 山 and the Kangxi radical ⼭ with one glyph, and Skia's ToUnicode
    names the radical for it."""
    objs = {int(n): body for n, body in re.findall(rb"(\d+) 0 obj\s*(.*?)endobj", data, re.S)}

    def stream(n):
        body = objs[n]
        raw = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S).group(1)
        return zlib.decompress(raw) if b"/FlateDecode" in body.split(b"stream")[0] else raw

    def cmap(n):
        text = stream(n).decode("latin-1")
        width = len(re.search(r"begincodespacerange\s*<(\w+)>", text).group(1)) // 2
        table = {}
        for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
            for src, dst in re.findall(r"<(\w+)>\s*<(\w+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst).decode("utf-16-be")
        for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
            for lo, hi, dst in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
                for i, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    table[code] = chr(int(dst, 16) + i)
        return width, table

    out = []
    for body in objs.values():
        if not re.search(rb"/Type /Page\b", body):
            continue
        fonts = {}
        font_dict = re.search(rb"/Font <<(.*?)>>", body, re.S)
        for name, ref in re.findall(rb"/(\w+) (\d+) 0 R", font_dict.group(1) if font_dict else b""):
            m = re.search(rb"/ToUnicode (\d+) 0 R", objs[int(ref)])
            if m:
                fonts[name.decode()] = cmap(int(m.group(1)))
        contents = re.search(rb"/Contents (?:\[(.*?)\]|(\d+) 0 R)", body, re.S)
        refs = [int(r) for r in re.findall(rb"(\d+) 0 R", contents.group(1))] if contents.group(1) else [
            int(contents.group(2))]
        for ref in refs:
            font = (1, {})
            for tok in re.finditer(r"/(\w+) [\d.]+ Tf|<([0-9A-Fa-f]*)>", stream(ref).decode("latin-1")):
                if tok.group(1):
                    font = fonts.get(tok.group(1), (1, {}))
                else:
                    width, table = font
                    raw = bytes.fromhex(tok.group(2))
                    out.extend(table.get(int.from_bytes(raw[i:i + width], "big"), "")
                               for i in range(0, len(raw), width))
    return unicodedata.normalize("NFKC", "".join(out))


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def test_notice_pdf_holds_the_estate_firm_and_number_as_text(world, login, order):
    response = login("street_staff").get(reverse("inspections:order_notice_pdf", args=[order.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = response.content
    assert data.startswith(b"%PDF-")
    text = squeeze(pdf_text(data))
    assert "梅花园" in text
    assert squeeze(order.document_number) in text
    assert "山亭甲物业服务有限公司" in text and "整改通知书" in text and "山城街道办事处" in text
    assert "消防通道被" in text  # (车 comes out as the radical ⻋, which NFKC leaves alone)
    # A4 portrait, in points.
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", data).groups())
    assert (round(width), round(height)) == (595, 842)


def test_notice_pdf_carries_the_problem_photos(world, login):
    clerk = world.users["street_staff"]
    order = order_issue(actor=clerk, estate=world.estate_a1, problem="垃圾未清运", photos=[png(size=(80, 60))],
                        deadline=timezone.localdate() + datetime.timedelta(days=3), now=timezone.now())
    data = login("firm_user").get(reverse("inspections:order_notice_pdf", args=[order.pk])).content
    assert re.search(rb"/Subtype\s*/Image", data)
    plain = issue(world, world.estate_a1, "street_staff", timezone.now())
    assert not re.search(rb"/Subtype\s*/Image", login("firm_user").get(
        reverse("inspections:order_notice_pdf", args=[plain.pk])).content)


# --- The preview before issuing ------------------------------------------------------------------

def test_preview_shows_the_notice_from_the_form_and_saves_nothing_then_confirm_issues_it(world, login):
    client = login("street_staff")
    deadline = timezone.localdate() + datetime.timedelta(days=4)
    data = {"estate": world.estate_a1.pk, "problem": "电梯年检标志过期", "requirement": "三日内张贴",
            "deadline": deadline.isoformat()}
    form = client.get(reverse("inspections:order_create")).content.decode()
    assert "预览通知书" in form and "确认下发" in form
    response = client.post(reverse("inspections:order_create"), {**data, "preview": "1",
                                                                  "photos": [png("p.png", "blue")]})
    assert response.status_code == 200
    html = response.content.decode()
    assert not RectificationOrder.objects.exists()
    assert 'data-testid="preview-mark"' in html
    assert f"山城整改〔{timezone.localdate().year}〕第 ____ 号" in html
    assert "山亭甲物业服务有限公司" in html and "梅花园" in html and "电梯年检标志过期" in html
    assert f"{deadline.year}年{deadline.month}月{deadline.day}日" in html
    assert 'src="data:image/png;base64,' in html  # the chosen photo, shown without being stored

    response = client.post(reverse("inspections:order_create"), data)
    order = RectificationOrder.objects.get()
    assert response["Location"] == reverse("inspections:order_detail", args=[order.pk])
    assert order.document_number == f"山城整改〔{timezone.localdate().year}〕第 001 号"


def test_preview_with_a_bad_form_shows_the_form_errors(world, login):
    response = login("street_staff").post(reverse("inspections:order_create"), {
        "estate": world.estate_a1.pk, "problem": "", "deadline": timezone.localdate().isoformat(), "preview": "1"})
    assert response.status_code == 200
    assert 'data-testid="preview-mark"' not in response.content.decode()
    assert "problem" in response.context["form"].errors
    assert not RectificationOrder.objects.exists()


def test_order_page_links_to_its_notice(world, login, order):
    html = login("firm_user").get(reverse("inspections:order_detail", args=[order.pk])).content.decode()
    assert reverse("inspections:order_notice", args=[order.pk]) in html
