"""A year of complaints and firm credit in one district, walked hour by hour (the calendar-walk rule).

From 2025-01-01 to 2026-01-10 the clock (time-machine) walks every day of 山亭区 (the `world` fixture:
梅花园 served by firm 甲, 北庄花园 by firm 乙, 锦绣花园 by nobody) and the beat tasks run at their beat times:
  01:10  inspections.mark_overdue_orders   (daily; writes the 整改通知逾期 credit record)
  02:00  ratings.run_quarterly             (daily; the 2024Q4 result the 2024 re-check reads)
  hh:05  complaints.mark_overdue           (hourly) on every day on which a complaint is open: a day that
         starts with an open order, or on which an order is received. On every other day no order is open
         (asserted before and after the day: `Complaint.objects.open().count() == 0`); the job reads only
         orders waiting to be signed for (待企业签收) or answered (办理中), both open, so it has nothing to
         do there and is skipped. That makes 111 days of 24 runs (the spans below, by hand).
  04:30 on 2026-01-05  enterprises.run_credit_year (the year 2025).
The monthly payout job is left out: no credit record and no complaint depends on it.

People act on the days and hours below through the services the pages use. Default policies throughout:
sign for within 1 working day (紧急 30 min, 特急 15 min), answer within 5 working days from the signing,
escalation to the street one working day after a late clock and to the district two; credit: base 80,
objection window 5 working days, star_5 +3, order_overdue −2, disqualified −5; orders 7 calendar days.

The calendar (workdays, seeded from chinesecalendar). "N working days from a moment" ends at 24:00 of the
Nth working day after that moment's day, shown as 00:00 of the day after:
  春节 2025     01-28 (Tue) … 02-04 (Tue) off; Sunday 01-26 and Saturday 02-08 are working days.
  清明 04-04…06, 劳动节 05-01…05, 端午 05-31…06-02 off (Sunday 04-27 works).
  国庆 2025     10-01 … 10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
  元旦 2026     01-01 … 01-03 off; Sunday 01-04 is a working day.
(The 2026 Spring Festival, 02-15…02-23, is after the walk's end; the 2025 one is walked instead.)

Complaints (C1–C13; 山城街道 = 梅花园 and 锦绣花园, 北庄街道 = 北庄花园):
  C1  梅花园, January, all in time.                                                open 01-06 … 01-13
  C2  梅花园, across 春节: assigned Fri 01-24 16:30, due 24:00 Sun 01-26 (a working day); the firm signs
      Mon 01-27 09:00: late, told at 00:05. Answer due five working days on: 02-05, 06, 07, 08 (Sat), 10
      -> 24:00 02-10; answered 02-10 16:00, in time.                              open 01-24 … 02-11
  C3  北庄花园, answer late across 春节: signed Mon 01-20; due 21, 22, 23, 24, 26 (Sun) -> 24:00 01-26.
      Firm told 01-27 00:05; the street one working day on (24:00 01-27); the district two working days on:
      01-27, then the holiday, 02-05 -> 24:00 02-05, told 02-06 00:05. Answered 02-06 10:00.
                                                                                   open 01-20 … 02-07
  C4  梅花园, 紧急 (30 minutes) overnight: assigned Fri 03-14 22:50, due 23:20; the 23:05 run finds it
      in time, the 00:05 run late: the firm is told at 03-15 00:05; signed Sat 07:30. open 03-14 … 03-19
  C5  梅花园, across 国庆 in time: assigned Fri 09-26, due 24:00 Sun 09-28 (working), signed that
      Sunday; answer due 09-29, 09-30, 10-09, 10-10, 10-11 (Sat) -> 24:00 10-11; answered Sat 10-11.
                                                                                   open 09-26 … 10-13
  C6  北庄花园, across 国庆 with an extension: signed Mon 09-29, answer due 09-30, 10-09, 10, 11, 13 ->
      24:00 10-13; the firm asks 3 more working days on 10-10, the street grants them on Sat 10-11:
      counted from 10-13, the due day: 14, 15, 16 -> 24:00 10-16; answered 10-16 15:00, in time.
                                                                                   open 09-29 … 10-17
  C7  梅花园: the firm returns it (退单) the next day (a municipal road, not the estate); the street closes
      it with a reason. Sign due 24:00 04-02; never signed.                        open 04-01 … 04-02
  C8  北庄花园, a 12345 order the district registers on Fri 06-27 17:30 and dispatches (派至街道); the street
      assigns it Mon 06-30 09:00, due 24:00 07-01; signed 07-02 09:00: late, told 07-02 00:05.
                                                                                   open 06-27 … 07-10
  C9  梅花园, answer late with every step: due 24:00 11-10, firm told 11-11 00:05, the street 11-12 00:05,
      the district 11-13 00:05; answered 11-14; 不满意.                          open 11-03 … 11-17
  C10 锦绣花园 (no firm): the street closes it from its queue the same day.        open 05-12
  C11 梅花园, across 元旦 2026: signed Wed 12-31; answer due 01-04 (Sun, working), 05, 06, 07, 08 ->
      24:00 01-08; the firm answers Fri 01-09 08:00: late (told at 00:05). Waits for the callback at the
      walk's end.                                                                  open 12-30 … 01-10
  C12 北庄花园, received on the public form on 10-03 in the holiday; assigned on the first working day
      after it, Thu 10-09, due 24:00 10-10; answer due 10, 11 (Sat), 13, 14, 15 -> 24:00 10-15.
                                                                                   open 10-03 … 10-16
  C13 北庄花园, 特急 (15 minutes): assigned 08-04 08:35, due 08:50, signed 08:58: late, marked by the signing
      itself; the next run (09:05) finds it signed: no OVERDUE event, no step, no notice. Marked a 重大投诉
      the next day: the estate loses 2025Q3 and firm 乙 gets a disqualified record.
                                                                                   open 08-04 … 08-11
  Spans: 8 + 23 (01-20 … 02-11) + 6 + 2 + 1 + 14 + 8 + 22 (09-26 … 10-17) + 15 + 12 = 111 days.

Credit (the recording unit is 山亭区; it confirms after the objection window; an objection goes to the city):
  2024Q4: 梅花园 (甲) applied for 2024, inspected 90, opinion and satisfaction 90 -> 90 -> 5★, computed by
      the nightly job on 2025-01-05, announced 01-08, published 01-20. The 2024 re-check on Fri 01-24 10:00
      writes star_5 +3 for 甲; window 01-26 (Sun), 01-27, 02-05, 06, 07 -> 24:00 02-07; confirmed on the
      working Saturday 02-08.
  Order O1 to 乙 (北庄花园) issued Fri 05-23, deadline 05-30, unanswered: the 05-31 01:10 run marks it and
      writes order_overdue −2; window 06-03 … 06-09. 乙 objects on 06-03, the city upholds it on 06-05:
      withdrawn, not counted.
  C13's major complaint (08-05 10:00): disqualified −5 for 乙, occurred on the day received (08-04);
      window 08-06, 07, 08, 11, 12; confirmed 08-13.
  Order O2 to 甲 (梅花园) issued Fri 09-26, deadline 10-03 (in 国庆), marked on 10-04 01:10: −2; window
      10-09, 10, 11 (Sat), 13, 14; confirmed 10-15.
  Order O3 to 甲 issued Fri 12-19, deadline 12-26, marked Sat 12-27: −2; window 12-29, 30, 31, 01-04 (Sun),
      01-05; confirmed 2026-01-06: it counts in 2026, not in the 2025 score computed on 01-05.
  2025 scores (80 + min(good, 20) − bad; AAA ≥ 85, AA ≥ 80, A ≥ 70): 甲 80 + 3 − 2 = 81 AA;
      乙 80 − 5 = 75 A.
"""
import datetime
import re
from collections import defaultdict
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from faker import Faker

