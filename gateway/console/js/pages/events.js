// 活动: the week's events, creating one with a free room, registrations and waitlist,
// check-in at the door (phone-sized), completing it, feedback; joint meetings' decisions.
import { api, download, vocabularies, ApiError } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast, showErrors, fieldRow, readForm, clearErrors } from "../ui.js";
import { STATUS, compoundName, labelOf, skillNames, fmt, localToIso, todayLocal, errorText } from "../i18n.js";
import { viewTabs } from "./event-views.js";
import { attachmentsSection } from "./attachments.js";

let venueCache = null;
async function venues() {
  if (!venueCache) {
    const data = await api.get("/venues", { status: "all" });
    venueCache = Object.fromEntries((data.items || data).map((v) => [v.id, v]));
  }
  return venueCache;
}

function mondayOf(dateStr) {
  const d = new Date(`${dateStr}T00:00:00Z`);
  const dow = (d.getUTCDay() + 6) % 7;
  d.setUTCDate(d.getUTCDate() - dow);
  return d.toISOString().slice(0, 10);
}
function addDays(dateStr, n) {
  const d = new Date(`${dateStr}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

const statusBadge = (s) => badge(STATUS.event[s] || s, `ev-${s}`);

// -- list by week --------------------------------------------------------------------------
export async function list(view, { params, go }) {
  const vocab = await vocabularies();
  const week = mondayOf(params.get("week") || todayLocal());
  const page = Number(params.get("page") || 1);
  const status = params.get("status") || "";
  const plan = params.get("plan") || "";
  const series = params.get("series") || "";
  const targetGroup = params.get("target_group") || "";
  const to = addDays(week, 6);
  const nav = (changes) => {
    const q = new URLSearchParams({ week, status, plan, series, target_group: targetGroup, ...changes });
    [...q.keys()].forEach((k) => { if (!q.get(k)) q.delete(k); });
    go(`/events?${q}`);
  };
  const data = await api.get("/events", { from: week, to, status, plan, series, target_group: targetGroup, page, per_page: 50 });
  const vmap = await venues().catch(() => ({}));
  const byDay = {};
  for (const ev of data.items) {
    const day = fmt.date(ev.start);
    (byDay[day] ||= []).push(ev);
  }
  const days = [...Array(7)].map((_, i) => addDays(week, i));
  const filters = h("div.filters",
    h("select", { "aria-label": "状态", on: { change: (e) => nav({ status: e.target.value, page: "" }) } },
      h("option", { value: "" }, "全部状态"),
      Object.entries(STATUS.event).map(([c, l]) => h("option", { value: c, selected: c === status }, l))),
    h("select", { "aria-label": "计划", on: { change: (e) => nav({ plan: e.target.value, page: "" }) } },
      h("option", { value: "" }, "全部计划"),
      Object.entries(vocab.plans).map(([c, l]) => h("option", { value: c, selected: c === plan }, l))),
    h("select", { "aria-label": "服务菜单", on: { change: (e) => nav({ series: e.target.value, page: "" }) } },
      h("option", { value: "" }, "全部服务菜单"),
      Object.entries(vocab.series).map(([c, l]) => h("option", { value: c, selected: c === series }, l))),
    h("select", { "aria-label": "服务对象", on: { change: (e) => nav({ target_group: e.target.value, page: "" }) } },
      h("option", { value: "" }, "全部服务对象"),
      Object.entries(vocab.target_groups).map(([c, l]) => h("option", { value: c, selected: c === targetGroup }, l))));
  clear(view,
    h("div.page-head",
      h("h1", "活动"),
      h("a.button.primary", { href: "#/events/new" }, "＋ 新建活动")),
    viewTabs("week", params),
    h("div.week-nav",
      h("button", { type: "button", on: { click: () => nav({ week: addDays(week, -7), page: "" }) } }, "‹ 上周"),
      h("strong", `${week} 至 ${to}`),
      h("button", { type: "button", on: { click: () => nav({ week: addDays(week, 7), page: "" }) } }, "下周 ›"),
      h("button.link", { type: "button", on: { click: () => nav({ week: mondayOf(todayLocal()), page: "" }) } }, "本周")),
    filters,
    h("div.week", days.map((day) => h("section.day", { class: day === todayLocal() ? "today" : "" },
      h("h3", fmt.day(`${day}T04:00:00Z`)),
      (byDay[day] || []).length ? h("ul.events", byDay[day].map((ev) => h("li",
        h("a", { href: `#/events/${ev.id}` },
          h("span.time", `${fmt.time(ev.start)}–${fmt.time(ev.end)}`),
          h("span.title", ev.title)),
        h("span.meta", statusBadge(ev.status), " ", vocab.event_kinds[ev.kind] || ev.kind,
          ev.series ? ` · ${labelOf("series", ev.series)}` : "",
          ev.venue_id && vmap[ev.venue_id] ? ` · ${vmap[ev.venue_id].name}` : ""))))
        : h("p.muted.small", "无活动")))),
    pager(data, (p) => nav({ page: String(p) })));
}

