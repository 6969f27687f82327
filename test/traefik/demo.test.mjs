// The README's first command: `npm run demo -- --once` runs the scripted requests against the
// real Traefik and exits non-zero when a cache status is not the one the demo promises.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { freePort, ROOT } from "../../scripts/lib/traefik.mjs";

test("npm run demo -- --once: misses turn into hits, a purge makes the next request miss", async () => {
  const port = await freePort();
  const r = spawnSync(process.execPath, ["scripts/demo.mjs", "--once", "--listen", `127.0.0.1:${port}`], {
    cwd: ROOT, encoding: "utf8", timeout: 120_000,
  });
  assert.equal(r.status, 0, `demo exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /14 requests, 8 reached the backend/);
  assert.match(r.stdout, /PURGE \/stock\?productId=12345 \(with the token\)\s+200/);
});
