"""Demo data for complaints (投诉), through the services, relative to the day seed_demo runs.

Called by seed_demo after the supervision demo (demo/supervision.py). A month of 山城街道's complaints is played back in time
order: every step (receive, import, assign, sign, answer, callback, close, return, extension, reopen,
merge, 催办, 督办, the major complaint, an exclusion) is a service call whose `now=` is the moment it
happened, and the overdue job runs every hour in between (at minute 5, as beat runs it), so due times,
overdue flags and escalation notifications are what they would be had the portal been used that month.

Days are counted in working days back from the day it runs (d(1) = the last working day before today,
on the working-day calendar): everything scripted happens on d(22)…d(1), never today, so what is overdue
at the end does not depend on the hour or the weekday the command runs at. 12345 orders come from a
generated hotline export imported through the import service (the district's ready mapping); the file is
left in var/demo-12345.xlsx, and a second file of the last week's fresh orders, var/demo-12345-week.xlsx,
waits for the tour's import step. Complainants are made up (Faker zh_CN, seeded, three-character names;
phones in the fictitious 138-0000 block).

Idempotent: when 山城街道 has complaints the playback is skipped (a rerun writes no row); a missing var/
file is written again (the imported one copied from the import run that read it).
"""
from __future__ import annotations

import datetime
import heapq
import importlib
import io
import itertools
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps as django_apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from faker import Faker
from PIL import Image, ImageDraw

from accounts.models import Role, User
from communities.models import District, Estate, Street
from complaints.hotline_sample import HEADERS, sample_rows
from complaints.models import (
    Category,
    Complaint,
    EstateAlias,
    Exclusion,
    ImportRun,
    ImportStatus,
    MatterType,
    Satisfaction,
    Source,
    Urgency,
)
from complaints.services import (
    complaint_answer,
    complaint_assign,
    complaint_callback,
    complaint_close,
    complaint_dispatch,
    complaint_exclude,
    complaint_extend_decide,
    complaint_extend_request,
    complaint_mark_major,
    complaint_match,
    complaint_merge,
    complaint_receive,
    complaint_reopen,
    complaint_return,
    complaint_sign,
    complaint_supervise,
    complaint_urge,
    complaints_flag_repeated,
    complaints_mark_overdue,
    ensure_default_policy,
)
from complaints.services.imports import import_run_confirm, import_run_upload, mapping_ensure_default
from ratings.models import PeriodStatus, RatingPeriod
from workdays.selectors import WorkCalendar, local_zone

SEED = 20261101
STREET = ("山亭区", "山城街道")
DEMO_FILE = "demo-12345.xlsx"        # the month's export, imported by the demo
WEEK_FILE = "demo-12345-week.xlsx"   # the last week's fresh orders, for the tour's import step
# The estates the generated exports name: the two firms with demo accounts, and 龙珠百合, whose firm
# has no portal account yet (its orders are never signed for and escalate).
HOTLINE_ESTATES = ["梅花园", "樱花园", "桂花园", "锦绣花园", "御景公馆", "宝徕花苑", "银光上城", "龙珠百合"]
ALIASES = {"梅花园": ["梅花园二期"], "锦绣花园": ["锦绣花园东区"]}
MONTH_FILE = dict(count=24, days=14, seed=3, unmatched_share=0.1)
WEEK_FILE_ROWS = dict(count=12, days=7, seed=41, unmatched_share=0.1)
IMPORT_DAY = 15        # the month's export is imported on d(15)
OVERDUE_MINUTE = 5     # beat runs complaints.mark_overdue at minute 5 of every hour

# --- scripted orders ------------------------------------------------------------------------------------
# A step: (action, k, "HH:MM", argument) = on d(k) at that time. Actors: the street clerk (street_staff), the
# serving firm's user, the district administrator (district_admin) for 督办/催办 by the district, exclusions
# and the orders it registers.


@dataclass(frozen=True)
class Story:
    key: str
    source: str
    estate: str | None
    category: str
    title: str
    content: str
    received: tuple[int, str]
    steps: tuple = ()
    urgency: str = Urgency.NORMAL
    matter: str = MatterType.COMPLAINT
    address: str = ""
    by: str | None = "street_staff"   # who registers it (None: the public form)
    open_quarter: bool = False         # moved to a quarter whose rating is not published (the major one)