// -- create ------------------------------------------------------------------------------
export async function create(view, { go, params }) {
  const vocab = await vocabularies();
  const day = params.get("date") || addDays(todayLocal(), 1);
  const roomField = h("div");
  const roomNote = h("small.hint", "先选择开始和结束时间，再选择空闲场地");
  const fields = [
    { name: "title", label: "活动名称", required: true, wide: true },
    { name: "plan", label: "所属计划", type: "select", options: vocab.plans, required: true },
    { name: "kind", label: "活动类型", type: "select", options: vocab.event_kinds, required: true },
    { name: "series", label: "服务菜单", type: "select", options: vocab.series, placeholder: "不属于服务菜单" },
    { name: "target_groups", label: "服务对象", type: "checks", options: vocab.target_groups, required: true, wide: true },
    { name: "start", label: "开始时间", type: "datetime", required: true, value: `${day}T09:30`, onChange: () => findRooms() },
    { name: "end", label: "结束时间", type: "datetime", required: true, value: `${day}T11:00`, onChange: () => findRooms() },
    { name: "capacity", label: "名额（0 为不限）", type: "number", min: 0, value: 20 },
    { name: "compounds", label: "面向小区", type: "checks", options: vocab.compounds, wide: true },
    { name: "description", label: "活动说明", type: "textarea", wide: true },
  ];
  const venueSpec = { name: "venue_id", label: "场地（空闲）", type: "select", options: {}, placeholder: "不使用站内场地" };
  const publish = h("label.check", h("input", { type: "checkbox", name: "publish_now", checked: true }), "保存后立即发布（开放报名）");
  const f = form({
    id: "event-form",
    fields,
    submit: "保存活动",
    extra: h("div.extra", roomField, publish),
    onSubmit: async (values) => {
      const body = { ...values, start: localToIso(values.start), end: localToIso(values.end) };
      const venue = f.querySelector('[name="venue_id"]')?.value;
      if (venue) body.venue_id = Number(venue);
      if (!body.compounds?.length) delete body.compounds;
      let event;
      try {
        event = await api.post("/events", body);
      } catch (err) {
        if (err instanceof ApiError && err.code === "CONFLICT") {
          err.details = { venue_id: ["该场地此时段已被预约，请换一个空闲场地"] };
          findRooms();
        }
        throw err;
      }
      if (f.querySelector('[name="publish_now"]').checked) {
        event = await api.post(`/events/${event.id}/publish`);
        toast("活动已创建并发布");
      } else {
        toast("活动已保存为草稿");
      }
      go(`/events/${event.id}`);
    },
  });
  let lookup = 0;
  async function findRooms() {
    const start = f.querySelector('[name="start"]').value;
    const end = f.querySelector('[name="end"]').value;
    const mine = ++lookup;
    if (!start || !end) { clear(roomField, roomNote); return; }
    try {
      const data = await api.get("/venues", { free_from: localToIso(start), free_to: localToIso(end) });
      if (mine !== lookup) return; // a later lookup (the times changed again) wins
      const options = {};
      for (const v of data.items || []) options[v.id] = `${v.name}（${v.wing_label || ""}，${v.capacity} 人）`;
      const current = f.querySelector('[name="venue_id"]')?.value; // kept if still free
      const row = fieldRow({ ...venueSpec, options, value: options[current] ? current : "" });
      clear(roomField, row, h("small.hint", Object.keys(options).length
        ? `此时段有 ${Object.keys(options).length} 个空闲场地` : "此时段没有空闲场地"));
    } catch (err) {
      if (mine !== lookup) return;
      clear(roomField, fieldRow({ ...venueSpec, options: {} }));
      clearErrors(f);
      showErrors(f, err, { free_from: "start", free_to: "end" });
    }
  }
  clear(view, h("div.page-head", h("h1", "新建活动"), h("a", { href: "#/events" }, "返回活动列表")),
    h("section.card", f));
  findRooms();
}

