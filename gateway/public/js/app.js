// The residents' site: routed by the URL's hash (#/events/12, #/door/<token>), so the
// QR codes' URLs need no server route of their own.
import { ApiError, del, get, post } from "./api.js";
import { clearError, day, field, formData, h, localDate, reason, select, showError, time,
  when } from "./ui.js";

const app = document.getElementById("app");
let vocab = null;

const IDEA_CATEGORIES = [
  ["environment", "环境美化"], ["safety", "平安建设"], ["facilities", "设施改善"],
  ["culture", "文化活动"], ["elderly_care", "养老服务"], ["children", "儿童友好"],
  ["governance", "社区治理"], ["services", "便民服务"], ["other", "其他"],
].map(([code, label]) => ({ code, label }));

async function vocabularies() {
  if (!vocab) vocab = await get("/vocabularies");
  return vocab;
}

function render(title, ...content) {
  document.title = `${title} · 和通社区居民服务`;
  app.replaceChildren(h("h1", {}, title), ...content.filter((c) => c !== null && c !== undefined));
  app.focus();
}

function eventItem(ev) {
  return h("li", {}, h("a", { href: `#/events/${ev.id}` }, ev.title),
    h("div", { class: "muted" }, when(ev)));
}

function eventList(events, empty = "近期暂无活动") {
  if (!events.length) return h("p", { class: "muted" }, empty);
  return h("ul", { class: "events" }, events.map(eventItem));
}

function phoneInput() {
  return h("input", { name: "phone", type: "tel", inputmode: "numeric", autocomplete: "tel",
    required: true, pattern: "1[3-9][0-9]{9}", maxlength: 11 });
}

// -- the service menu (服务菜单) -----------------------------------------------------------

async function menuPage() {
  const v = await vocabularies();
  const today = localDate(new Date());
  const cards = await Promise.all(v.series.map(async (s) => {
    const events = await get("/events", { series: s.code, from: today, per_page: 5 });
    return h("section", { class: "card", id: `series-${s.code}` },
      h("h2", {}, s.label), h("span", { class: "tag" }, s.plan_label),
      h("p", {}, s.description), eventList(events.items));
  }));
  render("社区服务菜单", h("p", { class: "muted" }, "选一个服务系列，看看最近的活动，扫码或点开即可报名。"),
    ...cards);
}

// -- the calendar -----------------------------------------------------------------------

function addDays(date, n) { const d = new Date(date); d.setUTCDate(d.getUTCDate() + n); return d; }

async function calendarPage(params) {
  const view = params.get("view") === "month" ? "month" : "week";
  const today = new Date(`${localDate(new Date())}T00:00:00Z`);
  let from, to;
  if (view === "week") {
    from = addDays(today, -((today.getUTCDay() + 6) % 7));  // Monday
    to = addDays(from, 6);
  } else {
    from = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
    to = addDays(new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() + 1, 1)), -1);
  }
  const iso = (d) => d.toISOString().slice(0, 10);
  const page = await get("/events", { from: iso(from), to: iso(to), per_page: 100 });
  const byDay = new Map();
  for (const ev of page.items) {
    const key = day(ev.start);
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(ev);
  }
  const switcher = h("div", { class: "switch", role: "group", "aria-label": "按周或按月" },
    h("a", { href: "#/calendar?view=week", "aria-current": String(view === "week") }, "本周"),
    h("a", { href: "#/calendar?view=month", "aria-current": String(view === "month") }, "本月"));
  const days = [...byDay].map(([label, events]) => h("section", {},
    h("h2", { class: "day" }, label), h("div", { class: "card" }, eventList(events))));
  render("活动日历", switcher, h("p", { class: "muted" }, `${iso(from)} 至 ${iso(to)}`),
    ...(days.length ? days : [h("p", { class: "muted" }, "这段时间暂无活动")]));
}

// -- an event: registration, cancellation, feedback ----------------------------------------

async function eventPage(id) {
  const [ev, v] = await Promise.all([get(`/events/${id}`), vocabularies()]);
  const facts = h("section", { class: "card" },
    ev.series_label ? h("span", { class: "tag" }, ev.series_label) : null,
    h("span", { class: "tag" }, ev.kind_label || ev.kind),
    h("p", {}, h("strong", {}, "时间："), when(ev)),
    ev.capacity ? h("p", {}, h("strong", {}, "名额："),
      `${ev.capacity} 人，剩余 ${ev.places_left ?? 0} 个（满员后可候补）`) : null,
    ev.description ? h("p", {}, ev.description) : null);
  const sections = [facts];
  if (ev.status === "published" && new Date(ev.end) > new Date()) {
    sections.push(registerForm(ev, v), cancelForm());
  }
  if (ev.status === "completed") sections.push(feedbackForm(ev));
  render(ev.title, ...sections);
}

