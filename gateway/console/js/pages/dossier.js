// 评估台账 on the reports page (staff): ask for the evaluation dossier of a project year
// (or a period, or one plan); its build runs in the background, its progress shows here,
// and its PDF and ZIP download when it is ready.
import { api, download, session } from "../api.js";
import { h, clear, form, act, section } from "../ui.js";

const LAST_KEY = "ronghe.lastDossier";
const PLANS = { resources: "资源融和", system: "体系融和", service: "服务融和", culture: "文化融和" };
const STATES = { queued: "排队中", building: "生成中", ready: "已生成", failed: "生成失败" };
const STAFF = ["admin", "social_worker"];

function stateView(box, dossier) {
  const p = dossier.progress || {};
  const scope = `项目第${dossier.year}年 ${dossier.from} 至 ${dossier.to}${dossier.plan ? ` · ${PLANS[dossier.plan]}` : ""}`;
  const parts = [h("p", `${scope}：`, h("strong", STATES[dossier.status] || dossier.status),
    dossier.status === "building" && p.total ? `（${p.done} / ${p.total}）` : "")];
  if (dossier.status === "queued" || dossier.status === "building") {
    parts.push(h("progress", { max: 100, value: p.percent || 0, "aria-label": "台账生成进度" }));
  }
  if (dossier.status === "failed") parts.push(h("div.alert.error", dossier.error || "生成失败，请重试"));
  if (dossier.status === "ready") {
    const s = dossier.summary || {};
    parts.push(h("p.muted", `活动 ${s.events} 场，签到服务 ${s.attendance} 人次，附件 ${s.attachments} 个`));
    parts.push(h("div.actions-bar",
      h("button.primary", { type: "button", id: "dossier-pdf", on: { click: (e) => act(e.target,
        () => download(`/reports/dossiers/${dossier.id}/pdf`, {}, `dossier-${dossier.id}.pdf`), "PDF 已下载") } }, "下载台账 PDF"),
      h("button", { type: "button", id: "dossier-zip", on: { click: (e) => act(e.target,
        () => download(`/reports/dossiers/${dossier.id}/zip`, {}, `dossier-${dossier.id}.zip`), "ZIP 已下载") } }, "下载台账 ZIP（含报表与附件）")));
  }
  clear(box, ...parts);
}

async function follow(box, id) {
  localStorage.setItem(LAST_KEY, id);
  for (;;) {
    let dossier;
    try {
      dossier = await api.get(`/reports/dossiers/${id}`);
    } catch (err) {
      if (err.status === 404) localStorage.removeItem(LAST_KEY);
      clear(box, h("div.alert.error", String(err.message || err)));
      return;
    }
    stateView(box, dossier);
    if (dossier.status === "ready" || dossier.status === "failed") return;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    if (!box.isConnected) return; // the page was left: stop asking
  }
}

/** The section, or null for those who may not build a dossier. */
export function dossierSection() {
  if (!STAFF.includes(session.role)) return null;
  const box = h("div", { id: "dossier-state", "aria-live": "polite" });
  const picker = form({
    id: "dossier-form",
    className: "inline",
    fields: [
      { name: "year", label: "项目年度", type: "select", required: true, options: { 1: "第一年", 2: "第二年", 3: "第三年" }, value: "1" },
      { name: "plan", label: "计划", type: "select", placeholder: "全部计划", options: PLANS },
      { name: "from", label: "起（可选）", type: "date" },
      { name: "to", label: "止（可选）", type: "date" },
    ],
    submit: "生成评估台账",
    onSubmit: async (v) => {
      const body = { year: Number(v.year) };
      for (const key of ["plan", "from", "to"]) if (v[key]) body[key] = v[key];
      const dossier = await api.post("/reports/dossiers", body);
      stateView(box, dossier);
      follow(box, dossier.id);
    },
  });
  const last = localStorage.getItem(LAST_KEY);
  if (last) follow(box, last);
  return section("评估台账",
    h("p.muted", "年度评估用的台账：指标完成情况、每场活动的记录与签到名单（电话已隐藏部分号码）、照片、联席会决议、意见征集和经费情况，"
      + "生成 PDF 和 ZIP（含 XLSX 报表与原始附件）。在后台生成，可离开本页，稍后回来下载。"),
    picker, box);
}
