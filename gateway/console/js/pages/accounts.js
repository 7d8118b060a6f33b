// 志愿者申请 (staff approve or decline; an approval shows the new login's one-time
// password once), 用户 (admins: create, reset a password, disable) and 修改密码 (everyone).
import { api, session, vocabularies } from "../api.js";
import { h, clear, form, badge, table, act, section, toast, pager } from "../ui.js";
import { compoundName, skillNames, fmt } from "../i18n.js";

const ROLES = { admin: "管理员", social_worker: "社工", volunteer: "志愿者", district_viewer: "区级查看" };
const APPLICATION_STATUS = { pending: "待审核", approved: "已批准", declined: "已婉拒" };
const WEEKDAYS = ["", "周一", "周二", "周三", "周四", "周五", "周六", "周日"];

const slotsText = (slots) => (slots && slots.length
  ? slots.map((s) => `${WEEKDAYS[s.weekday]} ${s.start}–${s.end}`).join("；") : "时间灵活");

/** The one-time password, shown once in a card the staff member reads to the volunteer. */
function oneTimeLogin(answer) {
  if (!answer.initial_password) {
    return h("div.alert.warn", { role: "status", id: "approved-login" },
      `已批准。登录账号 ${answer.username} 此前已建立，初始密码已显示过；如遗失请在“用户”页重置。`);
  }
  return h("div.alert.ok", { role: "status", id: "approved-login" },
    h("p", `已批准，志愿者编号 ${answer.volunteer_number}。请把以下账号告诉志愿者（密码只显示这一次，首次登录后请其修改）：`),
    h("dl.facts",
      h("dt", "用户名"), h("dd", h("code#login-username", answer.username)),
      h("dt", "初始密码"), h("dd", h("code#login-password", answer.initial_password))));
}

export async function applications(view, { params, go }) {
  const status = params.get("status") || "pending";
  const page = Number(params.get("page") || 1);
  const notice = h("div");
  const [data] = await Promise.all([api.get("/applications", { status, page }), vocabularies()]);
  const reload = () => applications(view, { params, go });
  const decide = (a) => [
    h("button.small.primary", { type: "button", dataset: { approve: String(a.id) }, on: { click: async (e) => {
      const answer = await act(e.target, () => api.post(`/applications/${a.id}/approve`), null).catch(() => null);
      if (!answer) return;
      e.target.closest("tr")?.remove();
      clear(notice, oneTimeLogin(answer));
    } } }, "批准"),
    " ",
    h("button.small", { type: "button", dataset: { decline: String(a.id) }, on: { click: async (e) => {
      const reason = window.prompt("婉拒原因（将记录在案）");
      if (reason === null) return;
      await act(e.target, () => api.post(`/applications/${a.id}/decline`, { reason }), "已婉拒").then(reload, () => {});
    } } }, "婉拒"),
  ];
  clear(view,
    h("div.page-head", h("h1", "志愿者申请"),
      h("nav.tabs", { "aria-label": "申请状态" }, Object.entries(APPLICATION_STATUS).map(([code, text]) =>
        h("a", { href: `#/applications?status=${code}`, class: code === status ? "active" : "",
          "aria-current": code === status ? "page" : null }, text)))),
    notice,
    table([
      { label: "姓名", render: (a) => a.name },
      { label: "手机号", render: (a) => a.phone },
      { label: "小区", render: (a) => compoundName(a.compound) },
      { label: "技能", render: (a) => skillNames(a.skills) || "—" },
      { label: "可服务时间", render: (a) => slotsText(a.availability) },
      { label: "申请时间", render: (a) => fmt.datetime(a.created_at) },
      status === "pending" ? { label: "", render: decide }
        : { label: "处理", render: (a) => [a.decided_by || "", " ", fmt.datetime(a.decided_at),
          a.decline_reason ? h("small.muted", ` · ${a.decline_reason}`) : "",
          a.volunteer_id ? [" ", h("a", { href: `#/volunteers/${a.volunteer_id}` }, "志愿者档案")] : ""] },
    ], data.items, { empty: "暂无申请" }),
    pager(data, (p) => go(`/applications?status=${status}&page=${p}`)));
}

