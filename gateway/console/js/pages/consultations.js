// 意见征集: questionnaires put to residents (single / multiple choice, 1–5 rating, short
// text; open on local days; target compounds), their public page, and the results counted
// live with a chart per question and an XLSX export.
import { api, download, vocabularies } from "../api.js";
import { h, clear, form, badge, pager, table, section, act } from "../ui.js";
import { compoundName } from "../i18n.js";
import { choiceChart } from "../chart.js";

const STATUS = { upcoming: "未开始", open: "征集中", closed: "已结束" };
const STATUS_KIND = { upcoming: "", open: "on_track", closed: "achieved" };
const KINDS = { single: "单选", multiple: "多选", rating: "1–5 分评分", text: "简答" };

const publicUrl = (id) => `${location.origin}/consult/${id}`;

function localToday(offsetDays = 0) {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" })
    .format(new Date(Date.now() + offsetDays * 86400000));
  return parts; // YYYY-MM-DD
}

function questionRow(editor) {
  const kind = h("select", { name: "q-kind", "aria-label": "题型" },
    Object.entries(KINDS).map(([code, text]) => h("option", { value: code }, text)));
  const options = h("textarea", { name: "q-options", rows: 3, "aria-label": "选项（每行一个）",
    placeholder: "选项，每行一个" });
  const showOptions = () => { options.hidden = !["single", "multiple"].includes(kind.value); };
  kind.addEventListener("change", showOptions);
  const row = h("div.question-row",
    kind,
    h("input", { type: "text", name: "q-text", "aria-label": "题目", placeholder: "题目" }),
    h("span"),
    options,
    h("span"),
    h("div.row-actions",
      h("label.check", h("input", { type: "checkbox", name: "q-required", checked: true }), "必答"),
      h("button.small", { type: "button", on: { click: () => { row.remove(); } } }, "删除此题")));
  showOptions();
  editor.append(row);
  return row;
}

function readQuestions(editor) {
  return [...editor.querySelectorAll(".question-row")].map((row) => {
    const kind = row.querySelector("[name=q-kind]").value;
    const question = { kind, text: row.querySelector("[name=q-text]").value.trim(),
      required: row.querySelector("[name=q-required]").checked };
    if (kind === "single" || kind === "multiple") {
      question.options = row.querySelector("[name=q-options]").value.split("\n")
        .map((o) => o.trim()).filter(Boolean);
    }
    return question;
  });
}

export async function list(view, { params, go }) {
  const page = Number(params.get("page") || 1);
  const [items, vocab] = await Promise.all([
    api.get("/consultations", { page, per_page: 20 }), vocabularies()]);
  const editor = h("div.question-editor");
  questionRow(editor);
  const questions = h("div.field.wide", { dataset: { field: "questions" } },
    h("label", "题目", h("span.req", " *")), editor,
    h("button.small", { type: "button", id: "add-question", on: { click: () => questionRow(editor) } },
      "＋ 添加题目"),
    h("small.field-error", { role: "alert" }));
  const create = form({
    id: "consultation-form",
    fields: [
      { name: "title", label: "标题", required: true, wide: true },
      { name: "description", label: "说明", type: "textarea", wide: true },
      { name: "opens_on", label: "开始日期", type: "date", required: true, value: localToday() },
      { name: "closes_on", label: "截止日期", type: "date", required: true, value: localToday(14) },
      { name: "compounds", label: "目标小区（不选为全体居民）", type: "checks", options: vocab.compounds, wide: true },
    ],
    extra: questions,
    submit: "发布意见征集",
    onSubmit: async (values) => {
      const created = await api.post("/consultations", { ...values, questions: readQuestions(editor) });
      go(`/consultations/${created.id}`);
    },
  });
  clear(view,
    h("div.page-head", h("h1", "意见征集")),
    section("全部意见征集",
      table([
        { label: "标题", render: (c) => h("a", { href: `#/consultations/${c.id}` }, c.title) },
        { label: "开放日期", render: (c) => `${c.opens_on} 至 ${c.closes_on}` },
        { label: "目标小区", render: (c) => (c.compounds.length ? c.compounds.map(compoundName).join("、") : "全体居民") },
        { label: "状态", render: (c) => badge(STATUS[c.status] || c.status, STATUS_KIND[c.status]) },
        { label: "参与居民", class: "num", render: (c) => c.answers },
      ], items.items, { empty: "暂无意见征集", rowAttrs: (c) => ({ dataset: { consultation: c.id } }) }),
      pager(items, (p) => go(`/consultations?page=${p}`))),
    section("新建意见征集", create));
}

function resultCard(q) {
  const head = h("h3", `${q.number}. ${q.text}`);
  const meta = h("p.small.muted", `${KINDS[q.kind]} · ${q.answered} 人作答`);
  let body;
  if (q.kind === "single" || q.kind === "multiple") {
    body = choiceChart({ labels: q.choices.map((c) => c.option), values: q.choices.map((c) => c.count),
      total: q.answered, label: q.text });
  } else if (q.kind === "rating") {
    body = [h("p", "平均 ", h("span.mean", q.mean === null ? "—" : q.mean.toFixed(2)), " 分"),
      choiceChart({ labels: ["1 分", "2 分", "3 分", "4 分", "5 分"], values: q.ratings,
        total: q.answered, label: q.text })];
  } else {
    body = q.texts.length ? h("ul.texts", q.texts.map((t) => h("li", t))) : h("p.empty", "暂无回答");
  }
  return h("article.result", { dataset: { question: q.number } }, head, meta, body);
}

const REFRESH_MS = 20000; // the results page follows new answers while it stays open

export async function detail(view, context) {
  const { args, isCurrent } = context;
  const id = Number(args[0]);
  const [results] = await Promise.all([api.get(`/consultations/${id}/results`),
    vocabularies()]); // compound names
  const c = results.consultation;
  const url = publicUrl(id);
  clear(view,
    h("div.page-head", h("h1", c.title), badge(STATUS[c.status] || c.status, STATUS_KIND[c.status])),
    section("概况",
      h("p", `开放日期：${c.opens_on} 至 ${c.closes_on} · 目标小区：${
        c.compounds.length ? c.compounds.map(compoundName).join("、") : "全体居民"}`),
      c.description ? h("p", c.description) : null,
      h("p", "参与居民：", h("strong#answer-count", { dataset: { answers: results.answers } }, results.answers), " 人"),
      h("p.public-link", "居民填写页面：", h("a", { href: url, target: "_blank", rel: "noopener" }, url)),
      h("div.actions",
        h("button", { type: "button", id: "export-results", on: { click: (e) =>
          act(e.target, () => download(`/consultations/${id}/results/export`, {}, `consultation-${id}.xlsx`), "已导出") } },
        "导出 Excel"),
        h("a.button", { href: "#/consultations" }, "返回列表"))),
    section("结果（实时统计）", h("div.results", results.questions.map(resultCard))));
  const again = () => {
    if (!isCurrent()) return;
    if (document.visibilityState !== "visible") setTimeout(again, REFRESH_MS);
    else detail(view, context).catch(() => setTimeout(again, REFRESH_MS));
  };
  setTimeout(again, REFRESH_MS);
}
