"""Sample data for Hetong (和通社区): the station's rooms, and a handful of partners and
resources. Loaded once on a first start unless SAMPLE_DATA=false (common.sample).

The rooms follow the project's description of the ~2,000 m² station: a children's wing
of five rooms and two halls (五室两厅) and an elders' wing of three rooms and one hall
(三室一厅). They are the station's real rooms, not sample data: names, capacities,
equipment and hours are a plausible starting point, to be edited by the community
(PATCH /venues/{id}), and clearing sample data keeps them. Partners and resources are
**examples**: their names start with 【示例】, they carry ``sample: true`` (so they count
in no figure, export or summary), they have no contact person or phone, and an admin
clears them (POST /admin/sample-data/clear). Their compounds are codes of Hetong's
list; a community whose list lacks one loads the partner without it.
"""
from common import vocab
from common.pii import Pii
from services.resources import domain

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
WEEKEND = ("sat", "sun")

# Children's wing: after school on weekdays, all day at weekends; closed Monday mornings.
CHILDREN_HOURS = {
    **{day: [["14:30", "21:00"]] for day in WEEKDAYS},
    **{day: [["08:30", "12:00"], ["14:00", "21:00"]] for day in WEEKEND},
}
# Elders' wing: mornings and afternoons every day, with a lunch break.
ELDERS_HOURS = {day: [["08:00", "11:30"], ["14:00", "17:30"]]
                for day in WEEKDAYS + WEEKEND}
# Halls host evening meetings and festivals as well.
HALL_HOURS = {day: [["08:30", "12:00"], ["14:00", "21:30"]] for day in WEEKDAYS + WEEKEND}

VENUES = [
    # children's wing: five rooms, two halls (五室两厅)
    dict(code="C-R1", name="绘本阅读室", wing="children", kind="room", capacity=20,
         equipment=["绘本书架", "儿童桌椅", "阅读软垫", "投影仪"], opening_hours=CHILDREN_HOURS),
    dict(code="C-R2", name="四点半课堂", wing="children", kind="room", capacity=30,
         equipment=["课桌椅", "白板", "护眼台灯", "打印机"], opening_hours=CHILDREN_HOURS),
    dict(code="C-R3", name="儿童手工坊", wing="children", kind="room", capacity=20,
         equipment=["手工桌", "材料柜", "洗手池"], opening_hours=CHILDREN_HOURS),
    dict(code="C-R4", name="心理沙盘室", wing="children", kind="room", capacity=8,
         equipment=["沙盘", "沙具柜", "软垫", "隔音门"], opening_hours=CHILDREN_HOURS),
    dict(code="C-R5", name="儿童议事室", wing="children", kind="room", capacity=16,
         equipment=["圆桌", "白板", "电视屏"], opening_hours=CHILDREN_HOURS),
    dict(code="C-H1", name="儿童活动厅", wing="children", kind="hall", capacity=60,
         equipment=["音响", "投影仪", "软地垫", "游戏器材"], opening_hours=HALL_HOURS),
    dict(code="C-H2", name="亲子多功能厅", wing="children", kind="hall", capacity=80,
         equipment=["舞台", "音响", "LED屏", "折叠桌椅"], opening_hours=HALL_HOURS),
    # elders' wing: three rooms, one hall (三室一厅)
    dict(code="E-R1", name="长者阅览室", wing="elders", kind="room", capacity=20,
         equipment=["报刊架", "老花镜", "茶水台"], opening_hours=ELDERS_HOURS),
    dict(code="E-R2", name="康复理疗室", wing="elders", kind="room", capacity=10,
         equipment=["理疗床", "血压计", "康复器材", "急救箱"], opening_hours=ELDERS_HOURS),
    dict(code="E-R3", name="书画室", wing="elders", kind="room", capacity=16,
         equipment=["书画桌", "笔墨纸砚", "展示墙"], opening_hours=ELDERS_HOURS),
    dict(code="E-H1", name="长者活动厅", wing="elders", kind="hall", capacity=60,
         equipment=["音响", "投影仪", "无线话筒", "圆桌"], opening_hours=HALL_HOURS,
         description="也用于联席会、议事会"),
]