SATISFIED = "callback:satisfied"
BASIC = "callback:basic"
UNSATISFIED = "callback:unsatisfied"

STORIES = [
    Story("lift", Source.WALK_IN, "梅花园", "facilities", "3号楼电梯停运三天无人维修",
          "3号楼2单元电梯从周一起停运，张贴了维修告示但三天没人来修，楼里老人上下楼困难。", (21, "09:10"),
          (("assign", 21, "10:00", ""), ("sign", 21, "14:30", ""),
           ("answer", 19, "16:00", "已联系电梯维保单位更换控制主板，电梯今日下午恢复运行，并张贴了维保记录。"),
           (SATISFIED, 18, "10:00", ""), ("close", 18, "10:10", ""))),
    Story("rubbish", Source.PHONE, "锦绣花园", "sanitation", "东门垃圾桶满溢无人清运",
          "东门垃圾桶已经满了两天没人清运，周边污水横流，气味很大。", (20, "08:50"),
          (("assign", 20, "09:30", ""), ("sign", 20, "11:00", ""),
           ("answer", 18, "15:00", "已增加一次清运频次，改为每日早晚两次清运，并冲洗了垃圾桶周边地面。"),
           (BASIC, 17, "09:40", "投诉人表示已清运，希望物业加强日常巡查。"), ("close", 17, "09:50", ""))),
    Story("fees", Source.COMMUNITY, "樱花园", "fees", "物业费上涨未公示",
          "物业公司通知下月起物业费每平方米上涨0.2元，事先没有公示，也没有召开业主大会。", (19, "10:00"),
          (("assign", 19, "10:30", ""), ("sign", 18, "09:00", ""),
           ("answer", 15, "16:00", "已在各单元公告栏公示收费依据和成本测算，并安排客服逐户解释。"),
           (UNSATISFIED, 14, "10:00", "投诉人认为涨价未经业主大会表决，对答复不满意。"),
           ("close", 14, "10:30", "收费标准属合同约定事项，已告知投诉人可通过业主大会协商，依法办结。"))),
    Story("rental", Source.PHONE, "梅花园", "group_rental", "7号楼房屋被隔成多间群租",
          "7号楼1单元501室被隔成多个单间出租，人员进出频繁，存在消防隐患。", (22, "15:20"),
          (("assign", 22, "16:00", ""), ("sign", 21, "09:20", ""),
           ("answer", 14, "17:00", "已会同社区、派出所上门核查，房东已承诺拆除隔断，物业将持续跟踪。"),
           (SATISFIED, 13, "10:00", ""), ("close", 13, "10:05", ""))),
    Story("gate", Source.PHONE, "御景公馆", "facilities", "单元门禁损坏一个多月",
          "5号楼单元门门禁坏了一个多月，外来人员随意进出，多次报修没人处理。", (16, "09:00"),
          (("assign", 16, "09:30", ""), ("sign", 16, "10:00", ""),
           ("extend", 13, "15:00", (3, "门禁主板停产，需向厂家订购新型号设备，申请延期3个工作日。")),
           ("extend_ok", 13, "16:00", "同意延期，请按期完成更换。"),
           ("answer", 9, "16:30", "已更换新型门禁设备并为住户重新录入门禁卡。"),
           (SATISFIED, 8, "09:30", ""), ("close", 8, "09:40", ""))),
    Story("weeds", Source.ONLINE, "樱花园", "sanitation", "绿化带杂草丛生蚊虫多",
          "小区中心绿化带杂草半人高，蚊虫很多，晚上没法在楼下乘凉。", (13, "21:00"),
          (("assign", 12, "09:00", ""), ("sign", 12, "09:30", ""),
           ("answer", 11, "17:00", "已安排绿化班组清除杂草并喷洒消杀药剂。"),
           (SATISFIED, 10, "10:00", ""), ("close", 10, "10:10", "")), by=None),
    Story("flood", Source.PHONE, "樱花园", "facilities", "地下车库进水",
          "暴雨后地下车库入口挡水板没有放下，车库大面积进水，多辆车被淹。", (11, "06:40"),
          (("assign", 11, "06:50", ""), ("sign", 11, "07:20", ""),
           ("answer", 11, "12:00", "已启用排水泵抽排积水，加设挡水沙袋，受损车辆登记后协商处理。"),
           (BASIC, 10, "10:20", "积水已排除，车辆损失仍在协商。"), ("close", 10, "10:30", "")),
          urgency=Urgency.CRITICAL),
    Story("trapped", Source.PHONE, "御景公馆", "facilities", "电梯困人",
          "2号楼电梯停在两层之间，有人被困在里面，打物业电话没人接。", (7, "20:10"),
          (("assign", 7, "20:15", ""), ("sign", 7, "20:25", ""),
           ("answer", 7, "21:30", "维保人员20:40到场，被困人员已安全救出，电梯已停用检修。"),
           (SATISFIED, 6, "09:30", ""), ("close", 6, "09:40", "")), urgency=Urgency.URGENT),
    Story("scratch", Source.PHONE, "桂花园", "other", "车辆在小区内被划要求物业赔偿",
          "停在小区地面车位的车辆被划了一道，要求物业公司赔偿修车费用。", (17, "11:00"),
          (("assign", 17, "11:30", ""), ("sign", 17, "14:00", ""),
           ("answer", 15, "10:00", "经调取监控，车辆划痕系停车时与他车剐蹭所致，已提供监控录像供车主协商。"),
           (UNSATISFIED, 14, "15:00", "投诉人坚持要求物业赔偿。"),
           ("close", 14, "15:10", "车辆剐蹭系车主之间纠纷，已告知投诉人通过保险或协商解决。"),
           ("exclude", 12, "10:00", "经核实，车辆剐蹭系车主之间纠纷，不属物业服务责任，认定为不合理诉求。"))),
    Story("noanswer", Source.WALK_IN, "宝徕花苑", "sanitation", "楼道小广告张贴严重",
          "各单元楼道墙面贴满小广告，物业一直没有清理。", (12, "10:00"),
          (("assign", 12, "10:30", ""), ("sign", 12, "15:00", ""),
           ("answer", 10, "16:00", "已组织保洁人员清理全部单元楼道小广告，并在单元门口张贴提示。"),
           ("callback:none", 9, "10:00", "两次致电投诉人均无人接听，已发短信告知处理结果。"),
           ("close", 9, "10:10", ""))),
    Story("school", Source.WALK_IN, "四十中宿舍", "sanitation", "宿舍区垃圾长期无人清理",
          "宿舍区没有物业，垃圾堆在院子角落很久没人清理。", (9, "09:00"),
          (("close", 8, "16:00", "该小区尚无物业服务企业，已由社区组织志愿者清理，并纳入物业管理全覆盖任务。"),)),
    Story("praise", Source.WALK_IN, "锦绣花园", "attitude", "表扬保安拾金不昧",
          "东门保安捡到业主遗失的钱包后主动联系失主归还，特来表扬。", (10, "15:00"),
          (("close", 10, "15:30", "表扬已转达物业企业，并在小区公告栏通报。"),), matter=MatterType.PRAISE),
    Story("fund", Source.PHONE, "桂花园", "other", "咨询维修资金使用流程",
          "楼顶需要大修，想了解专项维修资金怎么申请使用。", (3, "14:00"),
          (("close", 3, "14:20", "已电话告知维修资金申请流程：业主表决、社区公示、报区住房保障服务中心审核。"),),
          matter=MatterType.CONSULT),
    # Open orders: what waits on whom at the end of the demo.
    Story("leak", Source.PHONE, "桂花园", "facilities", "顶楼漏水维修后仍漏",
          "6号楼顶楼每逢下雨就漏水，墙皮脱落，屋里放了好几个盆接水。", (12, "09:00"),
          (("assign", 12, "09:40", ""), ("sign", 12, "14:00", ""),
           ("answer", 10, "16:00", "已对6号楼楼顶防水层破损处进行修补。"),
           (UNSATISFIED, 5, "10:00", "投诉人反映修补后下雨仍然漏水。"),
           ("reopen", 5, "10:20", "回访不满意：修补后下雨仍漏水，请重新查找漏点彻底维修。"),
           ("sign", 4, "09:30", ""))),
    Story("stall", Source.WALK_IN, "宝徕花苑", "order_parking", "小区门口占道经营",
          "小区大门外每天早上有摊贩占道经营，车辆进出困难。", (6, "09:20"),
          (("assign", 6, "10:00", ""),
           ("return", 5, "11:00", "大门外为市政道路，占道经营属城市管理执法范围，不在物业服务区域内，请街道转城管部门处理。"))),
    Story("charging", Source.PHONE, "锦绣花园", "order_parking", "楼下电动车飞线充电",
          "8号楼下有住户从窗户拉电线给电动车充电，存在火灾隐患，物业不管。", (6, "15:00"),
          (("assign", 6, "16:00", ""), ("urge", 4, "09:30", "已超过签收时限，请立即签收并处理飞线充电隐患。"))),
    Story("lights", Source.PHONE, "樱花园", "facilities", "小区路灯不亮",
          "小区北区路灯坏了一半，晚上出行很不安全。", (10, "19:30"),
          (("assign", 9, "09:00", ""), ("sign", 9, "11:00", ""))),
    Story("attic", Source.MEDIATION, "御景公馆", "decoration", "顶楼住户私搭乱建",
          "11号楼顶楼住户在楼顶平台搭建阳光房，物业制止无效。", (4, "10:00"),
          (("assign", 4, "10:30", ""), ("sign", 4, "15:00", ""),
           ("extend", 2, "16:00", (5, "违建拆除需业主配合并报城管部门联合执法，申请延期5个工作日。")))),
    Story("rude", Source.COMMUNITY, "银光上城", "attitude", "客服态度恶劣推诿报修",
          "打物业客服电话报修水管漏水，客服态度恶劣，说不归他们管。", (5, "09:00"),
          (("assign", 5, "09:30", ""), ("sign", 5, "10:00", ""),
           ("answer", 3, "15:00", "已对当班客服进行批评教育，维修人员当天上门更换了漏水阀门。"))),
    Story("bins", Source.WALK_IN, "梅花园", "sanitation", "垃圾分类桶破损",
          "2号楼下的垃圾分类桶盖子坏了，垃圾散落一地。", (4, "08:30"),
          (("assign", 4, "09:00", ""), ("sign", 4, "09:40", ""),
           ("answer", 3, "11:00", "已更换破损的垃圾分类桶4个。"), (SATISFIED, 1, "10:00", ""))),
    Story("smell", Source.ONLINE, "梅花园", "sanitation", "绿化带里有死老鼠气味难闻",
          "9号楼北侧绿化带里有死老鼠，气味难闻，麻烦物业清理并消杀。", (1, "07:45"),
          (("assign", 1, "09:15", ""),), by=None),
    Story("parking", Source.PHONE, "桂花园", "order_parking", "外来车辆占用业主车位",
          "外来车辆随意进出小区，占用业主固定车位，门岗不登记。", (1, "16:20")),
    Story("market", Source.PHONE, None, "facilities", "家属楼楼道灯不亮",
          "楼道灯坏了两个月，晚上上下楼看不见，请尽快维修。", (2, "10:40"),
          address="山亭区山城街道府前路农贸市场东侧家属楼3单元"),
    # The major complaint: registered by the district (上级督办), handed to the street, disqualifying the estate.
    Story("water", Source.SUPERVISION, "银光上城", "facilities", "二次供水水箱污染多户居民腹泻",
          "市级督办：银光上城多户居民反映自来水有异味，饮用后出现腹泻症状，怀疑二次供水水箱污染。", (6, "09:00"),
          (("dispatch", 6, "09:10", "请山城街道立即核查处置，当日报告情况。"), ("assign", 6, "09:40", ""),
           ("sign", 6, "10:00", ""),
           ("major", 6, "11:00", "二次供水污染致多户居民身体不适，经区住房保障服务中心现场核实，认定为重大投诉。"),
           ("supervise", 6, "11:05", "区级督办：每日报告水质检测和水箱清洗进展。"),
           ("answer", 4, "17:00", "已停用并清洗消毒二次供水水箱，水质检测合格后恢复供水，并为住户送桶装水三天。")),
          by="district_admin", open_quarter=True),
    # Three reports of one matter on one estate within three days: merged into one case.
    Story("sewage", Source.PHONE, "锦绣花园", "sanitation", "化粪池堵塞污水外溢",
          "5号楼前化粪池堵塞，污水漫到路面上，臭味很大。", (3, "08:30"),
          (("merge", 2, "10:00", ("sewage2", "sewage3")), ("assign", 2, "10:30", ""), ("sign", 2, "14:00", ""),
           ("answer", 1, "16:00", "已联系专业清掏单位疏通化粪池，冲洗消毒路面，并对管道进行了检修。"))),
    Story("sewage2", Source.WALK_IN, "锦绣花园", "sanitation", "5号楼前污水横流",
          "5号楼门前化粪池冒污水，出门都没地方下脚。", (3, "14:00")),
    Story("sewage3", Source.COMMUNITY, "锦绣花园", "sanitation", "化粪池外溢反复发生",
          "社区转办：锦绣花园5号楼化粪池外溢，居民多次反映。", (2, "09:00")),
]