function registerForm(ev, v) {
  const result = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: true },
    field("姓名", h("input", { name: "name", autocomplete: "name", required: true, maxlength: 50 })),
    field("手机号", phoneInput()),
    field("参加人群", select("target_group", v.target_groups)),
    field("所在小区（可不填）", select("compound", v.compounds, { required: false, blank: "不填" })),
    h("button", { type: "submit" }, "报名"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    try {
      const reg = await post(`/events/${ev.id}/registrations`, formData(form));
      form.reset();
      const waiting = reg.status === "waitlisted";
      result.replaceChildren(h("div", { class: waiting ? "notice wait" : "notice", role: "status" },
        h("p", {}, waiting ? `名额已满，您已进入候补，第 ${reg.waitlist_position} 位。有人取消时按顺序自动递补。`
          : "报名成功！请按时参加。"),
        h("p", {}, "报名号 ", h("span", { class: "code", "data-registration": reg.id }, String(reg.id)),
          "　取消码 ", h("span", { class: "code", "data-cancel-code": "" }, reg.cancel_code)),
        h("p", { class: "muted" }, "请截图或记下报名号和取消码，取消报名时需要。")));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showError(form, err);
    }
  });
  return h("section", { class: "card", id: "register" }, h("h2", {}, "我要报名"), form, result);
}

function cancelForm() {
  const form = h("form", { novalidate: true },
    field("报名号", h("input", { name: "registration", inputmode: "numeric", required: true })),
    field("取消码", h("input", { name: "code", required: true, autocomplete: "off" })),
    h("button", { type: "submit", class: "secondary" }, "取消报名"));
  const result = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    const data = formData(form);
    if (!/^[0-9]+$/.test(data.registration || "")) {
      showError(form, new ApiError(422, { message: "请填写报名号", details: {} }));
      return;
    }
    try {
      await del(`/registrations/${data.registration}`, { code: data.code });
      form.reset();
      result.replaceChildren(h("p", { class: "notice", role: "status" }, "已取消报名。"));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 404) err.message = "报名号或取消码不对，请核对。";
      showError(form, err);
    }
  });
  return h("details", { class: "card", id: "cancel" }, h("summary", {}, "取消报名"), form, result);
}

function feedbackForm(ev) {
  const scores = [5, 4, 3, 2, 1].map((n) => ({ code: String(n), label: `${n} 分${n === 5 ? "（很满意）" : n === 1 ? "（不满意）" : ""}` }));
  const form = h("form", { novalidate: true },
    field("参加时登记的手机号", phoneInput()),
    field("满意度", select("score", scores)),
    field("意见和建议（可不填）", h("textarea", { name: "comment", rows: 3, maxlength: 1000 })),
    h("button", { type: "submit" }, "提交评价"));
  const result = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    const data = formData(form);
    if (data.score) data.score = Number(data.score);
    try {
      await post(`/events/${ev.id}/feedback`, data);
      form.replaceWith(h("p", { class: "notice", role: "status" }, "谢谢您的评价！"));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.details?.phone && err.status === 422) err.message = "这个手机号没有参加本次活动的签到记录。";
      showError(form, err);
    }
  });
  return h("section", { class: "card", id: "feedback" }, h("h2", {}, "活动评价"), form, result);
}

// -- the door check-in (签到) ----------------------------------------------------------------

async function doorPage(token) {
  const [door, v] = await Promise.all([get(`/door/${encodeURIComponent(token)}`), vocabularies()]);
  const walkIn = h("fieldset", { hidden: true },
    h("legend", {}, "未报名？登记现场参加"),
    field("姓名", h("input", { name: "name", autocomplete: "name", maxlength: 50 })),
    field("参加人群", select("target_group", v.target_groups, { required: false })),
    field("所在小区（可不填）", select("compound", v.compounds, { required: false, blank: "不填" })));
  const button = h("button", { type: "submit" }, "签到");
  const form = h("form", { novalidate: true }, field("报名时的手机号", phoneInput()), walkIn, button);
  const done = h("div", { "aria-live": "polite" });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    const data = formData(form);
    if (!walkIn.hidden) data.walk_in = true;
    try {
      const answer = await post(`/door/${encodeURIComponent(token)}/check-in`, data);
      form.replaceWith(h("p", { class: "notice", role: "status" },
        answer.walk_in ? "已登记现场参加，欢迎！" : "签到成功，欢迎参加！"));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.status === 422 && err.details?.phone && walkIn.hidden) {
        walkIn.hidden = false;
        button.textContent = "登记现场参加";
      }
      showError(form, err);
    }
  });
  render(`签到：${door.title}`,
    h("p", { class: "muted" }, `${day(door.start)} ${time(door.start)}–${time(door.end)}，${time(door.opens_at)} 起可签到`),
    door.open ? null : h("p", { class: "notice wait" }, "现在不在签到时间内。"),
    h("section", { class: "card" }, form, done));
}