PARTNERS = [
    dict(key="school", name="【示例】和通社区周边小学", kind="school",
         five_society="social_resource",
         compounds=["fulong_huayuan", "binhai_senlin", "gangwu_xiaoqu"],
         description="示例：学生志愿服务、课后辅导合作"),
    dict(key="swo", name="【示例】湖里区社会工作服务中心", kind="social_org",
         five_society="social_worker", compounds=[],
         description="示例：项目承接社工机构，个案与小组服务"),
    dict(key="clinic", name="【示例】社区卫生服务站", kind="government",
         five_society="social_resource", compounds=["fulong_huayuan", "jinhai_huayuan"],
         description="示例：义诊、健康讲座、慢病随访"),
    dict(key="merchant", name="【示例】社区爱心超市", kind="merchant",
         five_society="social_resource", compounds=["xinfeng_jiayuan", "youshan_meidi"],
         description="示例：爱心物资、助餐折扣"),
    dict(key="law", name="【示例】律师事务所", kind="enterprise",
         five_society="social_resource", compounds=[],
         description="示例：每月一次法律咨询"),
    dict(key="owners", name="【示例】福隆花园业主自治小组", kind="resident_group",
         five_society="self_governance", compounds=["fulong_huayuan"],
         description="示例：楼栋互助、邻里守望"),
]

RESOURCES = [
    dict(partner="school", type="service", title="【示例】四点半课堂课业辅导",
         target_groups=["children"], need_categories=["tutoring"], quantity=40, unit="人次",
         value_yuan=4000, availability_note="工作日 16:30-18:00"),
    dict(partner="swo", type="service", title="【示例】独居长者上门照料探访",
         target_groups=["elderly"], need_categories=["care", "psychological"], quantity=30,
         unit="次", value_yuan=6000, availability_note="每周二、四上午"),
    dict(partner="clinic", type="service", title="【示例】长者健康义诊",
         target_groups=["elderly", "all_residents"], need_categories=["health"], quantity=12,
         unit="场", value_yuan=3600, availability_note="每月第一个周六"),
    dict(partner="merchant", type="material", title="【示例】爱心物资包（米、油、日用品）",
         target_groups=["in_difficulty", "families", "elderly"], need_categories=["material"],
         quantity=50, unit="份", value_yuan=5000),
    dict(partner="law", type="skill", title="【示例】公益法律咨询",
         target_groups=["all_residents"], need_categories=["legal"], quantity=12, unit="次",
         value_yuan=2400, availability_note="每月第三个周三下午"),
    dict(partner="swo", type="skill", title="【示例】儿童心理沙盘辅导",
         target_groups=["children", "youth"], need_categories=["psychological"], quantity=20,
         unit="次", value_yuan=3000),
    dict(partner="owners", type="team", title="【示例】楼栋邻里守望队",
         target_groups=["elderly", "disabled", "all_residents"],
         need_categories=["safety", "care"], quantity=None, unit=None, value_yuan=0,
         availability_note="长期"),
    dict(partner=None, type="venue", title="【示例】社区党群服务中心阵地（五室两厅、三室一厅）",
         target_groups=["all_residents"], need_categories=["culture"], quantity=None,
         value_yuan=0, description="场地请在“场地预约”中按房间预约"),
]


def load_sample_data(uow, config):
    crypto = Pii.from_config(config)
    for venue in VENUES:
        domain.register_venue(uow, dict(venue))
    partner_ids = {}
    for spec in PARTNERS:
        spec = dict(spec)
        key = spec.pop("key")
        known = vocab.codes("compounds")
        spec["compounds"] = [code for code in spec["compounds"] if code in known]
        partner_ids[key] = domain.register_partner(uow, crypto, spec, sample=True)["id"]
    for spec in RESOURCES:
        spec = dict(spec)
        partner = spec.pop("partner")
        spec["partner_id"] = partner_ids[partner] if partner else None
        domain.register_resource(uow, spec, sample=True)