from accounts.models import Notification
from complaints.models import Action, Category, Complaint, ComplaintEvent, Satisfaction, Source, Status, Urgency
from complaints.selectors import rates_by, rates_for
from complaints.services import (
    complaint_answer,
    complaint_assign,
    complaint_callback,
    complaint_close,
    complaint_dispatch,
    complaint_extend_decide,
    complaint_extend_request,
    complaint_mark_major,
    complaint_receive,
    complaint_return,
    complaint_sign,
)
from complaints.tasks import mark_overdue_task
from enterprises.credit.records import credit_objection_decide, credit_objection_submit, credit_record_confirm
from enterprises.models import CreditRecord, CreditScore, CreditYear, CreditYearStatus
from enterprises.tasks import run_credit_year_task
from inspections.models import Inspection, InspectionStatus, RectificationOrder
from inspections.services.orders import order_accept, order_answer, order_issue
from inspections.services.rubrics import ensure_default_rubric
from inspections.tasks import mark_overdue_orders_task
from ratings.models import (
    Application,
    ApplicationStatus,
    ComponentKind,
    ComponentScore,
    Disqualification,
    PeriodStatus,
    RatingPeriod,
    RecheckDecision,
    StarRating,
)
from ratings.services.corrections import recheck_confirm
from ratings.services.periods import period_announce, period_publish
from ratings.tasks import run_quarterly_ratings_task

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY, LAST_DAY = datetime.date(2025, 1, 1), datetime.date(2026, 1, 10)


def t(text: str) -> datetime.datetime:
    """"2025-01-06 09:00" -> an aware datetime in Asia/Shanghai."""
    return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=TZ)