// -- detail --------------------------------------------------------------------------------
export async function detail(view, { args, params, go }) {
  const id = Number(args[0]);
  const vocab = await vocabularies();
  const [ev, vmap] = await Promise.all([api.get(`/events/${id}`), venues().catch(() => ({}))]);
  const c = ev.counts || {};
  const reload = () => detail(view, { args, params, go });
  const actions = h("div.actions-bar");
  if (ev.status === "draft") {
    actions.append(h("button.primary", { type: "button", id: "publish", on: { click: (e) => act(e.target, () => api.post(`/events/${id}/publish`), "活动已发布").then(reload) } }, "发布活动"));
  }
  if (ev.status === "published") {
    actions.append(h("a.button.primary", { href: `#/events/${id}/checkin` }, "现场签到"));
    actions.append(h("button", { type: "button", id: "complete", on: { click: (e) => {
      if (!confirm("确认活动已结束？结束后将统计服务人次。")) return;
      act(e.target, () => api.post(`/events/${id}/complete`, {}), "活动已结束，已计入指标").then(reload);
    } } }, "结束活动"));
  }
  if (ev.status === "draft" || ev.status === "published") {
    actions.append(h("button.danger", { type: "button", on: { click: (e) => {
      const reason = prompt("取消原因（可不填）");
      if (reason === null) return;
      act(e.target, () => api.post(`/events/${id}/cancel`, reason ? { reason } : {}), "活动已取消，场地已释放").then(reload);
    } } }, "取消活动"));
  }
  if (ev.status !== "cancelled") {
    // 签到表: printed before the event, archived after it (who came, and when).
    for (const format of ["pdf", "xlsx"]) {
      actions.append(h("button", { type: "button", id: `sign-in-sheet-${format}`, on: { click: (e) => act(e.target,
        () => download(`/events/${id}/sign-in-sheet`, { format }, `sign-in-sheet-${id}.${format}`), "签到表已下载") } },
      `签到表（${format.toUpperCase()}）`));
    }
  }
  if (ev.status === "draft" || ev.status === "published") {
    // The A4 poster for the door: the event page's QR code and the door check-in code.
    actions.append(h("button", { type: "button", id: "door-poster", on: { click: (e) => act(e.target,
      () => download(`/events/${id}/poster`, {}, `poster-${id}.pdf`), "海报已下载") } },
    "二维码海报（PDF）"));
  }
  const venue = ev.venue_id ? (vmap[ev.venue_id]?.name || `场地 #${ev.venue_id}`) : "不使用站内场地";
  clear(view,
    h("div.page-head", h("h1", ev.title, " ", statusBadge(ev.status)), h("a", { href: "#/events" }, "返回活动列表")),
    h("section.card",
      h("dl.facts",
        h("dt", "时间"), h("dd", `${fmt.datetime(ev.start)} – ${fmt.time(ev.end)}`),
        h("dt", "场地"), h("dd", venue),
        h("dt", "计划 / 类型"), h("dd", `${vocab.plans[ev.plan] || ev.plan} · ${vocab.event_kinds[ev.kind] || ev.kind}`),
        ev.series ? [h("dt", "服务菜单"), h("dd", ev.series_label || labelOf("series", ev.series))] : null,
        h("dt", "服务对象"), h("dd", (ev.target_groups || []).map((t) => vocab.target_groups[t] || t).join("、")),
        ev.compounds?.length ? [h("dt", "小区"), h("dd", ev.compounds.map(compoundName).join("、"))] : null,
        h("dt", "名额"), h("dd", ev.capacity ? `${ev.capacity}（剩余 ${ev.places_left ?? "—"}）` : "不限"),
        ev.description ? [h("dt", "说明"), h("dd", ev.description)] : null),
      h("div.stats",
        stat("已确认", c.confirmed), stat("候补", c.waitlisted), stat("签到", c.attended),
        stat("现场参与", c.walk_ins), stat("服务人次", c.people_served),
        stat("评价数", c.feedback_count), stat("平均满意度", c.satisfaction_mean === null || c.satisfaction_mean === undefined ? "—" : Number(c.satisfaction_mean).toFixed(2))),
      actions),
    await registrationsSection(ev, params, go, vocab, reload),
    rolesSection(ev, vocab, reload),
    ev.status === "completed" ? feedbackSection(ev, reload) : null,
    ev.kind === "joint_meeting" ? decisionsSection(ev, reload) : null,
    attachmentsSection(ev.kind === "joint_meeting" ? "meeting" : "event", id));
}