export async function users(view, { params, go }) {
  const page = Number(params.get("page") || 1);
  const data = await api.get("/users", { page, per_page: 50 });
  const reload = () => users(view, { params, go });
  const createForm = form({
    id: "user-form",
    fields: [
      { name: "username", label: "用户名", required: true, hint: "3–64 位字母、数字或 _ . -" },
      { name: "role", label: "角色", type: "select", required: true, options: ROLES, placeholder: "请选择" },
      { name: "display_name", label: "显示名称" },
      { name: "volunteer_id", label: "关联志愿者编号（ID）", type: "number", min: 1, hint: "角色为志愿者时必填" },
      { name: "password", label: "初始密码", type: "password", required: true, autocomplete: "new-password",
        hint: "至少 12 位，字母与数字或符号混合，不含用户名" },
    ],
    submit: "创建用户",
    onSubmit: async (values) => {
      const user = await api.post("/users", values);
      toast(`已创建用户 ${user.username}`);
      reload();
    },
  });
  const reset = (u) => h("button.small", { type: "button", dataset: { reset: String(u.id) }, on: { click: async (e) => {
    const password = window.prompt(`为 ${u.username} 设置新密码（至少 12 位，字母与数字或符号混合）`);
    if (!password) return;
    await act(e.target, () => api.patch(`/users/${u.id}`, { password }), "密码已重置，该用户须重新登录").catch(() => {});
  } } }, "重置密码");
  const toggle = (u) => h("button.small", { type: "button", dataset: { toggle: String(u.id) }, on: { click: (e) => act(e.target,
    () => api.patch(`/users/${u.id}`, { active: !u.active }), u.active ? "已停用" : "已启用").then(reload, () => {}) } },
  u.active ? "停用" : "启用");
  clear(view,
    h("div.page-head", h("h1", "用户")),
    table([
      { label: "用户名", render: (u) => u.username },
      { label: "角色", render: (u) => ROLES[u.role] || u.role },
      { label: "显示名称", render: (u) => u.display_name || "—" },
      { label: "关联志愿者", render: (u) => (u.volunteer_id ? h("a", { href: `#/volunteers/${u.volunteer_id}` }, `#${u.volunteer_id}`) : "—") },
      { label: "状态", render: (u) => (u.active ? badge("启用", "h-approved") : badge("已停用", "at_risk")) },
      { label: "", render: (u) => [reset(u), " ", toggle(u)] },
    ], data.items, { empty: "暂无用户" }),
    pager(data, (p) => go(`/users?page=${p}`)),
    section("新建用户", createForm));
}

export async function password(view) {
  clear(view,
    h("div.page-head", h("h1", "修改密码")),
    h("section.card",
      h("p.muted", "新密码至少 12 位，字母与数字或符号混合，不含用户名。修改后其他设备上的登录将失效。"),
      form({
        id: "password-form",
        fields: [
          { name: "current_password", label: "当前密码", type: "password", required: true, autocomplete: "current-password" },
          { name: "new_password", label: "新密码", type: "password", required: true, autocomplete: "new-password" },
          { name: "confirm", label: "再次输入新密码", type: "password", required: true, autocomplete: "new-password" },
        ],
        submit: "修改密码",
        onSubmit: async (values, el) => {
          if ((values.new_password || "") !== (values.confirm || "")) {
            const field = el.querySelector('.field[data-field="confirm"]');
            field.classList.add("invalid");
            field.querySelector(".field-error").textContent = "两次输入的新密码不一致";
            return;
          }
          const answer = await api.post("/me/password", {
            current_password: values.current_password || "", new_password: values.new_password || "" });
          session.save(answer.access_token, answer.role);
          el.reset();
          toast("密码已修改");
          clear(view.querySelector(".card"), h("div#password-changed.alert.ok", { role: "status" }, "密码已修改，下次登录请使用新密码。"));
        },
      })));
}
