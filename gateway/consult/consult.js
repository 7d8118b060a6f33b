// A consultation's public page (/consult/<id>): the questions, one answer per phone
// while it is open. Talks to the gateway through the console's one API client (the same
// Idempotency-Key per submission); no login, no inline script or style.
import { api } from "/console/js/api.js";

const page = document.getElementById("page");
const id = Number(location.pathname.split("/").filter(Boolean)[1]);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (value === true) node.setAttribute(key, "");
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(key, value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return node;
}

function show(...nodes) {
  page.replaceChildren(...nodes);
  page.focus({ preventScroll: true });
}

const day = (iso) => {
  const [y, m, d] = iso.split("-").map(Number);
  return `${y}年${m}月${d}日`;
};

function question(q, index) {
  const number = index + 1;
  const name = `q${number}`;
  const legend = el("legend", {}, `${number}. ${q.text}`,
    q.required ? null : el("span", { class: "optional" }, "（选答）"));
  const box = el("fieldset", { id: `question-${number}`, "data-kind": q.kind }, legend);
  if (q.kind === "single" || q.kind === "multiple") {
    q.options.forEach((option, i) => {
      box.append(el("label", { class: "choice" },
        el("input", { type: q.kind === "single" ? "radio" : "checkbox", name, value: String(i),
          required: q.kind === "single" && q.required }),
        el("span", {}, option)));
    });
  } else if (q.kind === "rating") {
    const row = el("div", { class: "rating" });
    for (let score = 1; score <= 5; score += 1) {
      row.append(el("label", {},
        el("input", { type: "radio", name, value: String(score), required: q.required,
          "aria-label": `${score} 分` }),
        el("span", { "aria-hidden": "true" }, String(score))));
    }
    box.append(row, el("div", { class: "scale", "aria-hidden": "true" },
      el("span", {}, "1 很不满意"), el("span", {}, "5 非常满意")));
  } else {
    box.append(el("label", { class: "muted", for: `${name}-text` }, "请填写（最多 500 字）"),
      el("textarea", { id: `${name}-text`, name, maxlength: "500", required: q.required }));
  }
  box.append(el("p", { class: "field-error", id: `${name}-error`, hidden: true }));
  return box;
}

function collect(form, consultation) {
  return consultation.questions.map((q, index) => {
    const name = `q${index + 1}`;
    if (q.kind === "multiple") {
      return [...form.querySelectorAll(`input[name=${name}]:checked`)].map((i) => Number(i.value));
    }
    if (q.kind === "text") {
      const text = form.elements[name].value.trim();
      return text || null;
    }
    const picked = form.querySelector(`input[name=${name}]:checked`);
    return picked ? Number(picked.value) : null;
  });
}

function clearErrors(form) {
  form.querySelectorAll("fieldset.invalid").forEach((f) => f.classList.remove("invalid"));
  form.querySelectorAll(".field-error").forEach((p) => { p.hidden = true; p.textContent = ""; });
}

function markError(form, err) {
  for (const [field, reasons] of Object.entries(err.details || {})) {
    const match = field.match(/^answers\.(\d+)$/);
    const target = match ? `q${match[1]}` : field === "phone" ? "phone" : null;
    if (!target) continue;
    const box = form.querySelector(match ? `#question-${match[1]}` : "#phone-box");
    const note = form.querySelector(`#${target}-error`);
    box?.classList.add("invalid");
    if (note) {
      note.textContent = field === "phone" && err.status === 422
        ? "请填写 11 位手机号" : [].concat(reasons).join("；");
      note.hidden = false;
    }
  }
}

function form(consultation) {
  const alert = el("div", { class: "error", role: "alert", hidden: true });
  const phone = el("fieldset", { id: "phone-box" },
    el("legend", {}, "您的手机号"),
    el("label", { class: "muted", for: "phone" }, "每个手机号可回答一次"),
    el("input", { id: "phone", name: "phone", type: "tel", inputmode: "numeric",
      autocomplete: "tel", maxlength: "11", required: true, "aria-describedby": "phone-privacy" }),
    el("p", { class: "privacy", id: "phone-privacy" },
      "手机号只用于确认每人回答一次，加密保存，不会公开，也不会出现在结果中。"),
    el("p", { class: "field-error", id: "phone-error", hidden: true }));
  const submit = el("button", { type: "submit" }, "提交意见");
  const f = el("form", { novalidate: true }, consultation.questions.map(question), phone, alert,
    submit);
  f.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(f);
    alert.hidden = true;
    submit.disabled = true;
    try {
      const result = await api.post(`/consultations/${consultation.id}/answers`, {
        phone: f.elements.phone.value.trim(), answers: collect(f, consultation) });
      show(el("h1", {}, consultation.title),
        el("div", { class: "thanks", role: "status" },
          el("p", {}, "感谢您的参与！您的意见已提交。"),
          el("p", {}, `已有 ${result.answers} 位居民参与本次意见征集。`)));
    } catch (err) {
      alert.textContent = err.status === 409 ? "这个手机号已经回答过本次意见征集，感谢您的参与。"
        : err.status === 0 || err.status >= 500 ? "网络或服务暂时不可用，请稍后再试。"
          : /[\u4e00-\u9fff]/.test(err.message) ? err.message : "请检查标红的内容后再提交。";
      alert.hidden = false;
      markError(f, err);
      submit.disabled = false;
      (f.querySelector("fieldset.invalid") || alert).scrollIntoView({ block: "center" });
    }
  });
  return f;
}

async function start() {
  if (!Number.isInteger(id) || id < 1) {
    show(el("h1", {}, "没有这个意见征集"));
    return;
  }
  let consultation;
  try {
    consultation = await api.get(`/consultations/${id}`);
  } catch (err) {
    show(el("h1", {}, err.status === 404 ? "没有这个意见征集" : "暂时无法打开"),
      el("p", { class: "muted" }, err.status === 404 ? "请检查链接是否完整。" : "请稍后再试。"));
    return;
  }
  document.title = `${consultation.title} · 意见征集`;
  const head = [el("h1", {}, consultation.title),
    el("p", { class: "window" }, `开放时间：${day(consultation.opens_on)} 至 ${day(consultation.closes_on)}`),
    consultation.description ? el("p", {}, consultation.description) : null];
  if (consultation.status === "upcoming") {
    show(...head, el("p", { class: "notice" }, `本次意见征集将于 ${day(consultation.opens_on)} 开放。`));
  } else if (consultation.status === "closed") {
    show(...head, el("p", { class: "notice" }, `本次意见征集已于 ${day(consultation.closes_on)} 结束，感谢关注。`));
  } else {
    show(...head, form(consultation));
  }
}

start();
