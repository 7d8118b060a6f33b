// 活动 by month and as a filtered list, beside the week view (events.js): last month's
// events one click away. The same filters (plan, series, status, target group) follow the
// user from one view to another.
import { api, vocabularies } from "../api.js";
import { h, clear, badge, pager, table } from "../ui.js";
import { STATUS, labelOf, fmt, todayLocal } from "../i18n.js";

export const FILTERS = ["status", "plan", "series", "target_group"];
const WEEKDAYS = ["一", "二", "三", "四", "五", "六", "日"];
const statusBadge = (s) => badge(STATUS.event[s] || s, `ev-${s}`);

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}
const mondayOf = (day) => addDays(day, -((new Date(`${day}T00:00:00Z`).getUTCDay() + 6) % 7));

/** "2026-11" moved by n months. */
export function addMonths(month, n) {
  const [y, m] = month.split("-").map(Number);
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return d.toISOString().slice(0, 7);
}
const lastDayOf = (month) => addDays(`${addMonths(month, 1)}-01`, -1);

const filtersOf = (params) => Object.fromEntries(FILTERS.map((k) => [k, params.get(k) || ""]));

function href(path, values) {
  const q = new URLSearchParams(values);
  [...q.keys()].forEach((k) => { if (!q.get(k)) q.delete(k); });
  return `#${path}${q.toString() ? `?${q}` : ""}`;
}

/** 周 / 月 / 列表: links keeping the filters. */
export function viewTabs(current, params) {
  const keep = filtersOf(params);
  return h("nav.tabs.view-tabs", { "aria-label": "活动视图" },
    [["week", "/events", "周视图"], ["month", "/events/month", "月视图"], ["list", "/events/list", "列表"]]
      .map(([key, path, label]) => h("a.button", { href: href(path, keep), class: key === current ? "active" : "",
        "aria-current": key === current ? "page" : undefined, dataset: { view: key } }, label)));
}

/** The plan / series / status / target-group selects; onChange(name, value). */
export function filterBar(vocab, values, onChange) {
  const sel = (name, label, options) => h("select", { "aria-label": label, name,
    on: { change: (e) => onChange(name, e.target.value) } },
  h("option", { value: "" }, `全部${label}`),
  Object.entries(options).map(([c, l]) => h("option", { value: c, selected: values[name] === c }, l)));
  return h("div.filters.event-filters",
    sel("status", "状态", STATUS.event), sel("plan", "计划", vocab.plans),
    sel("series", "服务菜单", vocab.series), sel("target_group", "服务对象", vocab.target_groups));
}

/** Every event between two days (a month holds a few dozen: pages of 100 until done). */
async function eventsBetween(from, to, filters) {
  const items = [];
  for (let page = 1; page <= 10; page += 1) {
    const data = await api.get("/events", { ...filters, from, to, page, per_page: 100 });
    items.push(...data.items);
    if (page * 100 >= data.total) break;
  }
  return items;
}

// -- month ---------------------------------------------------------------------------------
export async function month(view, { params, go }) {
  const vocab = await vocabularies();
  const filters = filtersOf(params);
  const current = /^\d{4}-\d{2}$/.test(params.get("month") || "") ? params.get("month") : todayLocal().slice(0, 7);
  const first = `${current}-01`;
  const last = lastDayOf(current);
  const gridStart = mondayOf(first);
  const gridEnd = addDays(mondayOf(last), 6);
  const nav = (changes) => go(href("/events/month", { month: current, ...filters, ...changes }).slice(1));
  const events = await eventsBetween(gridStart, gridEnd, filters);
  const byDay = {};
  for (const ev of events) (byDay[fmt.date(ev.start)] ||= []).push(ev);
  const today = todayLocal();
  const days = [];
  for (let d = gridStart; d <= gridEnd; d = addDays(d, 1)) days.push(d);
  const [y, m] = current.split("-").map(Number);
  const inMonth = events.filter((ev) => fmt.date(ev.start).startsWith(current)).length;

  clear(view,
    h("div.page-head", h("h1", "活动"), h("a.button.primary", { href: "#/events/new" }, "＋ 新建活动")),
    viewTabs("month", params),
    h("div.week-nav.month-nav",
      h("button#prev-month", { type: "button", on: { click: () => nav({ month: addMonths(current, -1) }) } }, "‹ 上月"),
      h("strong", `${y}年${m}月 · ${inMonth} 场活动`),
      h("button#next-month", { type: "button", on: { click: () => nav({ month: addMonths(current, 1) }) } }, "下月 ›"),
      h("button.link", { type: "button", on: { click: () => nav({ month: "" }) } }, "本月")),
    filterBar(vocab, filters, (name, value) => nav({ [name]: value })),
    h("div.month-grid", { role: "list", "aria-label": `${y}年${m}月` },
      WEEKDAYS.map((w) => h("div.month-head", { "aria-hidden": "true" }, `周${w}`)),
      days.map((day) => {
        const mine = byDay[day] || [];
        const classes = [day.startsWith(current) ? "" : "other-month", day === today ? "today" : "",
          mine.length ? "" : "empty"].filter(Boolean).join(" ");
        return h("section.mday", { role: "listitem", class: classes, dataset: { day } },
          h("h3", h("span.mday-num", String(Number(day.slice(8)))), h("span.mday-full", ` ${fmt.day(`${day}T04:00:00Z`)}`)),
          mine.length ? h("ul.events", mine.map((ev) => h("li", { class: `ev-${ev.status}`, dataset: { event: ev.id } },
            h("a", { href: `#/events/${ev.id}` },
              h("span.time", fmt.time(ev.start)), h("span.title", ev.title)),
            ev.status !== "published" ? h("span.meta", STATUS.event[ev.status] || ev.status) : null))) : null);
      })),
    events.length ? null : h("p.empty", "本月没有符合条件的活动"));
}

