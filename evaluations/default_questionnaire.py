"""The short questionnaire a district's first campaign starts with (the portal's choice: the work plan names
the mechanism, not the questions). A district changes it in the browser while its campaign is a draft; each
later campaign starts from the previous campaign's questions."""
from django.utils.translation import gettext_lazy as _

from .models import Direction, QuestionKind

S, Y = QuestionKind.SCALE, QuestionKind.YESNO

DEFAULT_QUESTIONS = {
    # 街道/社区评价物业企业
    Direction.OF_FIRM: [
        (_("履行物业服务合同约定事项"), S),
        (_("环境卫生和绿化养护"), S),
        (_("共用设施设备维修养护"), S),
        (_("配合街道、社区开展工作"), S),
        (_("投诉和整改通知办理及时"), S),
        (_("按规定公示收费标准和收支情况"), Y),
    ],
    # 物业企业/业主委员会评价街道/社区
    Direction.OF_OFFICE: [
        (_("对物业管理工作的指导和监督"), S),
        (_("协调解决矛盾纠纷及时"), S),
        (_("办事效率和服务态度"), S),
        (_("政策宣传和信息公开"), S),
        (_("建立了定期沟通（联席会议）机制"), Y),
    ],
}
