// 报表: choose a month, quarter or year; view it; download it as XLSX, PDF (A4, to print and
// file) or CSV.
import { api, download } from "../api.js";
import { h, clear, form, table, act, section } from "../ui.js";
import { fmt, todayLocal } from "../i18n.js";
import { dossierSection } from "./dossier.js";

function periodFrom(kind, year, month, quarter) {
  if (kind === "month") return `${year}-${String(month).padStart(2, "0")}`;
  if (kind === "quarter") return `${year}-Q${quarter}`;
  return String(year);
}

export async function render(view, { params, go }) {
  const today = todayLocal();
  const kind = params.get("kind") || "month";
  const year = Number(params.get("year") || today.slice(0, 4));
  const month = Number(params.get("month") || today.slice(5, 7));
  const quarter = Number(params.get("quarter") || Math.ceil(Number(today.slice(5, 7)) / 3));
  const period = periodFrom(kind, year, month, quarter);
  const years = {};
  for (let y = Number(today.slice(0, 4)) + 1; y >= 2024; y -= 1) years[y] = `${y} 年`;
  const months = Object.fromEntries([...Array(12)].map((_, i) => [i + 1, `${i + 1} 月`]));
  const quarters = { 1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度" };
  const picker = form({
    id: "period-form",
    className: "inline",
    fields: [
      { name: "kind", label: "报表类型", type: "select", required: true, options: { month: "月报", quarter: "季报", year: "年报" }, value: kind,
        onChange: (e) => toggle(e.target.value) },
      { name: "year", label: "年份", type: "select", required: true, options: years, value: String(year) },
      { name: "month", label: "月份", type: "select", required: true, options: months, value: String(month) },
      { name: "quarter", label: "季度", type: "select", required: true, options: quarters, value: String(quarter) },
    ],
    submit: "查看",
    onSubmit: async (v) => go(`/reports?${new URLSearchParams(v)}`),
  });
  function toggle(k) {
    picker.querySelector('[data-field="month"]').hidden = k !== "month";
    picker.querySelector('[data-field="quarter"]').hidden = k !== "quarter";
  }
  toggle(kind);
  const body = h("div", h("p.muted.loading", "加载中…"));
  clear(view, h("div.page-head", h("h1", "报表")), h("section.card", picker), body, dossierSection());
  let report;
  try {
    report = await api.get("/reports/periodic", { period, format: "json" });
  } catch (err) {
    clear(body, h("div.alert.error", "报表暂不可用：", String(err.message || err)));
    return;
  }
  const label = kind === "month" ? `${year} 年 ${month} 月` : kind === "quarter" ? `${year} 年${quarters[quarter]}` : `${year} 年度`;
  const metrics = (report.metrics || []).filter((m) => report.summary?.[m.name] !== undefined);
  const nonzero = metrics.filter((m) => report.summary[m.name]);
  const showAll = params.get("all") === "1";
  const rows = showAll ? metrics : (nonzero.length ? nonzero : metrics.slice(0, 12));
  const planMetrics = (report.plan_metrics || []).map((n) => report.metrics.find((m) => m.name === n) || { name: n, label: n, unit: "" });
  const digitsFor = (m) => (m.unit === "分" || m.unit === "小时" || m.unit === "元" ? 2 : 0);
  clear(body,
    section(`${label}工作报表`,
      h("p.muted", `统计期间 ${report.from} 至 ${report.to}`),
      h("div.actions-bar",
        h("button.primary", { type: "button", id: "download-xlsx", on: { click: (e) => act(e.target,
          () => download("/reports/periodic", { period, format: "xlsx" }, `report-${period}.xlsx`), "XLSX 已下载") } }, "下载 XLSX"),
        h("button", { type: "button", id: "download-pdf", on: { click: (e) => act(e.target,
          () => download("/reports/periodic", { period, format: "pdf" }, `report-${period}.pdf`), "PDF 已下载") } }, "下载 PDF"),
        h("button", { type: "button", on: { click: (e) => act(e.target,
          () => download("/reports/periodic", { period, format: "csv" }, `report-${period}.csv`), "CSV 已下载") } }, "下载 CSV")),
      table([
        { label: "指标", render: (m) => m.label },
        { label: "数值", class: "num", render: (m) => fmt.number(report.summary[m.name], digitsFor(m)) },
        { label: "单位", render: (m) => m.unit },
      ], rows, { empty: "本期暂无数据" }),
      metrics.length > rows.length || showAll ? h("p", h("a", { href: `#/reports?${new URLSearchParams({ kind, year, month, quarter, all: showAll ? "0" : "1" })}` },
        showAll ? "只看有数据的指标" : `显示全部 ${metrics.length} 项指标`)) : null),
    section("分计划统计",
      // Wider than a phone: scrolls sideways, so it takes the keyboard's focus too.
      h("div.scroll", { tabindex: "0", role: "region", "aria-label": "分计划统计表" }, h("table.grid",
        h("thead", h("tr", h("th", "指标"), Object.keys(report.plans || {}).map((p) => h("th", report.plan_labels?.[p] || p)))),
        h("tbody", planMetrics.map((m) => h("tr", h("th", m.label),
          Object.values(report.plans || {}).map((vals) => h("td.num", fmt.number(vals[m.name], digitsFor(m)))))))))));
}
