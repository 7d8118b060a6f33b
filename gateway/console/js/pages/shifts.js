// 班次: shifts by day (for an event or on their own), opening one, its sign-ups and waitlist,
// signing a volunteer up and cancelling; and the 签到/签退 kiosk, a tablet at the door: pick
// the shift, tap a volunteer (or type the last four digits of the phone) to check in and out.
// Checking out records the hours entry, pending approval in 工时审核.
import { api, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast } from "../ui.js";
import { STATUS, skillNames, fmt, localToIso, todayLocal, isoToLocal, errorText, reason } from "../i18n.js";

function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const when = (s) => `${fmt.datetime(s.start)}–${fmt.time(s.end)}`;
const placesText = (s) => `${s.confirmed ?? 0} / ${s.places || "不限"}${s.waitlisted ? ` · 候补 ${s.waitlisted}` : ""}`;

/** Each volunteer of the sign-ups, read once (name and masked phone: 138****1234). */
async function volunteersOf(signups) {
  const byId = {};
  await Promise.all([...new Set(signups.map((s) => s.volunteer_id))].map(async (vid) => {
    byId[vid] = await api.get(`/volunteers/${vid}`).catch(() => null);
  }));
  return byId;
}

async function allSignups(shiftId) {
  const items = [];
  for (let page = 1; page <= 10; page += 1) {
    const data = await api.get("/signups", { shift_id: shiftId, page, per_page: 100 });
    items.push(...data.items);
    if (page * 100 >= data.total) break;
  }
  return items;
}

// -- list and create ------------------------------------------------------------------------
export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const from = params.get("from") || todayLocal();
  const to = params.get("to") || addDays(from, 13);
  const page = Number(params.get("page") || 1);
  const nav = (changes) => go(`/shifts?${new URLSearchParams({ from, to, page, ...changes })}`);
  const [data, upcoming] = await Promise.all([
    api.get("/shifts", { from, to, status: "open", page, per_page: 30 }),
    api.get("/events", { from: todayLocal(), to: addDays(todayLocal(), 60), per_page: 100 }),
  ]);
  const events = Object.fromEntries(upcoming.items.filter((e) => ["draft", "published"].includes(e.status))
    .map((e) => [String(e.id), `${fmt.date(e.start)} ${e.title}`]));
  const eventTitles = Object.fromEntries(upcoming.items.map((e) => [e.id, e.title]));
  const start = `${todayLocal()}T09:00`;
  const create = form({
    id: "shift-form",
    fields: [
      { name: "name", label: "班次名称", required: true, placeholder: "如：周六助餐点服务" },
      { name: "places", label: "人数", type: "number", required: true, min: 0, value: 4, hint: "0 表示不限" },
      { name: "start", label: "开始时间", type: "datetime", required: true, value: start },
      { name: "end", label: "结束时间", type: "datetime", required: true, value: `${todayLocal()}T12:00` },
      { name: "event_id", label: "所属活动", type: "select", options: events, placeholder: "不属于活动（独立班次）" },
      { name: "location", label: "地点", placeholder: "如：党群服务站一楼" },
      { name: "skills", label: "所需技能（可不选）", type: "checks", options: vocab.skills, wide: true },
    ],
    submit: "开设班次",
    onSubmit: async (values) => {
      const body = { ...values, start: localToIso(values.start), end: localToIso(values.end) };
      if (body.event_id) body.event_id = Number(body.event_id);
      const shift = await api.post("/shifts", body);
      toast("班次已开设");
      go(`/shifts/${shift.id}`);
    },
  });
  clear(view,
    h("div.page-head", h("h1", "班次"),
      h("a.button.primary", { href: "#/kiosk" }, "签到/签退平板"),
      h("p.muted", `${from} 至 ${to} 的班次`)),
    h("div.filters",
      h("label", "从 ", h("input", { type: "date", value: from, "aria-label": "开始日期", on: { change: (e) => nav({ from: e.target.value, page: 1 }) } })),
      h("label", "到 ", h("input", { type: "date", value: to, "aria-label": "结束日期", on: { change: (e) => nav({ to: e.target.value, page: 1 }) } }))),
    table([
      { label: "班次", render: (s) => h("a", { href: `#/shifts/${s.id}` }, s.name) },
      { label: "时间", render: when },
      { label: "活动", render: (s) => (s.event_id ? h("a", { href: `#/events/${s.event_id}` }, eventTitles[s.event_id] || `活动 #${s.event_id}`) : "独立班次") },
      { label: "地点", render: (s) => s.location || "—" },
      { label: "已报名 / 名额", render: placesText },
      { label: "技能", render: (s) => skillNames(s.skills) || "不限" },
    ], data.items, { empty: "这段时间没有班次", rowAttrs: (s) => ({ dataset: { shift: s.id } }) }),
    pager(data, (p) => nav({ page: p })),
    section("开设班次", create));
}

