/**
 * Renders the status page in headless Chromium and reads the resulting DOM:
 * proves the page works in a real browser without any script.
 */
import assert from "node:assert/strict";
import { ManualClock } from "../../lib/observe/clock.ts";
import { silentLogger } from "../../lib/observe/log.ts";
import { createStatusApp, serveStatus } from "../../lib/observe/status.ts";
import { fakeSnapshot, HOSTILE, NOW_MS } from "./fake_snapshot.ts";

const CHROMIUM = "/usr/bin/chromium";
const missing = await Deno.stat(CHROMIUM).then(() => false, () => true);
if (missing) {
  // deno-lint-ignore no-console
  console.error(`skipping status browser test: ${CHROMIUM} is not installed`);
}

async function dumpDom(url: string, profile: string): Promise<string> {
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), 60_000); // bound: 60 s
  const out = await new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-extensions",
      "--disable-default-apps",
      "--disable-domain-reliability",
      `--user-data-dir=${profile}`,
      "--dump-dom",
      url,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: stop.signal,
  }).output().finally(() => clearTimeout(timer));
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr).slice(-2000));
  return new TextDecoder().decode(out.stdout);
}

Deno.test({
  name: "renderStatusPage() shows targets and verdicts in headless Chromium",
  ignore: missing,
  fn: async () => {
    const app = createStatusApp({
      snapshot: () => fakeSnapshot(),
      metrics: () => "",
      logger: silentLogger,
      clock: new ManualClock(NOW_MS),
    });
    const server = serveStatus("127.0.0.1:0", app, silentLogger);
    const profile = await Deno.makeTempDir({ prefix: "goavail-chromium-" });
    try {
      const dom = await dumpDom(`${server.url}/`, profile);
      assert.match(dom, /<tr data-ip="192\.0\.2\.1">/);
      assert.match(dom, /<tr data-ip="2001:db8::2">/);
      assert.match(dom, /class="verdict verdict-up">up</);
      assert.match(dom, /class="verdict verdict-down">down</);
      assert.match(dom, /id="dry-run"/);
      assert.ok(!dom.includes(HOSTILE));
      assert.ok(!/<script/i.test(dom), "no script element may appear");
      assert.ok(!/<img/i.test(dom), "no img element may appear");
    } finally {
      await server.close();
      await Deno.remove(profile, { recursive: true });
    }
  },
});