# What a firm answers and the street notes at the callback, per category (the imported orders).
ANSWERS = {
    "sanitation": "已安排保洁人员清理，并增加巡查频次。",
    "order_parking": "已加强门岗管理，对违规停放车辆张贴提示并通知车主挪车。",
    "facilities": "已安排维修人员上门检修，设施已恢复正常使用。",
    "fees": "已在公告栏公示收费依据，并安排客服向投诉人当面解释。",
    "decoration": "已下发整改通知书，责令停止违规施工，并报告社区和城管部门。",
    "group_rental": "已会同社区上门核查，房东已承诺整改，物业将持续跟踪。",
    "attitude": "已对相关工作人员进行批评教育，并向投诉人致歉。",
    "other": "已与投诉人沟通，说明情况并按规定处理。",
}
CALLBACK_NOTES = {
    Satisfaction.SATISFIED: "",
    Satisfaction.BASIC: "投诉人表示基本解决，希望物业加强日常管理。",
    Satisfaction.UNSATISFIED: "投诉人对处理结果不满意，认为物业整改不到位。",
}
# The imported orders' fates, in turn (orders on estates whose firm has no account stay with the firm).
IMPORT_FATES = [Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.SATISFIED,
                Satisfaction.UNSATISFIED, Satisfaction.SATISFIED, Satisfaction.BASIC, Satisfaction.SATISFIED]