// -- ideas (金点子) ----------------------------------------------------------------------------

async function ideasPage() {
  const [ideas, v] = await Promise.all([get("/ideas", { sort: "votes", per_page: 50 }), vocabularies()]);
  const form = h("form", { novalidate: true },
    field("标题", h("input", { name: "title", required: true, maxlength: 100 })),
    field("具体想法（可不填）", h("textarea", { name: "description", rows: 3, maxlength: 2000 })),
    field("类别", select("category", IDEA_CATEGORIES)),
    field("所在小区（可不填）", select("compound", v.compounds, { required: false, blank: "不填" })),
    field("手机号（不公开）", phoneInput()),
    h("button", { type: "submit" }, "提交金点子"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearError(form);
    try {
      await post("/ideas", formData(form));
      await ideasPage();
      app.prepend(h("p", { class: "notice", role: "status" }, "谢谢！您的金点子已提交。"));
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      showError(form, err);
    }
  });
  const list = ideas.items.map((idea) => {
    const vote = h("form", { class: "vote", novalidate: true },
      field("手机号（每人一票）", phoneInput()), h("button", { type: "submit", class: "secondary" }, "投一票"));
    const count = h("strong", { "data-votes": idea.id }, String(idea.votes));
    vote.addEventListener("submit", async (e) => {
      e.preventDefault();
      clearError(vote);
      try {
        const result = await post(`/ideas/${idea.id}/votes`, formData(vote));
        count.textContent = String(result.votes);
        vote.replaceWith(h("p", { class: "notice", role: "status" }, "投票成功"));
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.status === 409) err.message = "这个手机号已经投过票了。";
        showError(vote, err);
      }
    });
    return h("article", { class: "card" },
      h("div", { class: "row" }, h("h2", {}, idea.title), h("span", {}, count, " 票")),
      h("span", { class: "tag" }, idea.category_label),
      idea.status === "adopted" ? h("span", { class: "tag" }, "已采纳") : null,
      idea.description ? h("p", {}, idea.description) : null,
      h("details", {}, h("summary", {}, "支持这个金点子"), vote));
  });
  render("金点子", h("section", { class: "card" }, h("h2", {}, "提一个金点子"), form),
    h("h2", {}, "大家的金点子"), ...(list.length ? list : [h("p", { class: "muted" }, "还没有金点子，来提第一个吧。")]));
}

// -- consultations (意见征集): each open one is answered on its own page, /consult/<id> -------

async function consultationsPage() {
  const open = await get("/consultations", { per_page: 50 });
  const list = open.items.map((c) => h("li", {},
    h("a", { href: `/consult/${c.id}`, "data-consultation": c.id }, c.title),
    h("div", { class: "muted" }, `${c.opens_on} 至 ${c.closes_on} · 已有 ${c.answers} 位居民参与`)));
  render("意见征集",
    h("p", {}, "社区在做决定前征求大家的意见，每个手机号答一次。"),
    list.length ? h("ul", { class: "events" }, list)
      : h("p", { class: "muted" }, "目前没有正在征集的意见。"));
}

// -- routing ---------------------------------------------------------------------------------

const ROUTES = [
  [/^\/$/, "menu", () => menuPage()],
  [/^\/calendar$/, "calendar", (m, params) => calendarPage(params)],
  [/^\/events\/([0-9]+)$/, "calendar", (m) => eventPage(m[1])],
  [/^\/door\/([A-Za-z0-9_-]+)$/, null, (m) => doorPage(m[1])],
  [/^\/ideas$/, "ideas", () => ideasPage()],
  [/^\/consultations$/, "consultations", () => consultationsPage()],
];

async function route() {
  const [path, search] = (location.hash.slice(1) || "/").split("?");
  const params = new URLSearchParams(search || "");
  for (const [pattern, nav, page] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    document.querySelectorAll("[data-nav]").forEach((a) => {
      if (a.dataset.nav === nav) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    });
    try {
      await page(match, params);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      render(err.status === 404 ? "没有找到" : "出错了",
        h("p", { class: "error", role: "alert" }, err.status === 404 ? "没有找到这个页面或活动。" : reason(err)),
        h("p", {}, h("a", { href: "#/" }, "回到服务菜单")));
    }
    return;
  }
  render("没有找到", h("p", {}, h("a", { href: "#/" }, "回到服务菜单")));
}

window.addEventListener("hashchange", route);
route();