# --- the story: (when, verb, subject, details) in the order it happens --------------------------------------
# Complaint verbs act on an order by its name; the clerk is the order's street's staff, the firm user the
# handling firm's, the district the district administrator.
STORY = [
    # 2024Q4 rating -> 2024 re-check -> star_5 for 甲 (the rating job computes 2024Q4 on 01-05 at 02:00).
    ("2025-01-08 10:00", "announce", (2024, 4), {}),
    ("2025-01-20 10:00", "publish", (2024, 4), {}),
    ("2025-01-24 10:00", "recheck", "梅花园", {"year": 2024}),
    ("2025-02-08 09:00", "confirm", ("star_5", "梅花园", "2025-01-24"), {}),
    # C1
    ("2025-01-06 09:00", "receive", "C1", {"estate": "梅花园", "source": Source.PHONE, "title": "单元楼道照明损坏"}),
    ("2025-01-06 09:30", "assign", "C1", {}),
    ("2025-01-06 15:00", "sign", "C1", {}),
    ("2025-01-10 10:00", "answer", "C1", {}),
    ("2025-01-13 10:00", "callback", "C1", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-01-13 10:30", "close", "C1", {}),
    # C3 (北庄花园), answer late across 春节
    ("2025-01-20 10:00", "receive", "C3", {"estate": "北庄花园", "source": Source.WALK_IN, "title": "电梯频繁停运"}),
    ("2025-01-20 10:10", "assign", "C3", {}),
    ("2025-01-20 11:00", "sign", "C3", {}),
    ("2025-02-06 10:00", "answer", "C3", {}),
    ("2025-02-07 10:00", "callback", "C3", {"satisfaction": Satisfaction.BASIC}),
    ("2025-02-07 10:30", "close", "C3", {}),
    # C2 (梅花园), signed late on the Monday after a working Sunday, answered after 春节 in time
    ("2025-01-24 16:00", "receive", "C2", {"estate": "梅花园", "source": Source.PHONE, "title": "地下车库积水"}),
    ("2025-01-24 16:30", "assign", "C2", {}),
    ("2025-01-27 09:00", "sign", "C2", {}),
    ("2025-02-10 16:00", "answer", "C2", {}),
    ("2025-02-11 09:00", "callback", "C2", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-02-11 09:30", "close", "C2", {}),
    # C4 (梅花园), urgent, overnight
    ("2025-03-14 22:40", "receive", "C4", {"estate": "梅花园", "source": Source.PHONE, "title": "3 号楼供水管爆裂",
                                           "urgency": Urgency.URGENT}),
    ("2025-03-14 22:50", "assign", "C4", {}),
    ("2025-03-15 07:30", "sign", "C4", {}),
    ("2025-03-18 11:00", "answer", "C4", {}),
    ("2025-03-19 10:00", "callback", "C4", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-03-19 10:30", "close", "C4", {}),
    # C7 (梅花园), returned and closed by the street
    ("2025-04-01 09:00", "receive", "C7", {"estate": "梅花园", "source": Source.COMMUNITY, "title": "小区门前道路积水"}),
    ("2025-04-01 09:10", "assign", "C7", {}),
    ("2025-04-02 10:00", "return", "C7", {"reason": "积水位于小区外市政道路，不属于物业服务范围"}),
    ("2025-04-02 11:00", "close", "C7", {"comment": "已转市政部门处理"}),
    # C10 (锦绣花园, no firm), closed from the street's queue
    ("2025-05-12 10:00", "receive", "C10", {"estate": "锦绣花园", "source": Source.WALK_IN, "title": "楼道堆放杂物"}),
    ("2025-05-12 14:00", "close", "C10", {"comment": "小区无物业服务企业，已由社区组织清理"}),
    # O1: 乙's overdue order, objected and withdrawn
    ("2025-05-23 10:00", "issue", ("O1", "北庄花园"), {"problem": "消防通道被占用"}),
    ("2025-06-03 10:00", "object", ("order_overdue", "北庄花园", "2025-05-31"),
     {"reason": "5 月 30 日已整改完毕，因系统故障未能按时回复，附整改照片"}),
    ("2025-06-03 11:00", "order_answer", "O1", {}),
    ("2025-06-04 10:00", "order_accept", "O1", {}),
    ("2025-06-05 15:00", "uphold", ("order_overdue", "北庄花园", "2025-05-31"), {}),
    # C8 (北庄花园), 12345 order registered and dispatched by the district
    ("2025-06-27 17:30", "receive", "C8", {"estate": "北庄花园", "source": Source.HOTLINE, "title": "夜间施工噪声扰民",
                                           "by": "district_admin", "external_no": "2506270017"}),
    ("2025-06-27 17:40", "dispatch", "C8", {}),
    ("2025-06-30 09:00", "assign", "C8", {}),
    ("2025-07-02 09:00", "sign", "C8", {}),
    ("2025-07-09 10:00", "answer", "C8", {}),
    ("2025-07-10 10:00", "callback", "C8", {"contacted": False}),
    ("2025-07-10 10:30", "close", "C8", {}),
    # C13 (北庄花园), critical, signed late between two runs, a major complaint
    ("2025-08-04 08:30", "receive", "C13", {"estate": "北庄花园", "source": Source.PHONE, "title": "二次供水水质浑浊",
                                            "urgency": Urgency.CRITICAL}),
    ("2025-08-04 08:35", "assign", "C13", {}),
    ("2025-08-04 08:58", "sign", "C13", {}),
    ("2025-08-05 10:00", "major", "C13", {"reason": "二次供水水箱污染，影响全小区居民饮水安全"}),
    ("2025-08-08 16:00", "answer", "C13", {}),
    ("2025-08-11 10:00", "callback", "C13", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-08-11 10:30", "close", "C13", {}),
    ("2025-08-13 09:00", "confirm", ("disqualified", "北庄花园", "2025-08-04"), {}),
    # 国庆: C5, C6, C12 and order O2
    ("2025-09-26 10:00", "issue", ("O2", "梅花园"), {"problem": "垃圾分类投放点破损"}),
    ("2025-09-26 16:00", "receive", "C5", {"estate": "梅花园", "source": Source.PHONE, "title": "绿化带杂草丛生"}),
    ("2025-09-26 16:20", "assign", "C5", {}),
    ("2025-09-28 09:00", "sign", "C5", {}),
    ("2025-10-11 16:00", "answer", "C5", {}),
    ("2025-10-13 10:00", "callback", "C5", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-10-13 10:30", "close", "C5", {}),
    ("2025-09-29 09:00", "receive", "C6", {"estate": "北庄花园", "source": Source.MEDIATION, "title": "单元门禁损坏"}),
    ("2025-09-29 09:30", "assign", "C6", {}),
    ("2025-09-29 14:00", "sign", "C6", {}),
    ("2025-10-10 10:00", "extend", "C6", {"amount": 3, "reason": "门禁主板需厂家寄送"}),
    ("2025-10-11 10:00", "approve", "C6", {}),
    ("2025-10-16 15:00", "answer", "C6", {}),
    ("2025-10-17 10:00", "callback", "C6", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-10-17 10:30", "close", "C6", {}),
    ("2025-10-03 11:00", "receive", "C12", {"estate": "北庄花园", "source": Source.ONLINE, "title": "健身器材松动",
                                            "by": None}),
    ("2025-10-09 09:00", "assign", "C12", {}),
    ("2025-10-09 14:00", "sign", "C12", {}),
    ("2025-10-15 16:00", "answer", "C12", {}),
    ("2025-10-16 10:00", "callback", "C12", {"satisfaction": Satisfaction.SATISFIED}),
    ("2025-10-16 10:30", "close", "C12", {}),
    ("2025-10-09 09:00", "order_answer", "O2", {}),
    ("2025-10-10 10:00", "order_accept", "O2", {}),
    ("2025-10-15 09:00", "confirm", ("order_overdue", "梅花园", "2025-10-04"), {}),
    # C9 (梅花园), answer late through every step
    ("2025-11-03 09:00", "receive", "C9", {"estate": "梅花园", "source": Source.PHONE, "title": "外墙瓷砖脱落"}),
    ("2025-11-03 09:05", "assign", "C9", {}),
    ("2025-11-03 10:00", "sign", "C9", {}),
    ("2025-11-14 10:00", "answer", "C9", {}),
    ("2025-11-17 10:00", "callback", "C9", {"satisfaction": Satisfaction.UNSATISFIED, "solved": False}),
    ("2025-11-17 10:30", "close", "C9", {}),
    # December: order O3 (confirmed in 2026) and C11 across 元旦
    ("2025-12-19 10:00", "issue", ("O3", "梅花园"), {"problem": "地下室照明损坏"}),
    ("2025-12-30 15:00", "receive", "C11", {"estate": "梅花园", "source": Source.PHONE, "title": "暖气不热"}),
    ("2025-12-30 15:10", "assign", "C11", {}),
    ("2025-12-31 09:00", "sign", "C11", {}),
    ("2026-01-06 09:30", "confirm", ("order_overdue", "梅花园", "2025-12-27"), {}),
    ("2026-01-08 10:00", "order_answer", "O3", {}),
    ("2026-01-09 08:00", "answer", "C11", {}),
]

# --- what must come out, by hand ---------------------------------------------------------------------------

# complaint | sign-for due (each assignment) | answer due (from the signing, then each extension) |
# sign late | answer late | status at the walk's end. "-": no such clock.
CLOCKS = """
C1   2025-01-08 00:00  2025-01-14 00:00                     no   no   closed
C2   2025-01-27 00:00  2025-02-11 00:00                     yes  no   closed
C3   2025-01-22 00:00  2025-01-27 00:00                     no   yes  closed
C4   2025-03-14 23:20  2025-03-22 00:00                     yes  no   closed
C5   2025-09-29 00:00  2025-10-12 00:00                     no   no   closed
C6   2025-10-01 00:00  2025-10-14 00:00,2025-10-17 00:00    no   no   closed
C7   2025-04-03 00:00  -                                    no   no   closed
C8   2025-07-02 00:00  2025-07-10 00:00                     yes  no   closed
C9   2025-11-05 00:00  2025-11-11 00:00                     no   yes  closed
C10  -                 -                                    no   no   closed
C11  2026-01-01 00:00  2026-01-09 00:00                     no   yes  answered
C12  2025-10-11 00:00  2025-10-16 00:00                     no   no   closed
C13  2025-08-04 08:50  2025-08-12 00:00                     yes  no   closed
"""
# Why: C1 1 working day after Mon 01-06 = Tue 01-07; answer 01-07, 08, 09, 10, 13. C3 answer 01-21, 22, 23,
# 24, 26 (Sun). C4 22:50 + 30 min; answer from Sat 03-15: 17, 18, 19, 20, 21. C5 sign Sat 09-27 off, Sun
# 09-28 works; answer from 09-28: 29, 30, 10-09, 10, 11. C6 sign 09-30; answer 09-30, 10-09, 10, 11, 13;
# + 3 from 10-13: 14, 15, 16. C7 sign 04-02. C8 sign from Mon 06-30: 07-01; answer from 07-02: 03, 04, 07, 08,
# 09. C9 sign 11-04; answer 04, 05, 06, 07, 10. C11 sign 12-31; answer 01-04, 05, 06, 07, 08. C12 sign from
# Thu 10-09: 10-10; answer 10, 11, 13, 14, 15. C13 08:35 + 15 min; answer 05, 06, 07, 08, 11.

# The escalation notices (complaint.overdue.<level>:<pk>:h<handling>:<clock>:<step>), each sent once, at the run
# that found the step due (hh:05).
ESCALATIONS = """
C2   sign    1  firm      firm_user       2025-01-27 00:05
C3   answer  1  firm      firm_user2      2025-01-27 00:05
C3   answer  2  street    street_staff2   2025-01-28 00:05
C3   answer  3  district  district_admin  2025-02-06 00:05
C3   answer  3  district  district_staff  2025-02-06 00:05
C4   sign    1  firm      firm_user       2025-03-15 00:05
C8   sign    1  firm      firm_user2      2025-07-02 00:05
C9   answer  1  firm      firm_user       2025-11-11 00:05
C9   answer  2  street    street_staff    2025-11-12 00:05
C9   answer  3  district  district_admin  2025-11-13 00:05
C9   answer  3  district  district_staff  2025-11-13 00:05
C11  answer  1  firm      firm_user       2026-01-09 00:05
"""
# The step reached per clock (0: never late while it ran) and the OVERDUE events the job wrote (one per clock
# it found late; C13's sign-for ran late between two runs and was marked by the signing alone).
STEPS = {"C2": (1, 0), "C3": (0, 3), "C4": (1, 0), "C8": (1, 0), "C9": (0, 3), "C11": (0, 1)}
OVERDUE_EVENTS = {("C2", "sign"), ("C3", "answer"), ("C4", "sign"), ("C8", "sign"), ("C9", "answer"),
                  ("C11", "answer")}

# Rates of the orders received in 2025 (all 13), by hand from the table above:
#   山城街道 C1 C2 C4 C5 C7 C9 C10 C11: closed 7 of 8 (not C11) = 87.5 %; signed C1 C2 C4 C5 C9 C11, in time
#     C1 C5 C9 C11 = 4/6 = 66.7 %; closed with the answer in time: all but C9 = 6/7 = 85.7 %.
#   北庄街道 C3 C6 C8 C12 C13: closed 5/5 = 100.0 %; signed in time C3 C6 C12 = 3/5 = 60.0 %; closed in
#     time all but C3 = 4/5 = 80.0 %.
#   firm 甲 = 山城街道 without C10: 6/7 = 85.7 %, 4/6 = 66.7 %, 5/6 = 83.3 %; 乙 = 北庄街道; no firm: C10.
#   All: 12/13 = 92.3 %, 7/11 = 63.6 %, 10/12 = 83.3 %.
# (received, closed, signed, signed in time, closed in time, 处理率, 及时签收率, 按时办结率)
D = Decimal
RATES_BY_STREET = {
    "北庄街道": (5, 5, 5, 3, 4, D("100.0"), D("60.0"), D("80.0")),
    "山城街道": (8, 7, 6, 4, 6, D("87.5"), D("66.7"), D("85.7")),
}
RATES_BY_FIRM = {
    "甲": (7, 6, 6, 4, 5, D("85.7"), D("66.7"), D("83.3")),
    "乙": (5, 5, 5, 3, 4, D("100.0"), D("60.0"), D("80.0")),
    "-": (1, 1, 0, 0, 1, D("100.0"), None, D("100.0")),
}
RATES_ALL = (13, 12, 11, 7, 10, D("92.3"), D("63.6"), D("83.3"))

# firm | rule | points | occurred | objection window ends (00:00 of the day after its last day) |
# status | confirmed on
CREDIT = """
甲  star_5          3  2025-01-24  2025-02-08 00:00  confirmed  2025-02-08
乙  order_overdue  -2  2025-05-31  2025-06-10 00:00  withdrawn  -
乙  disqualified   -5  2025-08-04  2025-08-13 00:00  confirmed  2025-08-13
甲  order_overdue  -2  2025-10-04  2025-10-15 00:00  confirmed  2025-10-15
甲  order_overdue  -2  2025-12-27  2026-01-06 00:00  confirmed  2026-01-06
"""
# firm: (good, bad, records counted, score, level) of 2025.
SCORES_2025 = {"甲": (3, 2, 2, 81, "AA"), "乙": (0, 5, 1, 75, "A")}
HOURLY_DAYS = 111


def parse_table(text: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in text.strip().splitlines()]


def moments(cell: str) -> list[datetime.datetime]:
    return [] if cell == "-" else [t(x) for x in cell.split(",")]


class Walk:
    """The district of the `world` fixture, the orders by name, and the story's verbs."""

    def __init__(self, w):
        self.w = w
        self.u = w.users
        self.estates = {"梅花园": w.estate_a1, "北庄花园": w.estate_b1, "锦绣花园": w.estate_a2}
        self.clerk = {w.shancheng.pk: self.u["street_staff"], w.beizhuang.pk: self.u["street_staff2"]}
        self.firm_user = {w.firm1.pk: self.u["firm_user"], w.firm2.pk: self.u["firm_user2"]}
        self.category = Category.objects.get(code="sanitation")
        self.c: dict[str, Complaint] = {}
        self.orders: dict[str, RectificationOrder] = {}
        self.objections = {}
        fake = Faker("zh_CN")
        fake.seed_instance(2025)
        self.fake = fake

    # --- complaints
    def _street_clerk(self, name):
        return self.clerk[self.c[name].street_id]

    def _firm(self, name):
        c = self.c[name]
        return self.firm_user[c.handled_by.firm_id]

    def receive(self, name, now, *, estate, source, title, urgency=Urgency.NORMAL, by="clerk", external_no=""):
        estate = self.estates[estate]
        actor = self.clerk[estate.community.street_id] if by == "clerk" else (self.u[by] if by else None)
        self.c[name] = complaint_receive(
            actor=actor, street=estate.community.street, estate=estate, source=source, received_at=now,
            category=self.category, title=title, content=f"{title}，请尽快处理。", now=now, urgency=urgency,
            external_no=external_no, complainant_name=self.fake.name(),
            complainant_phone=f"1380000{self.fake.numerify('####')}")

    def dispatch(self, name, now):
        c = self.c[name]
        self.c[name] = complaint_dispatch(actor=self.u["district_admin"], complaint=c, street=c.street, now=now)

    def assign(self, name, now):
        self.c[name] = complaint_assign(actor=self._street_clerk(name), complaint=self.c[name], now=now)

    def sign(self, name, now):
        self.c[name] = complaint_sign(actor=self._firm(name), complaint=self.c[name], now=now)

    def return_(self, name, now, *, reason):
        self.c[name] = complaint_return(actor=self._firm(name), complaint=self.c[name], reason=reason, now=now)

    def extend(self, name, now, *, amount, reason):
        self.c[name] = complaint_extend_request(actor=self._firm(name), complaint=self.c[name], amount=amount,
                                                reason=reason, now=now)

    def approve(self, name, now):
        self.c[name] = complaint_extend_decide(actor=self._street_clerk(name), complaint=self.c[name],
                                               approve=True, comment="同意延期", now=now)

    def answer(self, name, now):
        self.c[name] = complaint_answer(actor=self._firm(name), complaint=self.c[name],
                                        answer="已安排人员现场处理完毕。", now=now)

    def callback(self, name, now, *, satisfaction="", solved=True, contacted=True):
        self.c[name] = complaint_callback(
            actor=self._street_clerk(name), complaint=self.c[name], contacted=contacted,
            solved=solved if contacted else None, satisfaction=satisfaction if contacted else "",
            comment="" if contacted else "电话两次无人接听", now=now)

    def close(self, name, now, *, comment=""):
        self.c[name] = complaint_close(actor=self._street_clerk(name), complaint=self.c[name], now=now,
                                       comment=comment)

    def major(self, name, now, *, reason):
        self.c[name] = complaint_mark_major(actor=self._street_clerk(name), complaint=self.c[name], reason=reason,
                                            now=now)

    # --- rectification orders (time-machine stands at `now` too, for what the services do not stamp)
    def issue(self, subject, now, *, problem):
        name, estate = subject
        estate = self.estates[estate]
        self.orders[name] = order_issue(actor=self.clerk[estate.community.street_id], estate=estate, problem=problem,
                                        now=now)

    def order_answer(self, name, now):
        order = self.orders[name]
        self.orders[name] = order_answer(actor=self.firm_user[order.firm_id], order=order, answer="已整改完毕。",
                                         now=now)

    def order_accept(self, name, now):
        order = self.orders[name]
        self.orders[name] = order_accept(actor=self.clerk[order.estate.community.street_id], order=order,
                                         comment="复查合格", now=now)

    # --- ratings
    def period(self, year, quarter):
        return RatingPeriod.objects.get(district=self.w.shanting, year=year, quarter=quarter)

    def announce(self, yq, now):
        period_announce(actor=self.u["district_admin"], period=self.period(*yq), today=now.date(), now=now)

    def publish(self, yq, now):
        period_publish(actor=self.u["district_admin"], period=self.period(*yq), today=now.date(), now=now)

    def recheck(self, estate, now, *, year):
        recheck_confirm(actor=self.u["district_admin"], estate=self.estates[estate], year=year, note="年度复查",
                        now=now)

    # --- credit
    def record(self, key) -> CreditRecord:
        rule, estate, occurred = key
        return CreditRecord.objects.get(rule_code=rule, estate=self.estates[estate],
                                        occurred_on=datetime.date.fromisoformat(occurred))

    def confirm(self, key, now):
        credit_record_confirm(actor=self.u["district_admin"], record=self.record(key), now=now)

    def object(self, key, now, *, reason):
        record = self.record(key)
        self.objections[key] = credit_objection_submit(actor=self.firm_user[record.firm_id], record=record,
                                                       reason=reason, now=now)

    def uphold(self, key, now):
        credit_objection_decide(actor=self.u["city_admin"], objection=self.objections[key], upheld=True,
                                decision="经核实，企业已在期限内整改，撤销该记录", now=now)

    def act(self, verb, subject, now, details):
        getattr(self, "return_" if verb == "return" else verb)(subject, now, **details)

    # --- before the walk: 梅花园's 2024 application and its 2024Q4 scores
    def rate_2024q4(self):
        w = self.w
        with time_machine.travel(t("2024-11-20 10:00"), tick=False):
            rubric = ensure_default_rubric(district=w.shanting, year=2024, now=timezone.now())
            Application.objects.create(firm=w.firm1, estate=w.estate_a1, year=2024,
                                       status=ApplicationStatus.ACCEPTED, submitted_by=self.u["street_staff"])
            Inspection.objects.create(estate=w.estate_a1, rubric=rubric, date=datetime.date(2024, 11, 20),
                                      inspectors="街道检查组", created_by=self.u["street_staff"],
                                      status=InspectionStatus.SUBMITTED, total=Decimal("90"),
                                      submitted_at=timezone.now())
            for kind in (ComponentKind.OPINION, ComponentKind.SATISFACTION):
                ComponentScore.objects.create(estate=w.estate_a1, year=2024, quarter=4, kind=kind,
                                              score=Decimal("90"), entered_by=self.u["street_staff"])


def at_time(day: datetime.date, hour: int, minute: int) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def test_a_year_of_complaints_and_firm_credit_hour_by_hour(world):
    walk = Walk(world)
    walk.rate_2024q4()
    story = defaultdict(list)
    for when, verb, subject, details in STORY:
        moment = t(when)
        story[moment.date()].append((moment, verb, subject, details))
    receive_days = {t(when).date() for when, verb, *_rest in STORY if verb == "receive"}

    hourly_days, quiet_days, marked = 0, 0, 0
    day = FIRST_DAY
    with time_machine.travel(at_time(day, 0, 0), tick=False) as clock:
        while day <= LAST_DAY:
            # (moment, order among equal moments, what runs)
            items = [(at_time(day, 1, 10), 0, mark_overdue_orders_task),
                     (at_time(day, 2, 0), 0, run_quarterly_ratings_task)]
            if day == datetime.date(2026, 1, 5):
                items.append((at_time(day, 4, 30), 0, run_credit_year_task))
            hourly = Complaint.objects.open().exists() or day in receive_days
            if hourly:
                hourly_days += 1
                items += [(at_time(day, hour, 5), 0, mark_overdue_task) for hour in range(24)]
            else:
                quiet_days += 1
                assert Complaint.objects.open().count() == 0, day
            for moment, verb, subject, details in story.get(day, []):
                items.append((moment, 1, (verb, subject, details)))
            for moment, _order, what in sorted(items, key=lambda item: (item[0], item[1])):
                clock.move_to(moment)
                if callable(what):
                    result = what()
                    if what is mark_overdue_task:
                        marked += result
                else:
                    verb, subject, details = what
                    walk.act(verb, subject, timezone.now(), details)
            if not hourly:
                assert Complaint.objects.open().count() == 0, day
            day += datetime.timedelta(days=1)

    assert (hourly_days, quiet_days) == (HOURLY_DAYS, (LAST_DAY - FIRST_DAY).days + 1 - HOURLY_DAYS)
    names = {c.pk: name for name, c in walk.c.items()}
    complaints = {name: Complaint.objects.get(pk=c.pk) for name, c in walk.c.items()}

    # --- the clocks: due times as each step recorded them, late marks, final status
    def recorded_clocks(c):
        sign = [e.data["sign_due_at"] for e in c.events.filter(action__in=[Action.ASSIGN, Action.REOPEN])]
        answer = [e.data["answer_due_at"] for e in c.events.filter(action=Action.SIGN)]
        answer += [e.data["to_due"] for e in c.events.filter(action=Action.EXTEND_APPROVE)]
        return ([datetime.datetime.fromisoformat(x) for x in sign],
                [datetime.datetime.fromisoformat(x) for x in answer])

    expected, got = {}, {}
    for name, sign, answer, sign_late, answer_late, status in parse_table(CLOCKS):
        expected[name] = (moments(sign), moments(answer), sign_late == "yes", answer_late == "yes", status)
        c = complaints[name]
        got[name] = (*recorded_clocks(c), c.sign_overdue, c.answer_overdue, c.status)
    assert got == expected
    # The running fields agree with the last recorded clock (C7's were cleared by the return).
    for name, (sign, answer, *_rest) in expected.items():
        c = complaints[name]
        if name == "C7":
            assert (c.status, c.sign_due_at, c.answer_due_at, c.signed_at) == (Status.CLOSED, None, None, None)
            assert c.events.filter(action=Action.RETURN).count() == 1
            continue
        assert c.sign_due_at == (sign[-1] if sign else None), name
        assert c.answer_due_at == (answer[-1] if answer else None), name
    assert complaints["C8"].events.filter(action=Action.DISPATCH).count() == 1
    assert complaints["C6"].extended_total == 3
    assert complaints["C13"].major and complaints["C13"].disqualification.quarter == 3

    # --- escalations: who was told of which step, when, exactly once
    pattern = re.compile(r"^complaint\.overdue\.(firm|street|district):(\d+):h(\d+):(sign|answer):(\d)$")
    told = []
    for n in Notification.objects.filter(key__startswith="complaint.overdue.").select_related("user"):
        match = pattern.match(n.key)
        assert match is not None, n.key
        level, pk, handling, clock_name, step = match.groups()
        assert int(handling) == complaints[names[int(pk)]].handled_by_id
        told.append((names[int(pk)], clock_name, step, level, n.user.username,
                     timezone.localtime(n.created_at).strftime("%Y-%m-%d %H:%M")))
    assert sorted(told) == sorted(tuple(row) for row in parse_table(ESCALATIONS))
    assert {name: (c.sign_escalation, c.answer_escalation) for name, c in complaints.items()
            if c.sign_escalation or c.answer_escalation} == STEPS
    overdue = [(names[e["complaint_id"]], e["data"]["clock"])
               for e in ComplaintEvent.objects.filter(action=Action.OVERDUE).values("complaint_id", "data")]
    assert sorted(overdue) == sorted(OVERDUE_EVENTS)  # one event per late clock the job found
    assert marked == len(OVERDUE_EVENTS)

    # --- the rates of 2025 from complaints.selectors (RATES)
    year_2025 = Complaint.objects.filter(received_at__gte=t("2025-01-01 00:00"), received_at__lt=t("2026-01-01 00:00"))

    def figures(row):
        return (row["received"], row["closed"], row["signed"], row["signed_on_time"], row["closed_on_time"],
                row["handling_rate"], row["sign_rate"], row["on_time_rate"])

    assert {r["label"]: figures(r) for r in rates_by(year_2025, "street")} == RATES_BY_STREET
    firm_short = {world.firm1.pk: "甲", world.firm2.pk: "乙", None: "-"}
    assert {firm_short[r["key"]]: figures(r) for r in rates_by(year_2025, "firm")} == RATES_BY_FIRM
    assert figures(rates_for(year_2025)) == RATES_ALL

    # --- credit: every record, then the 2025 score
    by_short = {"甲": world.firm1.pk, "乙": world.firm2.pk}
    short = {v: k for k, v in by_short.items()}
    got_credit = sorted(
        (short[r.firm_id], r.rule_code, r.points, f"{r.occurred_on}",
         timezone.localtime(r.objection_deadline).strftime("%Y-%m-%d %H:%M"), r.status,
         f"{r.confirmed_on}" if r.confirmed_on else "-")
        for r in CreditRecord.objects.all())
    assert got_credit == sorted(
        (firm, rule, int(points), occurred, deadline, status, confirmed)
        for firm, rule, points, occurred, deadline, status, confirmed in parse_table(CREDIT))

    year = CreditYear.objects.get()
    assert (year.year, year.status, timezone.localtime(year.computed_at)) == (
        2025, CreditYearStatus.COMPUTED, t("2026-01-05 04:30"))
    scores = {short[s.firm_id]: (s.good_points, s.bad_points, s.record_count, s.score, s.level)
              for s in CreditScore.objects.filter(credit_year=year)}
    assert scores == SCORES_2025

    # What the credit records rest on: the 2024Q4 result and its re-check, the disqualification of 2025Q3.
    period = walk.period(2024, 4)
    assert (period.status, f"{period.appeal_deadline}") == (PeriodStatus.PUBLISHED, "2025-01-15")
    # The night job computes it from 01-05 (the 5th day after the quarter) every night until it is announced.
    assert [(e.action, timezone.localtime(e.at)) for e in period.events.order_by("at", "pk")] == [
        ("compute", t("2025-01-05 02:00")), ("announce", t("2025-01-08 10:00")), ("publish", t("2025-01-20 10:00"))]
    assert timezone.localtime(period.computed_at) == t("2025-01-08 02:00")
    rating = StarRating.objects.current().get(period=period, estate=world.estate_a1)
    assert (rating.score, rating.tier, rating.firm_id) == (Decimal("90.00"), 5, world.firm1.pk)
    decision = RecheckDecision.objects.get()
    assert (decision.year, decision.mean_score, decision.tier_before, decision.tier_after) == (
        2024, Decimal("90.00"), 5, 5)
    disq = Disqualification.objects.get()
    assert (disq.estate_id, disq.year, disq.quarter, f"{disq.occurred_on}") == (
        world.estate_b1.pk, 2025, 3, "2025-08-04")