def var_dir() -> Path:
    return Path(settings.VAR_DIR)


# --- the working-day clock of the demo ----------------------------------------------------------------------

class DemoClock:
    """d(k): the k-th working day before the day the demo runs; at(k, "HH:MM"): a moment on it."""

    def __init__(self, now: datetime.datetime):
        self.now = now
        self.today = timezone.localtime(now).date()
        self.calendar = WorkCalendar()
        self._days: list[datetime.date] = []

    def d(self, k: int) -> datetime.date:
        if k < 1:
            raise ValueError("demo steps happen before today")
        day = self._days[-1] if self._days else self.today
        while len(self._days) < k:
            day -= datetime.timedelta(days=1)
            if self.calendar.is_working_day(day):
                self._days.append(day)
        return self._days[k - 1]

    def at(self, k: int, hhmm: str) -> datetime.datetime:
        hour, minute = (int(x) for x in hhmm.split(":"))
        return datetime.datetime.combine(self.d(k), datetime.time(hour, minute), tzinfo=local_zone())


def quarter_of(day: datetime.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


# --- made-up people and files ---------------------------------------------------------------------------------

class People:
    def __init__(self, seed: int):
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.rng = random.Random(seed)

    def name(self) -> str:
        while True:  # three characters, as seed_demo's people (two are too often a real name's start)
            name = self.fake.name()
            if len(name) == 3:
                return name

    def phone(self) -> str:
        return f"1380000{self.rng.randint(0, 9999):04d}"


def hotline_rows(*, estates: list[Estate], end: datetime.datetime, prefix: str, spec: dict, people: People) -> list:
    """A generated 12345 export's rows, the callers replaced by made-up people (Faker zh_CN, 138-0000 phones)."""
    local_end = timezone.localtime(end).replace(tzinfo=None, microsecond=0)
    rows = list(sample_rows(estates=estates, end=local_end, prefix=prefix, aliases=ALIASES, **spec))
    caller, phone = HEADERS.index("来电人"), HEADERS.index("联系电话")
    for row in rows:
        row[caller], row[phone] = people.name(), people.phone()
    return rows


def write_xlsx(path: Path, rows: list) -> None:
    import xlsxwriter

    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                          "strings_to_urls": False})
    ws = wb.add_worksheet("工单")
    ws.write_row(0, 0, HEADERS, wb.add_format({"bold": True}))
    for n, row in enumerate(rows, start=1):
        ws.write_row(n, 0, row)
    wb.close()


