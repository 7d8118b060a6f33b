"""The console sends one Idempotency-Key per submission: the same key when the user
retries a submission that got no answer (network error, 503), a fresh one for the next
submission. Runs the console's own api.js in Node with a scripted fetch (no browser)."""
import json
import shutil
import subprocess

import pytest

from gateway.service import CONSOLE

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

SCRIPT = r"""
const sent = [];
const answers = [];
globalThis.sessionStorage = { getItem: () => null, setItem() {}, removeItem() {} };
globalThis.fetch = async (url, init) => {
  sent.push({ url, method: init.method, key: init.headers["Idempotency-Key"] || null });
  const [status, body] = answers.shift();
  if (status === 0) throw new TypeError("Failed to fetch");
  return new Response(JSON.stringify(body), {
    status, headers: { "Content-Type": "application/json" } });
};
const { api } = await import("./js/api.js");
async function submit(path, body, ...replies) {
  answers.push(...replies);
  for (let i = 0; i < replies.length; i++) {
    try { await api.post(path, body); } catch { /* the user presses submit again */ }
  }
}
const need = { description: "陪同就医" };
await submit("/needs", need, [0, null], [503, { error: "SERVICE_UNAVAILABLE" }], [201, { id: 1 }]);
await submit("/needs", need, [201, { id: 2 }]);
await submit("/needs", need, [422, { error: "VALIDATION_FAILED" }], [201, { id: 3 }]);
await submit("/needs", { description: "上门理发" }, [201, { id: 4 }]);
answers.push([200, { items: [] }]);
await api.get("/needs");
console.log(JSON.stringify(sent));
"""


def test_one_key_per_submission_reused_only_on_retries_without_answer(tmp_path):
    shutil.copytree(CONSOLE / "js", tmp_path / "js")
    (tmp_path / "package.json").write_text('{"type": "module"}')
    (tmp_path / "run.mjs").write_text(SCRIPT, encoding="utf-8")
    done = subprocess.run([NODE, "run.mjs"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    sent = json.loads(done.stdout)
    keys = [request["key"] for request in sent]
    # network error, 503, then the answer: one submission, one key
    assert keys[0] == keys[1] == keys[2] and len(keys[0]) == 32
    # the same form again after an answer is a new submission
    assert keys[3] not in keys[:3]
    # a refusal (422) is an answer: the corrected resubmission is new
    assert keys[4] not in keys[:4] and keys[5] not in keys[:5]
    assert keys[6] not in keys[:6]
    assert sent[7]["method"] == "GET" and keys[7] is None
