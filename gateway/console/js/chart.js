// A small SVG chart of one indicator's months: bars for each month's figure, a line for
// the running total and a dashed line for the pace the target needs (or, for a mean such
// as satisfaction, the monthly mean against the target). No library.
const NS = "http://www.w3.org/2000/svg";

function s(tag, attrs = {}, text) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * months: ["2026-01", ...]; values: numbers (null = no figure); target: the year's target;
 * mean: true when the figure is a mean (not summed over months).
 */
export function trendChart({ months, values, target, mean = false, label = "" }) {
  const W = 300, H = 120, L = 4, R = 4, T = 10, B = 18;
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "trend", role: "img",
    "aria-label": `${label}月度趋势` });
  const n = months.length;
  if (!n) return svg;
  const step = (W - L - R) / n;
  const y = (v, max) => T + (H - T - B) * (1 - (max ? v / max : 0));
  const nums = values.map((v) => (v === null || v === undefined ? null : Number(v)));

  if (mean) {
    const max = Math.max(target || 0, ...nums.filter((v) => v !== null), 1) * 1.1;
    if (target) {
      svg.append(s("line", { x1: L, x2: W - R, y1: y(target, max), y2: y(target, max), class: "pace" }));
    }
    const pts = nums.map((v, i) => (v === null ? null : [L + step * (i + 0.5), y(v, max)])).filter(Boolean);
    if (pts.length) svg.append(s("polyline", { points: pts.map((p) => p.join(",")).join(" "), class: "cum" }));
    pts.forEach(([cx, cy]) => svg.append(s("circle", { cx, cy, r: 2.5, class: "dot" })));
  } else {
    const maxBar = Math.max(...nums.map((v) => v || 0), 1);
    nums.forEach((v, i) => {
      const top = y(v || 0, maxBar);
      const rect = s("rect", { x: L + step * i + step * 0.18, y: top, width: step * 0.64,
        height: Math.max(0, H - B - top), class: "bar" });
      rect.append(s("title", {}, `${months[i]}：${v ?? 0}`));
      svg.append(rect);
    });
    // running total against the target's straight-line pace over the year's months
    let run = 0;
    const cum = nums.map((v) => (run += v || 0));
    const maxLine = Math.max(target || 0, run, 1);
    if (target) {
      svg.append(s("line", { x1: L, y1: y(0, maxLine), x2: W - R, y2: y(target * (n / 12 > 1 ? 1 : n / 12), maxLine),
        class: "pace" }));
    }
    svg.append(s("polyline", { class: "cum",
      points: cum.map((v, i) => `${L + step * (i + 1)},${y(v, maxLine)}`).join(" ") }));
  }
  months.forEach((m, i) => {
    if (n > 6 && i % 2 === 1 && i !== n - 1) return;
    svg.append(s("text", { x: L + step * (i + 0.5), y: H - 4, class: "axis", "text-anchor": "middle" },
      `${Number(m.slice(5, 7))}月`));
  });
  return svg;
}

/** A horizontal progress bar: % done against % of the year elapsed (a tick). */
export function progressBar(percentDone, percentElapsed, status) {
  const svg = s("svg", { viewBox: "0 0 100 10", class: `progress ${status}`, preserveAspectRatio: "none",
    role: "img", "aria-label": `完成 ${percentDone ?? 0}%，时间过半 ${percentElapsed}%` });
  svg.append(s("rect", { x: 0, y: 0, width: 100, height: 10, class: "track" }));
  svg.append(s("rect", { x: 0, y: 0, width: Math.min(100, Math.max(0, percentDone || 0)), height: 10, class: "done" }));
  svg.append(s("line", { x1: percentElapsed, x2: percentElapsed, y1: 0, y2: 10, class: "elapsed" }));
  return svg;
}

/**
 * Horizontal bars, one per choice, each with its count and share (a consultation's
 * results). labels: ["充电桩", ...]; values: counts; total: who answered the question.
 */
export function choiceChart({ labels, values, total, label = "" }) {
  const W = 320, ROW = 26, LABEL = 96, NUM = 64;
  const H = Math.max(ROW, labels.length * ROW);
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "choices", role: "img",
    "aria-label": `${label}：${labels.map((l, i) => `${l} ${values[i]} 人`).join("，")}` });
  const max = Math.max(...values, 1);
  labels.forEach((text, i) => {
    const y = i * ROW;
    const value = values[i] || 0;
    const share = total ? Math.round((100 * value) / total) : 0;
    const name = text.length > 7 ? `${text.slice(0, 6)}…` : text;
    const caption = s("text", { x: 0, y: y + ROW / 2 + 4, class: "label" }, name);
    caption.append(s("title", {}, text));
    svg.append(caption);
    svg.append(s("rect", { x: LABEL, y: y + 5, width: W - LABEL - NUM, height: ROW - 10, class: "track" }));
    svg.append(s("rect", { x: LABEL, y: y + 5, width: ((W - LABEL - NUM) * value) / max,
      height: ROW - 10, class: "bar", "data-choice": i, "data-count": value }));
    svg.append(s("text", { x: W, y: y + ROW / 2 + 4, class: "count", "text-anchor": "end" },
      `${value}（${share}%）`));
  });
  return svg;
}
