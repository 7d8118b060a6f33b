// 指标看板: each KPI's target, actual, % done against % of the year elapsed, status colour
// and its months (GET /reports/summary?group_by=month; without it the board still stands).
import { api, session } from "../api.js";
import { h, clear, badge, errorBox, act } from "../ui.js";
import { STATUS, fmt } from "../i18n.js";
import { trendChart, progressBar } from "../chart.js";

const MEANS = new Set(["mean_satisfaction", "need_mean_satisfaction", "mean_hours_to_match"]);

export async function render(view) {
  const data = await api.get("/reports/kpis");
  let monthly = null;
  let monthlyError = null;
  try {
    const to = data.as_of < data.year_end ? data.as_of : data.year_end;
    monthly = await api.get("/reports/summary", { group_by: "month", from: data.year_start.slice(0, 7),
      to: to.slice(0, 7) });
  } catch (err) {
    monthlyError = err;
  }
  const months = monthly ? monthMap(data.year_start, (data.as_of < data.year_end ? data.as_of : data.year_end)) : [];
  const byMonth = Object.fromEntries((monthly?.groups || []).map((g) => [g.key, g.figures || {}]));
  const cases = await caseFollowUp();
  const elapsed = data.kpis[0]?.percent_year_elapsed ?? 0;
  const counts = { achieved: 0, on_track: 0, at_risk: 0 };
  data.kpis.forEach((k) => { counts[k.status] = (counts[k.status] || 0) + 1; });

  clear(view,
    h("div.page-head",
      h("h1", "指标看板"),
      h("p.muted", `${data.project || "治在融和"} · 第 ${data.project_year ?? 1} 年度（${data.year_start} 至 ${data.year_end}）· 截至 ${data.as_of}`)),
    data.sample_targets ? h("div.alert.warn", "目标值为示例数据（非正式合同），可在配置中替换。") : null,
    await sampleDataNotice(() => render(view)),
    h("div.summary-strip",
      h("div", h("strong", `${elapsed}%`), h("span", "年度时间进度")),
      h("div.achieved", h("strong", counts.achieved), h("span", "已达成")),
      h("div.on_track", h("strong", counts.on_track), h("span", "进度正常")),
      h("div.at_risk", h("strong", counts.at_risk), h("span", "进度落后")),
      cases ? h("div#case-follow-up.at_risk", h("strong", cases.count),
        h("span", `${cases.mine ? "我的" : ""}高风险个案超过 ${cases.days} 天未联系`)) : null),
    monthlyError ? h("p.muted.note", "月度趋势暂不可用（报表服务未提供按月汇总）。") : null,
    h("div.kpi-grid", data.kpis.map((k) => kpiCard(k, months, byMonth, !monthlyError))));
}

// High-risk case files without a visit or call in CASE_HIGH_RISK_CONTACT_DAYS: a count,
// never names (GET /cases/counts; a social worker's own from GET /cases/follow-up).
async function caseFollowUp() {
  try {
    if (session.role === "social_worker") {
      const mine = await api.get("/cases/follow-up");
      const count = mine.workers.reduce((n, w) => n + w.high_risk_without_contact.length, 0);
      return { count, days: mine.high_risk_contact_days, mine: true };
    }
    const counts = await api.get("/cases/counts");
    return { count: counts.high_risk_without_contact, days: counts.high_risk_contact_days, mine: false };
  } catch {
    return null;
  }
}

const CONFIRMATION = "清除示例数据";
const SAMPLE_KINDS = { partners: "合作单位", resources: "资源", matches: "匹配记录" };

// For an admin, while sample (demonstration) records remain: what there is, and the one
// action that clears them all, after typing the confirmation.
async function sampleDataNotice(rerender) {
  if (session.role !== "admin") return null;
  let status;
  try { status = await api.get("/admin/sample-data"); } catch { return null; }
  if (!status.present) return null;
  const totals = {};
  Object.values(status.services).forEach((counts) => Object.entries(counts).forEach(([k, n]) => { totals[k] = (totals[k] || 0) + n; }));
  const listed = Object.entries(totals).filter(([, n]) => n).map(([k, n]) => `${SAMPLE_KINDS[k] || k} ${n}`).join("、");
  const clearAll = async (event) => {
    const typed = prompt(`将删除全部示例数据（${listed}），真实记录和阵地场地保留，删除后无法恢复。\n请输入“${CONFIRMATION}”确认：`);
    if (typed === null) return;
    await act(event.target, () => api.post("/admin/sample-data/clear", { confirm: typed.trim() }), "示例数据已清除");
    rerender();
  };
  return h("div#sample-data.alert.warn",
    `系统中有标【示例】的示例数据（${listed}），不计入任何指标、导出或汇总。`, " ",
    h("button#clear-sample-data.small", { type: "button", on: { click: (e) => clearAll(e).catch(() => {}) } }, CONFIRMATION));
}

function monthMap(start, end) {
  const out = [];
  let [y, m] = start.slice(0, 7).split("-").map(Number);
  const [ey, em] = end.slice(0, 7).split("-").map(Number);
  while (y < ey || (y === ey && m <= em)) {
    out.push(`${y}-${String(m).padStart(2, "0")}`);
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  return out;
}

function kpiCard(k, months, byMonth, haveMonths) {
  const digits = MEANS.has(k.kpi) ? 2 : 1;
  const values = months.map((m) => (byMonth[m] && k.kpi in byMonth[m] ? byMonth[m][k.kpi] : (MEANS.has(k.kpi) ? null : 0)));
  const hasSeries = haveMonths && months.some((m) => byMonth[m] && k.kpi in byMonth[m]);
  return h("article.kpi", { class: k.status, dataset: { kpi: k.kpi } },
    h("header",
      h("h3", k.label),
      badge(STATUS.kpi[k.status] || k.status, k.status)),
    h("p.figures",
      h("span.actual", { dataset: { actual: k.actual ?? "" } }, fmt.number(k.actual, digits)),
      h("span.of", ` / ${fmt.number(k.target, digits)} ${k.unit || ""}`)),
    progressBar(k.percent_done, k.percent_year_elapsed, k.status),
    h("p.pct",
      h("span", `完成 ${k.percent_done === null ? "—" : `${k.percent_done}%`}`),
      h("span.muted", MEANS.has(k.kpi) ? "均值指标" : `时间进度 ${k.percent_year_elapsed}%`)),
    hasSeries ? trendChart({ months, values, target: k.target, mean: MEANS.has(k.kpi), label: k.label })
      : h("p.muted.small", haveMonths ? "本指标暂无月度数据" : ""));
}
