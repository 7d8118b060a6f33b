"""The evaluation dossier (评估台账) as one A4 PDF in Chinese, its CJK font embedded
(``common.pdf``): a cover, a table of contents with page numbers (and PDF bookmarks),
the overview and the KPIs against the year's targets, each activity's record (with its
sign-in list, phones masked, and its photos), each joint meeting with its decisions and
the state of their action items, the consultations and their results, and the budget
statement. A section with nothing recorded says so (暂无记录)."""
import io
from dataclasses import dataclass

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Image, Paragraph, SimpleDocTemplate
from reportlab.platypus.tableofcontents import TableOfContents

from common import pdf, times, vocab

NOTHING = "暂无记录"
ACTION_STATUS = {"open": "未开始", "in_progress": "进行中", "done": "已完成", "cancelled": "已取消"}
PHOTO_TYPES = ("image/jpeg", "image/png", "image/gif")
PHOTO_WIDTH_MM = 75


@dataclass
class Dossier:
    params: dict
    records: dict
    kpis: dict
    summary: dict
    community: object
    project: str
    issued_on: str


def _when(start, end):
    start, end = times.local(times.parse(start)), times.local(times.parse(end))
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}"


def _percent(value):
    return "—" if value is None else f"{pdf.figure(value)}%"


def _groups(codes):
    return "、".join(vocab.TARGET_GROUPS.get(c, c) for c in codes or []) or "—"


class _Template(SimpleDocTemplate):
    """Tells the table of contents where each heading landed and bookmarks it."""

    def afterFlowable(self, flowable):
        if not isinstance(flowable, Paragraph):
            return
        level = {"heading": 0, "subheading": 1}.get(flowable.style.name)
        if level is None:
            return
        text = flowable.getPlainText()
        key = f"h{abs(hash((level, text)))}"
        self.canv.bookmarkPage(key)
        self.canv.addOutlineEntry(text, key, level=level, closed=level > 0)
        self.notify("TOCEntry", (level, text, self.page, key))