// -- one shift: sign-ups and waitlist -------------------------------------------------------
export async function detail(view, { args, go }) {
  const id = Number(args[0]);
  const reload = () => detail(view, { args, go });
  const [shift, signups, active] = await Promise.all([
    api.get(`/shifts/${id}`), allSignups(id), api.get("/volunteers", { per_page: 100 }), vocabularies()]);
  const people = await volunteersOf(signups);
  const name = (s) => (people[s.volunteer_id] ? `${people[s.volunteer_id].name}（${people[s.volunteer_id].number}）` : `#${s.volunteer_id}`);
  const taken = new Set(signups.filter((s) => s.status !== "cancelled").map((s) => s.volunteer_id));
  const optionsOf = (items) => items.filter((v) => !taken.has(v.id) && v.status === "active")
    .map((v) => h("option", { value: v.id }, `${v.name}（${v.number} · ${v.phone}）`));
  const signUp = form({
    id: "signup-form",
    className: "inline",
    fields: [{ name: "volunteer_id", label: "志愿者", type: "select", options: {}, required: true, placeholder: "选择志愿者" }],
    submit: "报名",
    onSubmit: async (values) => {
      // None chosen: the API's "required" lands beside the field.
      const s = await api.post(`/shifts/${id}/signups`, values.volunteer_id ? { volunteer_id: Number(values.volunteer_id) } : {});
      toast(s.status === "waitlisted" ? `名额已满，已列入候补第 ${s.waitlist_position ?? ""} 位` : "已报名");
      reload();
    },
  });
  // More volunteers than one page: the search narrows the list (name, phone or number).
  const select = signUp.querySelector('[name="volunteer_id"]');
  const fill = (items) => {
    const chosen = select.value; // kept when the new list still has them
    select.replaceChildren(h("option", { value: "" }, "选择志愿者"), ...optionsOf(items));
    select.value = [...select.options].some((o) => o.value === chosen) ? chosen : "";
  };
  fill(active.items);
  let lookup = 0;
  const search = h("input", { type: "search", placeholder: "按姓名、电话或编号查找", "aria-label": "查找志愿者" });
  search.addEventListener("input", async () => {
    const mine = ++lookup;
    const q = search.value.trim();
    const found = await api.get("/volunteers", { q, per_page: 100 }).catch(() => null);
    if (found && mine === lookup) fill(found.items);
  });
  signUp.querySelector('.field[data-field="volunteer_id"] label').after(search);
  const cancel = (s) => h("button.small.danger", { type: "button", on: { click: (e) => {
    if (!confirm(`取消 ${name(s)} 的报名？${s.status === "confirmed" ? "候补第一位将自动转正。" : ""}`)) return;
    act(e.target, () => api.del(`/signups/${s.id}`), "已取消报名").then(reload);
  } } }, "取消报名");
  const columns = [
    { label: "志愿者", render: (s) => h("a", { href: `#/volunteers/${s.volunteer_id}` }, name(s)) },
    { label: "电话", render: (s) => people[s.volunteer_id]?.phone || "—" },
    { label: "状态", render: (s) => [badge(STATUS.signup[s.status] || s.status, `reg-${s.status}`), s.waitlist_position ? ` 第 ${s.waitlist_position} 位` : ""] },
    { label: "签到/签退", render: (s) => `${s.checked_in_at ? fmt.time(s.checked_in_at) : "—"} / ${s.checked_out_at ? fmt.time(s.checked_out_at) : "—"}` },
    { label: "", render: (s) => (s.status !== "cancelled" && !s.checked_in_at && shift.status === "open" ? cancel(s) : "") },
  ];
  const rowAttrs = (s) => ({ dataset: { signup: s.id, volunteer: s.volunteer_id } });
  const of = (status) => signups.filter((s) => s.status === status);
  clear(view,
    h("div.page-head", h("h1", shift.name, " ", shift.status === "open" ? "" : badge("已取消", "at_risk")),
      h("a", { href: "#/shifts" }, "返回班次")),
    h("section.card",
      h("dl.facts",
        h("dt", "时间"), h("dd", when(shift)),
        h("dt", "活动"), h("dd", shift.event_id ? h("a", { href: `#/events/${shift.event_id}` }, `活动 #${shift.event_id}`) : "独立班次"),
        h("dt", "地点"), h("dd", shift.location || "—"),
        h("dt", "技能"), h("dd", skillNames(shift.skills) || "不限"),
        h("dt", "名额"), h("dd", placesText(shift))),
      h("div.actions-bar", h("a.button.primary", { href: `#/kiosk?shift=${id}` }, "签到/签退平板"))),
    section(`已确认（${of("confirmed").length}）`, table(columns, of("confirmed"), { empty: "还没有人报名", rowAttrs }),
      shift.status === "open" ? h("div.add", signUp) : null),
    section(`候补（${of("waitlisted").length}）`, table(columns, of("waitlisted"), { empty: "没有候补", rowAttrs })),
    of("cancelled").length ? section(`已取消（${of("cancelled").length}）`, table(columns, of("cancelled"), { rowAttrs })) : null);
}

