// 预算与支出: the project year's lines as the ledger stands (GET /budget/lines: budget,
// spent, remaining), the statement's burn against the year elapsed and costs (GET
// /budget), and for staff the expenditures of the year with the form that
// records one (POST /expenditures: 409 names the line and what is left; an admin may
// give a reason to spend past it); a mistyped or refunded one is voided (作废) with a
// reason (POST /expenditures/{id}/void) and stays listed, marked.
import { api, session, vocabularies } from "../api.js";
import { h, clear, form, table, pager, section, badge, toast, act } from "../ui.js";
import { fmt, todayLocal } from "../i18n.js";

const PACE = { ahead: "快于时间进度", on_pace: "与时间进度相当", behind: "慢于时间进度" };
const yuan = (text) => (text === null || text === undefined ? "—" : `${text} 元`);
const percent = (value) => (value === null || value === undefined ? "—" : `${value}%`);

export async function render(view, { params, go }) {
  const vocab = await vocabularies();
  const staff = ["admin", "social_worker"].includes(session.role);
  const asked = params.get("year");
  const page = Number(params.get("page") || 1);
  const statement = await api.get("/budget", asked ? { year: asked } : {});
  const year = statement.project_year;
  // The lines as the ledger stands now (events); the burn and costs from the statement
  // (reports, which follows the facts a moment later).
  const ledger = await api.get("/budget/lines", { year });
  const years = (await api.get("/reports/years")).years;
  const picker = form({
    id: "budget-year-form",
    className: "inline",
    fields: [{ name: "year", label: "项目年度", type: "select", required: true, value: String(year),
      options: Object.fromEntries(years.map((y) => [String(y.project_year),
        `第${y.project_year}年（${y.year_start} 起）`])) }],
    submit: "查看",
    onSubmit: async (v) => go(`/budget?year=${v.year}`),
  });
  const lines = table([
    { label: "预算科目", render: (l) => l.label },
    { label: "预算", render: (l) => yuan(l.budget) },
    { label: "已支出", render: (l) => yuan(l.spent) },
    { label: "剩余", render: (l) => (l.remaining.startsWith("-") ? badge(`超支 ${l.remaining.slice(1)} 元`, "at_risk") : yuan(l.remaining)) },
    { label: "执行率", render: (l) => percent(l.percent_spent) },
  ], [...ledger.lines, ledger.total], { rowAttrs: (l) => ({ dataset: { line: l.budget_line } }) });
  const burn = statement.burn;
  const summary = h("dl.facts",
    h("dt", "年度时间进度"), h("dd", percent(burn.percent_year_elapsed)),
    h("dt", "预算执行率"), h("dd", `${percent(burn.percent_spent)}${burn.pace ? `（${PACE[burn.pace]}）` : ""}`),
    h("dt", "每场活动成本"), h("dd", yuan(statement.cost_per_activity)),
    h("dt", "每服务人次成本"), h("dd", yuan(statement.cost_per_person_served)),
    h("dt", "管理员批准的超支"), h("dd", `${statement.overrides} 笔`));
  const parts = [
    h("div.page-head", h("h1", "预算与支出"),
      h("p.muted", `项目第${year}年 ${statement.year_start} 至 ${statement.year_end}，截至 ${statement.as_of}`
        + (statement.sample_budget ? "；预算为示例数据，非合同约定值" : ""))),
    h("section.card", picker),
    section("预算执行情况", lines, summary),
  ];
  if (staff) {
    const codes = Object.fromEntries(ledger.lines.map((l) => [l.budget_line, l.label]));
    const fields = [
      { name: "spent_on", label: "支出日期", type: "date", required: true, value: todayLocal() },
      { name: "amount", label: "金额（元）", required: true, placeholder: "1234.50", attrs: { inputmode: "decimal" } },
      { name: "budget_line", label: "预算科目", type: "select", required: true, options: codes },
      { name: "plan", label: "所属计划", type: "select", required: true, options: vocab.plans },
      { name: "payee", label: "收款方", required: true },
      { name: "event_id", label: "活动编号（可选）", type: "number", min: 1 },
      { name: "note", label: "说明", type: "textarea", wide: true },
    ];
    if (session.role === "admin") {
      fields.push({ name: "override_reason", label: "超支原因（仅在超出预算科目时填写）", wide: true });
    }
    const record = form({
      id: "expenditure-form",
      fields,
      submit: "登记支出",
      onSubmit: async (values) => {
        let done;
        try {
          done = await api.post("/expenditures", values);
        } catch (err) {
          // 409: the API's message names the line and what is left of it; its details are
          // the figures (for a program), not reasons to show beside the fields.
          if (err.code === "CONFLICT") err.details = {};
          throw err;
        }
        (done.warnings || []).forEach((w) => toast(w.message, "error"));
        toast(`已登记 ${done.amount} 元`);
        go(`/budget?year=${done.project_year}`);
      },
    });
    const spent = await api.get("/expenditures", { year, page, per_page: 20 });
    parts.push(section("登记支出", record));
    parts.push(section("本年度支出",
      table([
        { label: "日期", render: (e) => fmt.date(e.spent_on) },
        { label: "金额", render: (e) => yuan(e.amount) },
        { label: "预算科目", render: (e) => e.budget_line_label },
        { label: "计划", render: (e) => vocab.plans[e.plan] || e.plan },
        { label: "收款方", render: (e) => e.payee },
        { label: "说明", render: (e) => [e.note || "", e.over_budget ? badge(`超支：${e.override_reason}`, "at_risk") : null,
          e.voided_at ? badge(`已作废：${e.void_reason}（${e.voided_by}）`, "muted") : null] },
        { label: "登记人", render: (e) => e.recorded_by },
        { label: "操作", render: (e) => (e.voided_at ? "" : h("button", {
          type: "button", "aria-label": `作废 ${e.amount} 元的支出`,
          on: { click: (ev) => {
            const reason = prompt("作废原因（必填，至少 2 个字；如金额录错、已退款）");
            if (reason === null) return;
            act(ev.target, () => api.post(`/expenditures/${e.id}/void`, { reason }),
              "已作废，金额已退回预算科目")
              .then(() => go(`/budget?year=${year}&page=${page}`), () => {});
          } } }, "作废")) },
      ], spent.items, { empty: "本年度尚无支出", rowAttrs: (e) => ({ dataset: { expenditure: e.id } }) }),
      pager(spent, (p) => go(`/budget?year=${year}&page=${p}`))));
  }
  clear(view, ...parts);
}