def photo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small made-up JPEG "site photo" for an answer."""
    img = Image.new("RGB", (640, 480), colour)
    draw = ImageDraw.Draw(img)
    for x in range(0, 640, 80):
        draw.line([(x, 0), (x + 200, 480)], fill=(255, 255, 255), width=6)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=80)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


# --- the playback -----------------------------------------------------------------------------------------------

class Playback:
    def __init__(self, *, street: Street, now: datetime.datetime, say):
        self.street = street
        self.district = street.district
        self.clock = DemoClock(now)
        self.say = say
        self.people = People(SEED)
        self.users = {u.username: u for u in User.objects.filter(
            username__in=["street_staff", "district_admin"])}
        self.categories = {c.code: c for c in Category.objects.all()}
        self.estates = {e.name: e for e in Estate.objects.filter(community__street=street)
                        .select_related("community__street__district")}
        self.firm_users: dict[int, User | None] = {}
        self.by_key: dict[str, Complaint] = {}
        self.queue: list = []
        self.seq = itertools.count()
        self.photos = 0

    # -- scheduling
    def schedule(self, when: datetime.datetime, fn, *args) -> None:
        heapq.heappush(self.queue, (when, next(self.seq), fn, args))

    def run(self) -> None:
        first = self.queue[0][0]
        tick = first.replace(minute=OVERDUE_MINUTE, second=0, microsecond=0)
        while tick <= self.clock.now:
            self.schedule(tick, self.overdue)
            tick += datetime.timedelta(hours=1)
        while self.queue:
            when, _seq, fn, args = heapq.heappop(self.queue)
            fn(when, *args)

    def overdue(self, now):
        complaints_mark_overdue(now=now)

    # -- actors
    def clerk(self) -> User:
        return self.users["street_staff"]

    def firm_user(self, complaint: Complaint) -> User | None:
        complaint.refresh_from_db()
        firm_id = complaint.handled_by.firm_id if complaint.handled_by_id else complaint.firm_id
        if firm_id not in self.firm_users:
            self.firm_users[firm_id] = (User.objects.filter(roles__role=Role.FIRM_USER, roles__firm_id=firm_id)
                                        .order_by("pk").first())
        return self.firm_users[firm_id]

    def complainant(self) -> tuple[str, str]:
        return self.people.name(), self.people.phone()

    # -- one step of an order
    def step(self, now, key: str, action: str, arg):
        c = self.by_key[key]
        c.refresh_from_db()
        clerk, district = self.clerk(), self.users["district_admin"]
        if action == "assign":
            c = complaint_assign(actor=clerk, complaint=c, now=now, comment=arg)
        elif action == "sign":
            c = complaint_sign(actor=self.firm_user(c), complaint=c, now=now)
        elif action == "answer":
            self.photos += 1
            colour = ((90, 140, 90), (120, 120, 160), (160, 130, 90))[self.photos % 3]
            files = [photo(f"现场照片{self.photos}.jpg", colour)] if self.photos % 2 else []
            c = complaint_answer(actor=self.firm_user(c), complaint=c, answer=arg, now=now, files=files)
        elif action.startswith("callback:"):
            kind = action.split(":", 1)[1]
            if kind == "none":
                c = complaint_callback(actor=clerk, complaint=c, contacted=False, solved=None, satisfaction="",
                                       comment=arg, now=now)
            else:
                c = complaint_callback(actor=clerk, complaint=c, contacted=True,
                                       solved=kind != Satisfaction.UNSATISFIED, satisfaction=kind,
                                       comment=arg or CALLBACK_NOTES[kind], now=now)
        elif action == "close":
            c = complaint_close(actor=clerk, complaint=c, now=now, comment=arg)
        elif action == "reopen":
            c = complaint_reopen(actor=clerk, complaint=c, reason=arg, now=now)
        elif action == "return":
            c = complaint_return(actor=self.firm_user(c), complaint=c, reason=arg, now=now)
        elif action == "extend":
            amount, reason = arg
            c = complaint_extend_request(actor=self.firm_user(c), complaint=c, amount=amount, reason=reason, now=now)
        elif action == "extend_ok":
            c = complaint_extend_decide(actor=clerk, complaint=c, approve=True, comment=arg, now=now)
        elif action == "urge":
            c = complaint_urge(actor=clerk, complaint=c, comment=arg, now=now)
        elif action == "dispatch":
            c = complaint_dispatch(actor=district, complaint=c, street=self.street, now=now, comment=arg)
        elif action == "supervise":
            c = complaint_supervise(actor=district, complaint=c, comment=arg, now=now)
        elif action == "major":
            c = complaint_mark_major(actor=district, complaint=c, reason=arg, now=now)
        elif action == "exclude":
            c = complaint_exclude(actor=district, complaint=c, kind=Exclusion.UNREASONABLE, reason=arg, now=now)
        elif action == "match":
            c = complaint_match(actor=clerk, complaint=c, estate=self.estates[arg], now=now)
        elif action == "merge":
            reports = [self.by_key[k] for k in arg]
            c = complaint_merge(actor=clerk, case=c, reports=reports, comment="同一事项的重复投诉，并案办理。", now=now)
            # The case now stands for the repeated reports: the repeated-report check sees it as their case.
            complaints_flag_repeated(estate_ids=[c.estate_id], now=now)
        else:  # pragma: no cover - a typo in the script
            raise ValueError(f"unknown demo step {action!r}")
        self.by_key[key] = c

    # -- scripted orders
    def published(self, day: datetime.date) -> bool:
        year, quarter = quarter_of(day)
        return RatingPeriod.objects.filter(district=self.district, year=year, quarter=quarter,
                                           status=PeriodStatus.PUBLISHED).exists()

    def shift_for(self, story: Story) -> int:
        """Working days to move a story by so that it is received in a quarter not yet published (0: none)."""
        if not story.open_quarter:
            return 0
        k = story.received[0]
        for candidate in range(k, 0, -1):
            if not self.published(self.clock.d(candidate)):
                return k - candidate
        return 0

    def plan_story(self, story: Story) -> None:
        shift = self.shift_for(story)
        k, hhmm = story.received
        self.schedule(self.clock.at(k - shift, hhmm), self.receive, story)
        for action, step_k, step_hhmm, arg in story.steps:
            if step_k - shift < 1:
                continue  # moved into today or later: not yet happened
            self.schedule(self.clock.at(step_k - shift, step_hhmm), self.step, story.key, action, arg)

    def receive(self, now, story: Story):
        name, phone = self.complainant()
        actor = self.users[story.by] if story.by else None
        estate = self.estates[story.estate] if story.estate else None
        self.by_key[story.key] = complaint_receive(
            actor=actor, street=self.street, source=story.source, received_at=now,
            category=self.categories[story.category], title=story.title, content=story.content, now=now,
            matter_type=story.matter, urgency=story.urgency, estate=estate,
            address=story.address or (f"{self.district.name}{self.street.name}{estate.name}" if estate else ""),
            complainant_name=name, complainant_phone=phone)

    # -- the month's 12345 export
    def hotline_estates(self) -> list[Estate]:
        return [self.estates[name] for name in HOTLINE_ESTATES]

    def plan_import(self) -> Path:
        day = self.clock.d(IMPORT_DAY)
        end = self.clock.at(IMPORT_DAY, "08:00")
        rows = hotline_rows(estates=self.hotline_estates(), end=end, prefix=f"SD{day:%Y%m%d}",
                            spec=MONTH_FILE, people=self.people)
        path = var_dir() / DEMO_FILE
        write_xlsx(path, rows)
        self.schedule(self.clock.at(IMPORT_DAY, "09:30"), self.import_file, path)
        return path

    def import_file(self, now, path: Path):
        clerk = self.clerk()
        upload = SimpleUploadedFile(DEMO_FILE, path.read_bytes(),
                                    content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        run = import_run_upload(actor=clerk, street=self.street, mapping=mapping_ensure_default(district=self.district),
                                uploaded_file=upload, now=now)
        if run.status != ImportStatus.UPLOADED:
            raise RuntimeError(f"the demo's 12345 file was refused: {run.errors}")
        run = import_run_confirm(actor=clerk, run=run, now=now + datetime.timedelta(minutes=2))
        if run.status != ImportStatus.DONE:
            raise RuntimeError(f"the demo's 12345 import ended {run.status}: {run.errors}")
        self.say("complaint import runs", 1)
        self.plan_imported(run)

    def plan_imported(self, run: ImportRun):
        """The imported orders' handling: the clerk places the first unmatched one, assigns every placed one;
        firms with an account sign, answer and get called back, in turn satisfied, basic or not."""
        k = IMPORT_DAY
        turn = 0
        matched_by_hand = False
        for i, c in enumerate(run.complaints.order_by("received_at", "pk")):
            key = f"import:{c.pk}"
            self.by_key[key] = c
            m = f"{10 + (2 * i) // 60:02d}:{(2 * i) % 60:02d}"
            if c.estate_id is None:
                if matched_by_hand:
                    continue  # stays in the triage queue
                matched_by_hand = True
                self.schedule(self.clock.at(k, "10:50"), self.step, key, "match", "梅花园")
                m = "11:00"
            self.schedule(self.clock.at(k, m), self.step, key, "assign", "")
            if c.estate_id and self.firm_user(c) is None:
                continue  # the firm has no portal account: never signed for, escalated by the overdue job
            fate = IMPORT_FATES[turn % len(IMPORT_FATES)]
            late_sign, late_answer = turn % 5 == 3, turn % 7 == 5
            turn += 1
            minute = f"{(3 * turn) % 60:02d}"
            if c.urgency == Urgency.NORMAL:
                sign_at = self.clock.at(k - 2 if late_sign else k - 1, f"09:{minute}")
            else:  # 紧急/特急: signed for within the minutes the policy gives
                sign_at = self.clock.at(k, m) + datetime.timedelta(minutes=10)
            self.schedule(sign_at, self.step, key, "sign", "")
            answer_text = ANSWERS.get(c.category.code, ANSWERS["other"])
            self.schedule(self.clock.at(7 if late_answer else 11, f"15:{minute}"), self.step, key, "answer",
                          answer_text)
            self.schedule(self.clock.at(6, f"10:{minute}"), self.step, key, f"callback:{fate}", "")
            self.schedule(self.clock.at(6, f"11:{minute}"), self.step, key, "close", "")


def _write_week_file(*, street: Street, now: datetime.datetime) -> Path:
    """The last week's fresh 12345 orders for the tour (numbers no demo order has)."""
    estates = {e.name: e for e in Estate.objects.filter(community__street=street, name__in=HOTLINE_ESTATES)
               .select_related("community__street__district")}
    end = now - datetime.timedelta(hours=1)
    rows = hotline_rows(estates=[estates[n] for n in HOTLINE_ESTATES], end=end,
                        prefix=f"SD{timezone.localtime(end):%Y%m%d}", spec=WEEK_FILE_ROWS, people=People(SEED + 1))
    path = var_dir() / WEEK_FILE
    write_xlsx(path, rows)
    return path


