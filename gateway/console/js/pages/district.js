// 区级汇总: on a district instance, one row per community (its name, its main KPIs against
// its own targets, % done, its status, when it last reported) and the district's total;
// each community's full board one click away (GET /district/communities[/{id}]).
import { api } from "../api.js";
import { h, clear, badge, table } from "../ui.js";
import { STATUS, fmt } from "../i18n.js";

// The columns of the overview, in this order, when the summaries carry them; the rest of
// the KPIs are on each community's page.
const HEADLINE = ["activities_held", "people_served", "volunteer_hours_approved",
  "joint_meetings_held", "needs_matched", "mean_satisfaction"];
const MEANS = new Set(["mean_satisfaction", "need_mean_satisfaction", "mean_hours_to_match"]);

const digits = (kpi) => (MEANS.has(kpi) ? 2 : 1);
const pct = (k) => (k.percent_done === null || k.percent_done === undefined ? "—" : `${k.percent_done}%`);

function figure(k) {
  if (!k) return "—";
  return h("span.figure", { class: k.status, dataset: { kpi: k.kpi } },
    h("strong", fmt.number(k.actual, digits(k.kpi))),
    h("span.muted", ` / ${fmt.number(k.target, digits(k.kpi))}`),
    h("span.pct", pct(k)));
}

const SHORT = { achieved: "达成", on_track: "正常", at_risk: "落后", no_data: "无数据" };

/** The row's status, and how many of its KPIs are in each status ("达成 2 · 落后 1"). */
function statusCell(r) {
  const counts = r.status_counts || {};
  return h("span.status-cell", badge(STATUS.kpi[r.status] || r.status, r.status),
    h("small.muted.counts", Object.keys(SHORT).filter((s) => counts[s])
      .map((s) => `${SHORT[s]} ${counts[s]}`).join(" · ")));
}

export async function list(view) {
  const data = await api.get("/district/communities");
  const total = Object.fromEntries(data.total.kpis.map((k) => [k.kpi, k]));
  const headline = HEADLINE.filter((name) => name in total);
  const rows = data.communities.map((c) => ({ ...c, byKpi: Object.fromEntries(c.kpis.map((k) => [k.kpi, k])) }));
  const totalCounts = {};
  data.total.kpis.forEach((k) => { totalCounts[k.status] = (totalCounts[k.status] || 0) + 1; });
  rows.push({ isTotal: true, name: "全区合计", byKpi: total, status_counts: totalCounts,
    status: ["at_risk", "on_track", "achieved"].find((s) => totalCounts[s]) || "no_data" });
  const columns = [
    { label: "社区", class: "nowrap", render: (r) => (r.isTotal ? h("strong", r.name)
      : h("a", { href: `#/district/${encodeURIComponent(r.community_id)}` }, r.name)) },
    ...headline.map((name) => ({ label: `${total[name].label}（${total[name].unit || ""}）`,
      class: "num", render: (r) => figure(r.byKpi[name]) })),
    { label: "状态（各指标）", render: statusCell },
    { label: "最近上报", render: (r) => (r.isTotal ? "" : fmt.datetime(r.last_reported_at)) },
    { label: "详情", class: "nowrap", render: (r) => (r.isTotal ? "" : h("a.detail-link", { href: `#/district/${encodeURIComponent(r.community_id)}` }, "查看详情")) },
  ];
  clear(view,
    h("div.page-head",
      h("h1", "区级汇总"),
      h("p.muted", `${data.total.project || ""} 第 ${data.total.project_year ?? 1} 年度 · ${data.community_count} 个社区 · 截至 ${data.as_of}`
        + (data.total.kpis[0]?.percent_year_elapsed !== null && data.total.kpis[0] ? ` · 年度时间进度 ${data.total.kpis[0].percent_year_elapsed}%` : ""))),
    data.total.sample_targets ? h("div.alert.warn", "目标值含示例数据（非正式合同）。") : null,
    data.community_count ? null
      : h("p.empty", "尚未收到任何社区的汇总。各社区按设定的间隔上报（SUMMARY_INTERVAL_SECONDS），也可由社区管理员在本社区立即上报。"),
    h("p.muted.note", "每格为“完成 / 目标”及完成率；均值指标（满意度）以目标值本身衡量。"),
    h("div.table-scroll", table(columns, rows, {
      rowAttrs: (r) => ({ class: r.isTotal ? "total-row" : "", dataset: { community: r.community_id || "total" } }),
    })));
}

export async function detail(view, { args }) {
  const id = decodeURIComponent(args[0]);
  const c = await api.get(`/district/communities/${encodeURIComponent(id)}`);
  clear(view,
    h("div.page-head",
      h("h1", `${c.name} · 指标详情`),
      h("p.muted", `${c.project || ""} 第 ${c.project_year ?? 1} 年度（${c.year_start || "—"} 至 ${c.year_end || "—"}）· 最近上报 ${fmt.datetime(c.last_reported_at)}`),
      h("a", { href: "#/district" }, "‹ 返回区级汇总")),
    h("div.summary-strip",
      ["achieved", "on_track", "at_risk", "no_data"].map((s) => h("div", { class: s },
        h("strong", c.status_counts[s] || 0), h("span", STATUS.kpi[s])))),
    table([
      { label: "指标", render: (k) => k.label },
      { label: "目标", class: "num", render: (k) => `${fmt.number(k.target, digits(k.kpi))} ${k.unit || ""}` },
      { label: "完成", class: "num", render: (k) => h("span", { dataset: { kpi: k.kpi } }, fmt.number(k.actual, digits(k.kpi))) },
      { label: "完成率", class: "num", render: pct },
      { label: "状态", render: (k) => badge(STATUS.kpi[k.status] || k.status, k.status) },
    ], c.kpis, { empty: "该社区的汇总中没有指标" }));
}