// -- list ----------------------------------------------------------------------------------
export async function listing(view, { params, go }) {
  const vocab = await vocabularies();
  const filters = filtersOf(params);
  const thisMonth = todayLocal().slice(0, 7);
  const from = params.get("from") || `${addMonths(thisMonth, -1)}-01`;
  const to = params.get("to") || lastDayOf(thisMonth);
  const page = Number(params.get("page") || 1);
  const state = { from, to, ...filters };
  const nav = (changes) => go(href("/events/list", { ...state, ...changes }).slice(1));
  const data = await api.get("/events", { ...filters, from, to, page, per_page: 20 });
  let venues = {};
  try {
    venues = Object.fromEntries((await api.get("/venues", { status: "all" })).items.map((v) => [v.id, v.name]));
  } catch { /* the room's name is a nicety */ }

  const range = h("form.filters.range", { on: { submit: (e) => {
    e.preventDefault();
    nav({ from: e.target.elements.from.value, to: e.target.elements.to.value, page: "" });
  } } },
  h("label.inline-field", "从 ", h("input", { type: "date", name: "from", value: from, "aria-label": "开始日期" })),
  h("label.inline-field", "至 ", h("input", { type: "date", name: "to", value: to, "aria-label": "结束日期" })),
  h("button", { type: "submit" }, "查询"),
  h("button#last-month", { type: "button", on: { click: () => nav({ from: `${addMonths(thisMonth, -1)}-01`, to: lastDayOf(addMonths(thisMonth, -1)), page: "" }) } }, "上月"),
  h("button", { type: "button", on: { click: () => nav({ from: `${thisMonth}-01`, to: lastDayOf(thisMonth), page: "" }) } }, "本月"));

  clear(view,
    h("div.page-head", h("h1", "活动"), h("a.button.primary", { href: "#/events/new" }, "＋ 新建活动")),
    viewTabs("list", params),
    range,
    filterBar(vocab, filters, (name, value) => nav({ [name]: value, page: "" })),
    table([
      { label: "时间", render: (ev) => `${fmt.datetime(ev.start)}–${fmt.time(ev.end)}` },
      { label: "活动", render: (ev) => h("a", { href: `#/events/${ev.id}` }, ev.title) },
      { label: "状态", render: (ev) => statusBadge(ev.status) },
      { label: "计划", render: (ev) => vocab.plans[ev.plan] || labelOf("plans", ev.plan) },
      { label: "服务菜单", render: (ev) => (ev.series ? (ev.series_label || labelOf("series", ev.series)) : "—") },
      { label: "服务对象", render: (ev) => (ev.target_groups || []).map((t) => vocab.target_groups[t] || t).join("、") },
      { label: "场地", render: (ev) => (ev.venue_id ? venues[ev.venue_id] || "站内场地" : "—") },
    ], data.items, { empty: "该期间没有符合条件的活动", rowAttrs: (ev) => ({ dataset: { event: ev.id } }) }),
    pager(data, (p) => nav({ page: String(p) })));
}