const stat = (label, value) => h("div.stat", h("strong", value ?? 0), h("span", label));

async function registrationsSection(ev, params, go, vocab, reload) {
  const status = params.get("reg") || "";
  const page = Number(params.get("rpage") || 1);
  const data = await api.get(`/events/${ev.id}/registrations`, { status, page, per_page: 20 });
  const nav = (changes) => {
    const q = new URLSearchParams({ reg: status, rpage: String(page), ...changes });
    [...q.keys()].forEach((k) => { if (!q.get(k) || q.get(k) === "1" && k === "rpage") q.delete(k); });
    go(`/events/${ev.id}${q.toString() ? `?${q}` : ""}`);
  };
  const tabs = h("div.tabs", [["", "全部"], ["confirmed", "已确认"], ["waitlisted", "候补"], ["cancelled", "已取消"]]
    .map(([code, label]) => h("button", { type: "button", class: code === status ? "active" : "", on: { click: () => nav({ reg: code, rpage: "1" }) } }, label)));
  const rows = table([
    { label: "报名号", render: (r) => `#${r.id}` },
    { label: "姓名", render: (r) => r.name },
    { label: "电话", render: (r) => r.phone },
    { label: "对象", render: (r) => vocab.target_groups[r.target_group] || r.target_group },
    { label: "小区", render: (r) => compoundName(r.compound) },
    { label: "状态", render: (r) => [badge(STATUS.registration[r.status] || r.status, `reg-${r.status}`), r.waitlist_position ? ` 第 ${r.waitlist_position} 位` : ""] },
    { label: "", render: (r) => (r.status !== "cancelled" && ev.status === "published"
      ? h("button.small", { type: "button", on: { click: (e) => {
        if (!confirm("确认取消该报名？候补第一位将自动转正。")) return;
        act(e.target, () => api.del(`/registrations/${r.id}`, {}), "已取消报名").then(reload);
      } } }, "取消报名") : "") },
  ], data.items, { empty: "暂无报名" });
  let registerForm = null;
  if (ev.status === "published") {
    registerForm = form({
      id: "register-form",
      className: "inline",
      fields: [
        { name: "name", label: "居民姓名", required: true },
        { name: "phone", label: "手机号", type: "tel", required: true, placeholder: "11 位手机号" },
        { name: "target_group", label: "服务对象", type: "select", options: vocab.target_groups, required: true, value: ev.target_groups?.[0] },
        { name: "compound", label: "小区", type: "select", options: vocab.compounds },
      ],
      submit: "登记报名",
      onSubmit: async (values, el) => {
        const reg = await api.post(`/events/${ev.id}/registrations`, values);
        toast(reg.status === "waitlisted" ? `名额已满，已列入候补第 ${reg.waitlist_position ?? ""} 位` : "报名成功");
        el.reset();
        reload();
      },
    });
  }
  return section("报名与候补", tabs, rows, pager(data, (p) => nav({ rpage: String(p) })),
    registerForm ? h("details.add", { open: data.total === 0 }, h("summary", "＋ 为居民登记报名"), registerForm) : null);
}