def seed_complaints(*, districts: list[District], say, now: datetime.datetime) -> None:
    """The complaints demo (see the module docstring); `now` is the moment seed_demo runs."""
    # The categories come with a data migration; a flushed database has none (get_or_create: a rerun adds none).
    importlib.import_module("complaints.migrations.0002_default_categories").seed(django_apps, None)
    for district in districts:
        ensure_default_policy(district)
        mapping_ensure_default(district=district)
    street = Street.objects.select_related("district").get(district__name=STREET[0], name=STREET[1])
    for estate_name, names in ALIASES.items():
        estate = Estate.objects.get(community__street=street, name=estate_name)
        for alias in names:
            EstateAlias.objects.get_or_create(estate=estate, name=alias)

    if not Complaint.objects.filter(street=street).exists():
        playback = Playback(street=street, now=now, say=say)
        playback.plan_import()
        for story in STORIES:
            playback.plan_story(story)
        playback.run()
        say("complaints", Complaint.objects.filter(street=street).count())
        _write_week_file(street=street, now=now)
        return

    # Already seeded: only bring back a var/ file someone deleted.
    month = var_dir() / DEMO_FILE
    if not month.exists():
        run = ImportRun.objects.filter(street=street, original_name=DEMO_FILE).order_by("pk").first()
        if run is not None and run.file and run.file.storage.exists(run.file.name):
            month.parent.mkdir(parents=True, exist_ok=True)
            with run.file.open("rb") as src, month.open("wb") as dst:
                shutil.copyfileobj(src, dst)
    if not (var_dir() / WEEK_FILE).exists():
        _write_week_file(street=street, now=now)