class _Writer:
    def __init__(self, dossier, font_file):
        self.d = dossier
        place = dossier.community
        params = dossier.params
        self.scope = f"第{params['year']}年（{params['from']} 至 {params['to']}）"
        if params.get("plan"):
            self.scope += f" · {vocab.PLANS.get(params['plan'], params['plan'])}"
        self.doc = pdf.Document(f"{place.name}“{dossier.project}”评估台账 {self.scope}",
                                footer=f"{place.name} · “{dossier.project}” · 评估台账",
                                author=place.name, font_file=font_file)
        base = dict(fontName=self.doc.font, wordWrap="CJK")
        self.doc.styles["subheading"] = ParagraphStyle(
            "subheading", fontSize=11.5, leading=17, spaceBefore=4 * mm, spaceAfter=1.5 * mm,
            textColor=colors.HexColor("#1F3864"), **base)
        self.toc_styles = [
            ParagraphStyle("toc0", fontSize=11, leading=16, leftIndent=0, **base),
            ParagraphStyle("toc1", fontSize=9, leading=12.5, leftIndent=8 * mm, **base)]

    # -- sections -----------------------------------------------------------------------

    def cover(self):
        doc, d = self.doc, self.d
        doc.space(45)
        doc.text(f"{d.community.district or ''} {d.community.name}".strip(), "subtitle")
        doc.space(8)
        doc.text(f"“{d.project}”项目", "cover")
        doc.text("评估台账", "cover")
        doc.space(25)
        doc.text(f"项目第{d.params['year']}年：{d.params['year_start']} 至 {d.params['year_end']}",
                 "subtitle")
        doc.text(f"台账期间：{d.params['from']} 至 {d.params['to']}", "subtitle")
        if d.params.get("plan"):
            doc.text(f"计划：{vocab.PLANS.get(d.params['plan'], d.params['plan'])}", "subtitle")
        doc.text(f"出具日期：{d.issued_on}", "subtitle")
        doc.space(30)
        doc.text(f"出具单位：{d.community.name}", "subtitle")
        doc.page_break()
        doc.text("目录", "title")
        toc = TableOfContents()
        toc.levelStyles = self.toc_styles
        toc.dotsMinLevel = 0
        doc.story.append(toc)
        doc.page_break()

    def overview(self):
        doc, s, kpis = self.doc, self.d.summary, self.d.kpis
        doc.text("一、台账概况与年度指标", "heading")
        doc.table([["项目", "数量"],
                   ["开展活动（场）", s["events"]],
                   ["其中联席会（场）", s["joint_meetings"]],
                   ["报名确认（人次）", s["registrations"]],
                   ["签到服务（人次）", s["attendance"]],
                   ["志愿服务时长（小时）", s["volunteer_hours"]],
                   ["意见征集（次）", s["consultations"]],
                   ["附件（个）", s["attachments"]]],
                  widths=[0.5, 0.25], numeric=(1,))
        doc.text("以上为本台账所列活动的合计（已结项的活动；签到服务人次含现场参与）。", "note")
        doc.text(f"年度指标完成情况（截至 {kpis['as_of']}）", "subheading")
        rows = [["指标", "目标", "实际", "完成率", "年度时间进度", "状态"]]
        for item in kpis["kpis"]:
            rows.append([f"{item['label']}（{item['unit']}）", item["target"], item["actual"],
                         _percent(item["percent_done"]), _percent(item["percent_year_elapsed"]),
                         item.get("status_label") or item["status"]])
        doc.table(rows, widths=[0.32, 0.12, 0.12, 0.12, 0.16, 0.16], numeric=range(1, 5))
        if kpis.get("sample_targets"):
            doc.text("注：所用指标目标为示例数据，非合同约定值。", "note")

    def activities(self):
        doc = self.doc
        doc.page_break()
        doc.text("二、活动记录", "heading")
        if not self.d.records["activities"]:
            doc.text(NOTHING)
            return
        for n, record in enumerate(self.d.records["activities"], 1):
            self.activity(n, record)

    def _photos(self, attachments):
        photos = [a for a in attachments if a.get("content_type") in PHOTO_TYPES
                  and a.get("content")]
        if not photos:
            self.doc.text("活动照片：暂无")
            return
        self.doc.text(f"活动照片（{len(photos)} 张）：")
        for photo in photos:
            try:
                reader = ImageReader(io.BytesIO(photo["content"]))
                width, height = reader.getSize()
            except Exception:  # noqa: BLE001 - an unreadable picture is named, not drawn
                self.doc.text(f"（无法显示：{photo.get('filename') or photo['sha256'][:12]}）",
                              "note")
                continue
            w = PHOTO_WIDTH_MM * mm
            picture = Image(io.BytesIO(photo["content"]), width=w, height=w * height / width)
            picture.hAlign = "LEFT"
            self.doc.story.append(picture)

    def activity(self, n, record):
        doc, e = self.doc, record["event"]
        c = e.get("counts") or {}
        sign_in = record.get("sign_in")
        doc.text(f"2.{n} {e['title']}", "subheading")
        venue = (sign_in or {}).get("place") or (f"场地 {e['venue_id']} 号" if e.get("venue_id")
                                                  else "—")
        feedback = (f"{c.get('feedback_count', 0)} 份，平均满意度 {pdf.figure(c['satisfaction_mean'])}"
                    if c.get("feedback_count") else "暂无反馈")
        volunteers = e.get("volunteers")
        doc.table([
            ["计划", e.get("plan_label") or e["plan"], "类型", e.get("kind_label") or e["kind"]],
            ["系列", e.get("series_label") or "—", "时间", _when(e["start"], e["end"])],
            ["地点", venue, "服务对象", _groups(e.get("target_groups"))],
            ["报名确认", f"{c.get('confirmed', 0)} 人（候补 {c.get('waitlisted', 0)}）",
             "签到人次", f"{c.get('people_served', 0)}（其中现场参与 {c.get('walk_ins', 0)}）"],
            ["反馈", feedback, "志愿者",
             f"{pdf.figure(volunteers) if volunteers is not None else '—'} 人，"
             f"核定时长 {pdf.figure(record['volunteer_hours'])} 小时"],
            ["费用", f"{record['cost']} 元" if record.get("cost") else NOTHING,
             "附件", f"{len(record['attachments'])} 个"],
        ], widths=[0.12, 0.38, 0.12, 0.38], header_rows=0)
        if sign_in is None:
            doc.text(f"签到名单：{NOTHING}")
        elif not sign_in["rows"]:
            doc.text("签到名单：无人报名或签到")
        else:
            doc.text(f"签到名单（{len(sign_in['rows'])} 人，电话仅显示部分号码）：")
            rows = [["序号", "姓名", "联系电话", "服务对象", "小区", "备注", "签到"]]
            rows += [[i, r["name"], r["phone"] or "—", r["target_group"] or "—",
                      r["compound"] or "—", r["note"] or "", r["attended_at"] or ""]
                     for i, r in enumerate(sign_in["rows"], 1)]
            doc.table(rows, widths=[0.07, 0.15, 0.16, 0.14, 0.18, 0.14, 0.12], numeric=(0,),
                      font_size=8.5)
        self._photos(record["attachments"])

    def meetings(self):
        doc = self.doc
        doc.text("三、联席会及其决议", "heading")
        if not self.d.records["meetings"]:
            doc.text(NOTHING)
            return
        for n, record in enumerate(self.d.records["meetings"], 1):
            e = record["event"]
            doc.text(f"3.{n} {e['title']}", "subheading")
            attendees = "；".join(f"{a.get('organisation', '')}"
                                 f"（{vocab.label('five_society', a.get('category')) or a.get('category', '')}）"
                                 for a in e.get("attendees") or []) or "—"
            doc.text(f"时间：{_when(e['start'], e['end'])}")
            doc.text(f"参会单位：{attendees}；居民 {e.get('residents') or 0} 人")
            decisions = e.get("decisions") or []
            if not decisions:
                doc.text(f"决议：{NOTHING}")
            rows = [["决议", "行动事项", "负责", "期限", "状态"]]
            for decision in decisions:
                items = decision.get("action_items") or []
                if not items:
                    rows.append([decision["summary"], "—", "—", "—", "—"])
                for item in items:
                    state = ACTION_STATUS.get(item["status"], item["status"])
                    if item.get("overdue"):
                        state += "（已逾期）"
                    rows.append([decision["summary"], item["title"], item["owner"],
                                 str(item["due_date"]), state])
            if decisions:
                doc.table(rows, widths=[0.32, 0.26, 0.14, 0.14, 0.14], font_size=8.5)
            self._photos(record["attachments"])

    def consultations(self):
        doc = self.doc
        doc.text("四、意见征集及结果", "heading")
        if not self.d.records["consultations"]:
            doc.text(NOTHING)
            return
        for n, results in enumerate(self.d.records["consultations"], 1):
            c = results["consultation"]
            doc.text(f"4.{n} {c['title']}", "subheading")
            doc.text(f"开放日期：{c['opens_on']} 至 {c['closes_on']}；参与居民 {results['answers']} 人")
            rows = [["题号", "题目", "结果"]]
            for q in results["questions"]:
                if q.get("choices"):
                    outcome = "；".join(f"{ch['option']} {ch['count']}" for ch in q["choices"])
                elif q.get("mean") is not None:
                    outcome = f"平均 {pdf.figure(q['mean'])} 分（{q['answered']} 人评分）"
                else:
                    outcome = f"{len(q.get('texts') or [])} 条文字意见"
                rows.append([q["number"], q["text"], outcome])
            doc.table(rows, widths=[0.08, 0.46, 0.46], numeric=(0,), font_size=8.5)

    def budget(self):
        doc = self.doc
        doc.text("五、经费预算执行情况", "heading")
        statement = self.d.records.get("budget")
        if not statement or not statement.get("lines"):
            doc.text(NOTHING)
            return
        rows = [["预算科目", "预算（元）", "支出（元）", "结余（元）", "执行率"]]
        for line in statement["lines"]:
            rows.append([line.get("label") or line.get("code"), line.get("budget"),
                         line.get("spent"), line.get("remaining"),
                         _percent(line.get("percent_spent"))])
        total = statement.get("total") or {}
        if total:
            rows.append(["合计", total.get("budget"), total.get("spent"), total.get("remaining"),
                         _percent(total.get("percent_spent"))])
        doc.table(rows, widths=[0.32, 0.17, 0.17, 0.17, 0.17], numeric=range(1, 5))

    # -- output -------------------------------------------------------------------------

    def render(self):
        doc = self.doc
        self.cover()
        self.overview()
        self.activities()
        doc.page_break()
        self.meetings()
        self.consultations()
        self.budget()
        buffer = io.BytesIO()
        template = _Template(buffer, pagesize=A4, leftMargin=pdf.MARGIN, rightMargin=pdf.MARGIN,
                             topMargin=pdf.MARGIN, bottomMargin=pdf.MARGIN + 4 * mm,
                             title=doc.title_text, author=doc.author, lang="zh-CN",
                             initialFontName=doc.font)
        template.multiBuild(list(doc.story), onFirstPage=doc._foot, onLaterPages=doc._foot)
        return buffer.getvalue()


def render(dossier, font_file=None):
    """The PDF's bytes; ServiceUnavailable (503) if the font file is missing."""
    return _Writer(dossier, font_file).render()