// 志愿岗位: an event asks for volunteers; the volunteers service opens a shift for each.
function rolesSection(ev, vocab, reload) {
  const roles = ev.roles || [];
  const open = ev.status === "draft" || ev.status === "published";
  if (!roles.length && !open) return null;
  const f = open ? form({
    id: "role-form",
    className: "inline",
    fields: [
      { name: "name", label: "岗位", required: true, placeholder: "如：签到引导" },
      { name: "skills", label: "所需技能（可不选）", type: "checks", options: vocab.skills, wide: true },
      { name: "places", label: "人数", type: "number", required: true, min: 1, value: 2 },
    ],
    submit: "招募志愿者",
    onSubmit: async (values) => {
      await api.post(`/events/${ev.id}/roles`, values);
      toast("志愿岗位已发布，志愿者可报名班次");
      reload();
    },
  }) : null;
  return section("志愿岗位",
    table([
      { label: "岗位", render: (r) => r.name },
      { label: "技能", render: (r) => skillNames(r.skills) || "不限" },
      { label: "人数", render: (r) => r.places },
      { label: "时间", render: (r) => `${fmt.time(r.start)}–${fmt.time(r.end)}` },
    ], roles, { empty: "尚未招募志愿者" }),
    f ? h("details.add", h("summary", "＋ 招募志愿者"), f) : null);
}

function feedbackSection(ev, reload) {
  const c = ev.counts || {};
  const f = form({
    id: "feedback-form",
    className: "inline",
    fields: [
      { name: "phone", label: "参与者手机号", type: "tel", required: true },
      { name: "score", label: "评分（1–5）", type: "select", required: true, options: { 5: "5 非常满意", 4: "4 满意", 3: "3 一般", 2: "2 不满意", 1: "1 很不满意" } },
      { name: "comment", label: "意见", type: "textarea", wide: true },
    ],
    submit: "录入评价",
    onSubmit: async (values, el) => {
      await api.post(`/events/${ev.id}/feedback`, { ...values, score: Number(values.score) });
      toast("评价已录入");
      el.reset();
      reload();
    },
  });
  return section("活动评价",
    h("p", `共 ${c.feedback_count ?? 0} 份评价，平均满意度 `, h("strong", c.satisfaction_mean === null || c.satisfaction_mean === undefined ? "—" : `${Number(c.satisfaction_mean).toFixed(2)} 分`)),
    h("details.add", h("summary", "＋ 录入纸质评价"), f));
}

function decisionsSection(ev, reload) {
  const decisions = ev.decisions || [];
  const f = form({
    id: "decision-form",
    fields: [
      { name: "summary", label: "决议内容", type: "textarea", required: true, wide: true },
      { name: "idea_id", label: "采纳金点子编号（可选）", type: "number", min: 1 },
      { name: "item_title", label: "待办事项", placeholder: "如：修缮儿童游乐设施" },
      { name: "item_owner", label: "责任人/单位" },
      { name: "item_due", label: "完成期限", type: "date" },
    ],
    submit: "记录决议",
    onSubmit: async (values, el) => {
      const body = { summary: values.summary };
      if (values.idea_id) body.idea_id = values.idea_id;
      if (values.item_title || values.item_owner || values.item_due) {
        body.action_items = [{ title: values.item_title, owner: values.item_owner, due_date: values.item_due }];
      }
      try {
        await api.post(`/events/${ev.id}/decisions`, body);
      } catch (err) {
        if (err.details?.action_items) {
          const item = err.details.action_items["0"] || err.details.action_items[0] || {};
          err.details = { ...err.details, item_title: item.title, item_owner: item.owner, item_due: item.due_date };
          delete err.details.action_items;
          Object.keys(err.details).forEach((k) => err.details[k] === undefined && delete err.details[k]);
        }
        throw err;
      }
      toast("决议已记录");
      el.reset();
      reload();
    },
  });
  return section("联席会决议",
    decisions.length ? h("ol.decisions", decisions.map((d) => h("li",
      h("p", d.summary), d.idea_id ? h("p.muted.small", `采纳金点子 #${d.idea_id}`) : null,
      (d.action_items || []).length ? h("ul", d.action_items.map((a) => h("li",
        `${a.title} · ${a.owner} · 期限 ${fmt.date(a.due_date)} `, badge(a.overdue ? "已逾期" : (STATUS.action[a.status] || a.status), a.overdue ? "at_risk" : ""))))
        : null))) : h("p.empty", "暂无决议"),
    h("details.add", h("summary", "＋ 记录决议与待办"), f));
}

