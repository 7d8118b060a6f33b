// 佐证材料: the photos and files of an event or a joint meeting, on their pages. Staff take a
// photo with the phone's camera (<input capture>) or pick files; each is sent as it is
// chosen (multipart), the list shows thumbnails, a file opens as a download. The files
// are served to staff only, with the token: thumbnails are fetched and shown as data:
// URLs (the console's Content-Security-Policy allows images from 'self' and data:).
import { api, upload, fetchBlob, download, ApiError } from "../api.js";
import { h, clear, act, section, toast } from "../ui.js";
import { fmt, errorText } from "../i18n.js";

const ACCEPT_FILES = "image/jpeg,image/png,image/webp,application/pdf,.pdf,.xlsx,.docx,"
  + "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
  + "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const KIND_LABEL = {
  "application/pdf": "PDF",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
};

function size(bytes) {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

// What the API says about a refused file (too large, a type it does not take, a name
// with a folder in it, an owner that is gone) is the sentence to show: it comes in Chinese
// (the console asks for zh-CN) from the one message catalogue. Only what is not about the
// file (no answer, no network, no permission) gets the console's words for its code.
const SAID_BY_THE_API = ["PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE", "VALIDATION_FAILED",
  "NOT_FOUND", "BAD_REQUEST"];

export function uploadError(err) {
  if (!(err instanceof ApiError)) return String(err);
  if (SAID_BY_THE_API.includes(err.code) && err.message) return err.message;
  return errorText(err);
}

function blobToDataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

function thumbnail(item) {
  const box = h("span.attachment-thumb", { "aria-hidden": item.has_thumbnail ? null : "true" },
    item.has_thumbnail ? "…" : (KIND_LABEL[item.content_type] || "文件"));
  if (item.has_thumbnail) {
    fetchBlob(`/attachments/${item.id}/thumbnail`).then(blobToDataUrl).then((url) => {
      clear(box, h("img", { src: url, alt: `照片：${item.filename}`, loading: "lazy" }));
    }).catch(() => clear(box, "照片"));
  }
  return box;
}

/** The section of an owner's attachments: ownerKind "event" or "meeting". */
export function attachmentsSection(ownerKind, ownerId) {
  const list = h("ul.attachment-list", { "aria-live": "polite" });
  const status = h("p.form-error", { role: "alert" });
  const owner = { owner_kind: ownerKind, owner_id: ownerId };

  async function refresh() {
    const data = await api.get("/attachments", { ...owner, per_page: 100 });
    clear(list, data.items.length ? data.items.map(row) : h("li.empty", "暂无照片或附件"));
  }

  function row(item) {
    return h("li.attachment", { dataset: { attachmentId: item.id } },
      h("button.link.attachment-open", { type: "button", title: "下载 / 查看原件",
        on: { click: (e) => act(e.currentTarget, () => download(`/attachments/${item.id}/file`, {}, item.filename), null) } },
        thumbnail(item), h("span.attachment-name", item.filename)),
      h("small.muted", `${size(item.size)} · ${item.created_by} · ${fmt.datetime(item.created_at)}`),
      h("button.danger.small", { type: "button", "aria-label": `删除 ${item.filename}`, on: { click: (e) => {
        if (!confirm(`删除“${item.filename}”？`)) return;
        act(e.currentTarget, () => api.del(`/attachments/${item.id}`), "已删除").then(refresh);
      } } }, "删除"));
  }

  async function send(files, input) {
    status.replaceChildren();
    input.disabled = true;
    let sent = 0;
    try {
      for (const file of files) {
        const data = new FormData();
        data.append("owner_kind", ownerKind);
        data.append("owner_id", String(ownerId));
        data.append("file", file, file.name || "photo.jpg");
        try {
          await upload("/attachments", data, `${file.name}:${file.size}:${file.lastModified}`);
          sent += 1;
        } catch (err) {
          status.append(h("div.alert.error", `${file.name}：${uploadError(err)}`));
        }
      }
    } finally {
      input.disabled = false;
      input.value = "";
    }
    if (sent) toast(`已上传 ${sent} 个文件`);
    await refresh();
  }

  const camera = h("input#attachment-camera.visually-hidden", { type: "file", accept: "image/*", capture: "environment" });
  const picker = h("input#attachment-files.visually-hidden", { type: "file", accept: ACCEPT_FILES, multiple: true });
  for (const input of [camera, picker]) {
    input.addEventListener("change", () => { if (input.files.length) send([...input.files], input); });
  }
  const controls = h("div.actions-bar.attachment-upload",
    camera, h("label.button.primary", { for: "attachment-camera" }, "拍照上传"),
    picker, h("label.button", { for: "attachment-files" }, "选择照片或文件"));
  const card = section("照片与附件",
    h("p.muted.small", "活动照片、签到表扫描件、会议纪要等佐证材料（照片会去除拍摄位置信息）。支持 JPG、PNG、WebP、PDF、xlsx、docx，单个不超过 20 MB。"),
    controls, status, list);
  card.id = "attachments";
  refresh().catch((err) => clear(list, h("li.alert.error", errorText(err))));
  return card;
}
