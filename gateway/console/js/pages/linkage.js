// 五社联动: ideas (金点子) with votes, joint meetings with their decisions, action items
// (overdue ones first).
import { api, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, act, section, toast } from "../ui.js";
import { STATUS, IDEA_CATEGORIES, compoundName, fmt } from "../i18n.js";

export async function render(view, { params, go }) {
  const ipage = Number(params.get("ipage") || 1);
  const astatus = params.get("astatus") || "overdue";
  const apage = Number(params.get("apage") || 1);
  const nav = (changes) => {
    const p = new URLSearchParams({ ipage, astatus, apage, ...changes });
    go(`/linkage?${p}`);
  };
  const reload = () => render(view, { params, go });
  const [ideas, meetings, actions, vocab] = await Promise.all([
    api.get("/ideas", { sort: "votes", page: ipage, per_page: 12 }),
    api.get("/events", { kind: "joint_meeting", per_page: 10 }),
    api.get("/actions", { status: astatus === "all" ? "" : astatus, page: apage, per_page: 20 }),
    vocabularies(),
  ]);
  const meetingTitles = Object.fromEntries(meetings.items.map((m) => [m.id, m.title]));
  await Promise.all([...new Set(actions.items.map((a) => a.event_id))].filter((e) => !meetingTitles[e])
    .map(async (e) => { meetingTitles[e] = (await api.get(`/events/${e}`).catch(() => null))?.title; }));
  const ideaForm = form({
    id: "idea-form",
    fields: [
      { name: "title", label: "金点子", required: true, wide: true },
      { name: "category", label: "类别", type: "select", options: IDEA_CATEGORIES, required: true },
      { name: "compound", label: "小区", type: "select", options: vocab.compounds },
      { name: "name", label: "提出人" },
      { name: "phone", label: "提出人手机号", type: "tel", required: true },
      { name: "description", label: "说明", type: "textarea", wide: true },
    ],
    submit: "提交金点子",
    onSubmit: async (values, el) => {
      await api.post("/ideas", values);
      toast("金点子已提交");
      el.reset();
      reload();
    },
  });
  const voteFor = (idea) => (e) => {
    const phone = prompt(`为“${idea.title}”投票：请输入居民手机号（每人一票）`);
    if (!phone) return;
    act(e.target, () => api.post(`/ideas/${idea.id}/votes`, { phone: phone.trim() }), "已投票").then(reload);
  };
  const tabs = h("div.tabs", [["overdue", "已逾期"], ["open", "待办"], ["in_progress", "进行中"], ["done", "已完成"], ["all", "全部"]]
    .map(([code, label]) => h("button", { type: "button", class: code === astatus ? "active" : "", on: { click: () => nav({ astatus: code, apage: 1 }) } }, label)));
  const nextStatus = { open: ["in_progress", "开始办理"], in_progress: ["done", "标记完成"] };
  clear(view,
    h("div.page-head", h("h1", "五社联动")),
    section("金点子（按票数）",
      ideas.items.length ? h("ul.ideas", ideas.items.map((i) => h("li.idea", { class: i.status, dataset: { idea: i.id } },
        h("div.votes", h("strong", i.votes), h("span", "票")),
        h("div.body", h("h3", i.title), h("p.small.muted", `#${i.id} · ${i.category_label || IDEA_CATEGORIES[i.category] || i.category} · ${compoundName(i.compound)} · ${fmt.date(i.created_at)}`),
          i.description ? h("p.small", i.description) : null),
        h("div.side", badge(STATUS.idea[i.status] || i.status, i.status === "adopted" ? "achieved" : ""),
          i.status === "submitted" ? h("button.small", { type: "button", on: { click: voteFor(i) } }, "投票") : null))))
        : h("p.empty", "暂无金点子"),
      pager(ideas, (p) => nav({ ipage: p })),
      h("details.add", h("summary", "＋ 登记居民金点子"), ideaForm)),
    section("联席会",
      table([
        { label: "会议", render: (m) => h("a", { href: `#/meetings/${m.id}` }, m.title) },
        { label: "时间", render: (m) => fmt.datetime(m.start) },
        { label: "状态", render: (m) => STATUS.event[m.status] || m.status },
        { label: "决议", render: (m) => (m.decisions ? `${m.decisions.length} 项` : h("a", { href: `#/meetings/${m.id}` }, "查看")) },
      ], meetings.items, { empty: "暂无联席会" }),
      h("p", h("a.button", { href: "#/meetings/new" }, "＋ 记录联席会"), " ", h("a", { href: "#/events/new" }, "或安排一次联席会（活动）"))),
    section("待办事项",
      tabs,
      table([
        { label: "事项", render: (a) => a.title },
        { label: "责任人", render: (a) => a.owner },
        { label: "期限", render: (a) => [fmt.date(a.due_date), a.overdue ? [" ", badge("已逾期", "at_risk")] : ""] },
        { label: "状态", render: (a) => STATUS.action[a.status] || a.status },
        { label: "会议", render: (a) => h("a", { href: `#/meetings/${a.event_id}` }, meetingTitles[a.event_id] || `#${a.event_id}`) },
        { label: "", render: (a) => (nextStatus[a.status] ? h("button.small", { type: "button", on: { click: (e) =>
          act(e.target, () => api.patch(`/actions/${a.id}`, { status: nextStatus[a.status][0] }), "已更新").then(reload) } }, nextStatus[a.status][1]) : "") },
      ], actions.items, { empty: astatus === "overdue" ? "没有逾期事项" : "暂无事项" }),
      pager(actions, (p) => nav({ apage: p }))));
}