// -- check-in (phone-sized) -----------------------------------------------------------------
export async function checkin(view, { args }) {
  const id = Number(args[0]);
  const vocab = await vocabularies();
  const ev = await api.get(`/events/${id}`);
  const storeKey = `ronghe.checkin.${id}`;
  const done = new Set(JSON.parse(sessionStorage.getItem(storeKey) || "[]"));
  const remember = () => sessionStorage.setItem(storeKey, JSON.stringify([...done]));
  const regs = [];
  for (let page = 1; page <= 20; page += 1) {
    const data = await api.get(`/events/${id}/registrations`, { page, per_page: 100 });
    regs.push(...data.items.filter((r) => r.status !== "cancelled"));
    if (page * 100 >= data.total) break;
  }
  const counter = h("p.counter");
  // The event's own count when the page opened, plus those checked in here since.
  const atOpen = (ev.counts?.attended || 0) + (ev.counts?.walk_ins || 0);
  let added = 0;
  const updateCounter = () => { counter.textContent = `已签到 ${atOpen + added} 人 · 报名 ${regs.length} 人`; };
  const search = h("input", { type: "search", placeholder: "输入姓氏或手机尾号筛选", "aria-label": "筛选" });
  const listEl = h("ul.checkin-list");
  const renderList = () => {
    const q = search.value.trim();
    clear(listEl, regs.filter((r) => !q || r.name.includes(q) || r.phone.replace(/\*/g, "").includes(q)).map((r) => {
      const isDone = done.has(r.id);
      const button = h("button.big", { type: "button", disabled: isDone, dataset: { registration: r.id },
        on: { click: async () => {
          button.disabled = true;
          try {
            await api.post(`/events/${id}/attendance`, { registration_id: r.id });
            toast(`${r.name} 签到成功`);
            added += 1;
          } catch (err) {
            if (!(err instanceof ApiError && err.code === "CONFLICT")) {
              button.disabled = false;
              toast(errorText(err), "error");
              return;
            }
            toast(`${r.name} 已签到过`, "warn");
          }
          done.add(r.id); remember(); updateCounter(); renderList();
        } } }, isDone ? "已签到 ✓" : "签到");
      return h("li", { class: isDone ? "done" : "" },
        h("div", h("strong", r.name), h("span.muted", ` ${r.phone}`),
          h("div.small.muted", `${vocab.target_groups[r.target_group] || ""} · ${STATUS.registration[r.status]}${r.waitlist_position ? ` 第 ${r.waitlist_position} 位` : ""}`)),
        button);
    }));
    if (!listEl.children.length) listEl.append(h("li.empty", "没有符合的报名"));
  };
  search.addEventListener("input", renderList);
  const walkIn = form({
    id: "walkin-form",
    fields: [
      { name: "name", label: "姓名", required: true },
      { name: "phone", label: "手机号", type: "tel" },
      { name: "target_group", label: "服务对象", type: "select", required: true, options: vocab.target_groups, value: ev.target_groups?.[0] },
    ],
    submit: "现场登记并签到",
    onSubmit: async (values, el) => {
      await api.post(`/events/${id}/attendance`, { ...values, walk_in: true });
      toast("现场参与者已签到");
      added += 1;
      updateCounter();
      el.reset();
    },
  });
  updateCounter();
  renderList();
  clear(view,
    h("div.page-head", h("h1", "现场签到"), h("a", { href: `#/events/${id}` }, "返回活动")),
    h("p.checkin-title", h("strong", ev.title), h("br"), `${fmt.datetime(ev.start)} – ${fmt.time(ev.end)}`),
    ev.status !== "published" ? h("div.alert.warn", "活动未在进行中（仅已发布的活动可签到）") : null,
    counter, search, listEl,
    h("details.add", h("summary", "＋ 现场参与（未报名）"), walkIn));
}

export { readForm };
