"""A realistic 12345 hotline export for a list of estates (the demo's file, the import benchmark's 100,000 rows).

    from complaints.hotline_sample import write_hotline_xlsx
    write_hotline_xlsx("var/12345-sample.xlsx", estates=Estate.objects.select_related(
        "community__street__district").filter(...), count=200, end=timezone.now())

The columns are those of a typical export (the default mapping "12345 热线标准导出" reads them), with a few
the portal does not map (序号, 来电渠道, 诉求分类, 所属区县, 办理时限), which are kept in each complaint's
raw row. Addresses name the estates the way callers do (梅花园, 梅花园小区, full-width numbers, an alias);
`unmatched_share` of the rows name a road crossing instead and land in the triage queue. The same
arguments give the same file (numbers, times and texts come from `seed`), so importing it twice shows the
second run skipping every row as already imported.
"""
from __future__ import annotations

import datetime
import random
from typing import Iterable, Iterator, Sequence

HEADERS = ("序号", "工单编号", "受理时间", "来电渠道", "诉求类型", "诉求分类编码", "诉求分类", "紧急程度", "标题",
           "诉求内容", "诉求地址", "所属区县", "来电人", "联系电话", "办理时限")

# hotline code, its name, weight, what callers say (a building number is filled in)
CATEGORIES = (
    ("030601", "物业管理-环境卫生", 30, ("{b}号楼楼道垃圾堆放多日无人清理，气味很大", "绿化带杂草丛生，蚊虫很多",
                                   "垃圾桶满了没人清运，周边污水横流")),
    ("030602", "物业管理-秩序与停车", 18, ("车辆乱停乱放，消防通道被堵", "外来车辆随意进出，门岗不登记",
                                    "{b}号楼下电动车飞线充电，存在安全隐患")),
    ("030603", "物业管理-设施设备", 22, ("{b}号楼电梯经常故障停运，老人上下楼困难", "{b}号楼单元门门禁坏了一个多月没人修",
                                   "路灯不亮，晚上出行不安全", "{b}号楼楼顶漏水，物业一直不处理")),
    ("030604", "物业管理-物业收费", 10, ("物业费上涨未公示，要求说明收费依据", "停车费收费标准不透明")),
    ("030605", "物业管理-装修与违建", 8, ("{b}号楼顶楼住户私搭乱建，物业不制止", "邻居装修噪音扰民，晚上十点后还在施工")),
    ("030606", "物业管理-群租", 4, ("{b}号楼有房屋被隔成多间群租，人员复杂",)),
    ("030607", "物业管理-服务态度", 5, ("物业客服态度恶劣，报修后推诿不处理", "物业人员上门维修乱收费还态度差")),
    ("030699", "物业管理-其他", 3, ("公共收益去向不明，要求公开", "物业服务合同到期后未公开续聘情况")),
)
MATTERS = (("投诉", 70), ("求助", 10), ("咨询", 10), ("举报", 5), ("意见建议", 4), ("表扬", 1))
URGENCIES = (("一般", 94), ("紧急", 5), ("特急", 1))
CHANNELS = ("电话", "微信", "网站", "市长信箱", "APP")
ROADS = ("建设路", "文化路", "中原路", "人民路", "解放路", "大学路", "航海路", "嵩山路", "桐柏路", "紫荆山路")
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _weighted(rnd: random.Random, pairs):
    return rnd.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def _place(estate) -> tuple[str, str, str]:
    """(district name, street name, estate name) of an Estate (select_related it) or a plain name."""
    if isinstance(estate, str):
        return "", "", estate
    street = getattr(getattr(estate, "community", None), "street", None)
    district = getattr(street, "district", None)
    return getattr(district, "name", ""), getattr(street, "name", ""), estate.name


def _people(rnd: random.Random, n: int) -> list[tuple[str, str]]:
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(rnd.randint(0, 2**31))
    return [(fake.name(), "1" + rnd.choice("3456789") + "".join(rnd.choice("0123456789") for _ in range(9)))
            for _ in range(n)]


def sample_rows(*, estates: Iterable, count: int, end: datetime.datetime, days: int = 30, seed: int = 1,
                prefix: str | None = None, unmatched_share: float = 0.08,
                aliases: dict[str, Sequence[str]] | None = None, district_name: str = "") -> Iterator[list]:
    """The rows (without the header) of a sample export, oldest first; `end` is the latest received time."""
    rnd = random.Random(seed)
    places = [_place(e) for e in estates]
    if not places:
        raise ValueError("estates is empty")
    aliases = aliases or {}
    people = _people(rnd, min(500, max(20, count // 20)))
    prefix = prefix if prefix is not None else f"ZZ{end:%Y%m}{seed % 100:02d}"
    span = int(days * 86400)
    offsets = sorted(rnd.randrange(span) for _ in range(count))
    codes = [(c[0], c[1], c[2], c[3]) for c in CATEGORIES]
    for i, offset in enumerate(offsets, start=1):
        received = end - datetime.timedelta(seconds=span - offset)
        received = received.replace(microsecond=0)
        code, code_name, _w, texts = rnd.choices(codes, weights=[c[2] for c in codes])[0]
        district, street, name = rnd.choice(places)
        district = district or district_name
        building = rnd.randint(1, 30)
        complaint = rnd.choice(texts).format(b=building)
        if rnd.random() < unmatched_share:
            address = f"{district}{street}{rnd.choice(ROADS)}与{rnd.choice(ROADS)}交叉口{rnd.choice('东西南北')}侧"
            content = f"{address}附近{complaint}，请相关部门处理。"
            title = f"关于{rnd.choice(ROADS)}周边{code_name.split('-')[-1]}问题的投诉"
        else:
            shown = rnd.choice([name, name, name + "小区", *aliases.get(name, ())])
            unit = f"{building}号楼{rnd.randint(1, 6)}单元{rnd.randint(1, 30)}0{rnd.randint(1, 4)}室"
            if rnd.random() < 0.1:
                unit = unit.translate(_FULL_WIDTH)
            address = f"{district}{street}{shown}{unit}"
            content = f"来电人反映：{shown}{complaint}，多次向物业反映未果，希望尽快解决。"
            title = f"{shown}{code_name.split('-')[-1]}问题"
        caller, phone = rnd.choice(people)
        stamp = received.strftime("%Y-%m-%d %H:%M:%S") if rnd.random() < 0.8 else received.strftime("%Y/%m/%d %H:%M")
        yield [i, f"{prefix}{i:06d}", stamp, rnd.choice(CHANNELS), _weighted(rnd, MATTERS), code, code_name,
               _weighted(rnd, URGENCIES), title, content, address, district, caller, phone, "5个工作日"]


def write_hotline_xlsx(target, *, estates: Iterable, count: int, end: datetime.datetime, days: int = 30,
                       seed: int = 1, prefix: str | None = None, unmatched_share: float = 0.08,
                       aliases: dict[str, Sequence[str]] | None = None, district_name: str = "") -> int:
    """Write the sample to `target` (a path or a binary file object); returns the number of rows.

    Written row by row (XlsxWriter's constant-memory mode): 100,000 rows take a few seconds and little memory.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(target, {"constant_memory": True, "strings_to_numbers": False,
                                      "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet("工单")
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, HEADERS, bold)
    n = 0
    for n, row in enumerate(sample_rows(estates=estates, count=count, end=end, days=days, seed=seed, prefix=prefix,
                                        unmatched_share=unmatched_share, aliases=aliases,
                                        district_name=district_name), start=1):
        ws.write_row(n, 0, row)
    wb.close()
    return n
