// The public verify page of a volunteer certificate (the QR code on the PDF leads here:
// /verify/<number>?code=<code>). It asks the API's public verification and shows what it
// answers; text goes in with textContent only, never as HTML.

const $ = (id) => document.getElementById(id);

function hours(value) {
  return `${Number(value).toFixed(1)} 小时`;
}

function show(kind, title, detail) {
  $("checking").hidden = true;
  const verdict = $("verdict");
  verdict.className = `verdict ${kind}`;
  verdict.dataset.status = kind;
  verdict.hidden = false;
  $("verdict-title").textContent = title;
  $("verdict-detail").textContent = detail;
}

function showFacts(answer) {
  $("number").textContent = answer.number;
  $("name").textContent = answer.name_masked || "";
  $("hours").textContent = hours(answer.approved_hours);
  $("period").textContent = `${answer.period_from} 至 ${answer.period_to}`;
  $("issuer").textContent = answer.issuer;
  $("issued-on").textContent = answer.issued_on;
  $("facts").hidden = false;
}

function explain(answer) {
  if (answer.valid) {
    const replaces = answer.replaces ? `本证明替代已作废的证明 ${answer.replaces}。` : "";
    show("valid", "有效证明", `本证明真实有效，所载服务时长与经审核的记录一致。${replaces}`);
  } else {
    const replacement = answer.replaced_by
      ? `已重新开具证明 ${answer.replaced_by}，以新证明为准。`
      : "请联系出具单位重新开具。";
    show("superseded", "已作废（已更正）",
      `该期间经审核的服务时长已更正为 ${hours(answer.current_hours)}，` +
      `本证明所载时长不再有效。${replacement}`);
  }
  showFacts(answer);
}

async function verify() {
  const number = decodeURIComponent(location.pathname.split("/").pop() || "");
  const code = new URLSearchParams(location.search).get("code") || "";
  document.title = `志愿服务证明查验 ${number}`;
  if (!number || !code) {
    show("unknown", "未找到该证明", "链接不完整：请扫描证明上的二维码，或核对证明编号与验证码。");
    return;
  }
  let response;
  try {
    response = await fetch(
      `/api/v1/certificates/${encodeURIComponent(number)}/verify?code=${encodeURIComponent(code)}`,
      { headers: { Accept: "application/json" } });
  } catch (error) {
    show("unavailable", "暂时无法查验", "网络连接失败，请稍后再试。");
    return;
  }
  if (response.ok) {
    explain(await response.json());
  } else if (response.status === 404 || response.status === 422) {
    show("unknown", "未找到该证明",
      `没有编号为 ${number} 且验证码相符的证明。请核对证明上的编号与验证码。`);
  } else if (response.status === 429) {
    show("unavailable", "查验过于频繁", "请一分钟后再试。");
  } else {
    show("unavailable", "暂时无法查验", "查验服务暂时不可用，请稍后再试。");
  }
}

verify();