// -- the kiosk: a tablet at the door --------------------------------------------------------
export async function kiosk(view, { params }) {
  const chosen = params.get("shift");
  if (!chosen) {
    const today = todayLocal();
    const data = await api.get("/shifts", { from: today, to: today, status: "open", per_page: 100 });
    clear(view,
      h("div.page-head", h("h1", "签到/签退"), h("a", { href: "#/shifts" }, "返回班次")),
      h("p.muted", `今天（${today}）的班次：请选择`),
      data.items.length ? h("ul.kiosk-shifts", data.items.map((s) => h("li",
        h("a.kiosk-shift", { href: `#/kiosk?shift=${s.id}`, dataset: { shift: s.id } },
          h("strong", s.name), h("span", `${fmt.time(s.start)}–${fmt.time(s.end)}`),
          h("small", `${s.location || ""} 已报名 ${s.confirmed ?? 0} 人`)))))
        : h("p.empty", "今天没有班次"));
    return;
  }
  const id = Number(chosen);
  const [shift, signups] = await Promise.all([api.get(`/shifts/${id}`), allSignups(id)]);
  const people = await volunteersOf(signups);
  const rows = signups.filter((s) => s.status === "confirmed");
  const digits = h("input#kiosk-digits", { type: "text", inputmode: "numeric", maxlength: 4, pattern: "[0-9]*",
    autocomplete: "off", placeholder: "手机尾号后四位", "aria-label": "手机尾号后四位" });
  const counter = h("p.counter", { role: "status" });
  const listEl = h("ul.kiosk-list");
  const tail = (s) => (people[s.volunteer_id]?.phone || "").slice(-4);
  const updateCounter = () => {
    const inside = rows.filter((s) => s.checked_in_at && !s.checked_out_at).length;
    const out = rows.filter((s) => s.checked_out_at).length;
    counter.textContent = `应到 ${rows.length} 人 · 在岗 ${inside} 人 · 已签退 ${out} 人`;
  };
  const tap = async (s, button) => {
    const action = s.checked_in_at ? "check-out" : "check-in";
    const who = people[s.volunteer_id]?.name || `#${s.volunteer_id}`;
    button.disabled = true;
    try {
      const updated = await (action === "check-in" ? api.post(`/signups/${s.id}/check-in`, {})
        : api.post(`/signups/${s.id}/check-out`, {}));
      Object.assign(s, updated);
      toast(action === "check-in" ? `${who} 签到成功` : `${who} 签退成功，服务 ${fmt.hours(updated.hours_entry?.minutes ?? 0)}，待审核`);
      digits.value = "";
    } catch (err) {
      // At the door the reason itself helps (too early, already checked in), not "check the form".
      toast(`${who}：${err.code === "VALIDATION_FAILED" ? reason(err.message) : errorText(err)}`, "error");
      button.disabled = false;
      return;
    }
    updateCounter();
    render();
  };
  const render = () => {
    const q = digits.value.replace(/\D/g, "");
    const shown = rows.filter((s) => !q || tail(s).startsWith(q)); // typed digit by digit
    clear(listEl, shown.map((s) => {
      const v = people[s.volunteer_id];
      const state = s.checked_out_at ? "out" : s.checked_in_at ? "in" : "due";
      const label = { due: "签到", in: "签退", out: "已签退 ✓" }[state];
      const button = h("button.kiosk-tap", { type: "button", class: state, disabled: state === "out",
        dataset: { signup: s.id, state }, "aria-label": `${v?.name || ""} ${label}` },
      h("strong", v?.name || `志愿者 #${s.volunteer_id}`),
      h("span", `尾号 ${tail(s) || "—"}`),
      h("em", label),
      s.checked_in_at ? h("small", `${fmt.time(s.checked_in_at)} 签到${s.checked_out_at ? ` · ${fmt.time(s.checked_out_at)} 签退` : ""}`) : null);
      button.addEventListener("click", () => tap(s, button));
      return h("li", button);
    }));
    if (!shown.length) listEl.append(h("li.empty", q ? "没有尾号相符的志愿者" : "这个班次还没有已确认的志愿者"));
  };
  digits.addEventListener("input", render);
  updateCounter();
  render();
  const now = new Date().toISOString();
  clear(view,
    h("div.page-head", h("h1", "签到/签退"),
      h("span.links", h("a", { href: "#/kiosk" }, "换班次"), " · ", h("a", { href: `#/shifts/${id}` }, "班次详情"))),
    h("p.checkin-title", h("strong", shift.name), h("br"), `${when(shift)} ${shift.location || ""}`),
    isoToLocal(shift.end) < isoToLocal(now) ? h("div.alert.warn", "班次已结束：仍未签退的将由系统按班次结束时间签退并标记") : null,
    counter,
    h("div.kiosk-search", digits),
    listEl);
  digits.focus();
}
