import {
  deepStrictEqual as assertEquals,
  ok as assert,
} from "node:assert/strict";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

async function goavail(...args: string[]) {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
    cwd: new URL("..", import.meta.url).pathname,
  });
  const { code, stdout, stderr } = await cmd.output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

Deno.test("goavail --help lists every command", async () => {
  const r = await goavail("--help");
  assertEquals(r.code, 0);
  for (
    const c of [
      "monitor",
      "check-config",
      "status",
      "drain",
      "undrain",
      "keygen",
      "version",
    ]
  ) {
    assert(r.out.includes(c), `--help lacks ${c}`);
  }
});

Deno.test("goavail monitor --help explains each option with its default", async () => {
  const r = await goavail("monitor", "--help");
  assertEquals(r.code, 0);
  for (
    const w of [
      "--config-file",
      'default: "goavail.toml"',
      "--no-dry-run",
      "--log-format",
      "--debug",
    ]
  ) {
    assert(r.out.includes(w), `monitor --help lacks ${w}`);
  }
});

Deno.test("goavail keygen prints 32 random bytes in base64", async () => {
  const a = await goavail("keygen");
  const b = await goavail("keygen");
  assertEquals(a.code, 0);
  const bytes = Uint8Array.from(atob(a.out.trim()), (ch) => ch.charCodeAt(0));
  assertEquals(bytes.length, 32);
  assert(a.out !== b.out, "two keys were equal");
});

Deno.test("goavail version names goavail, Deno and the target", async () => {
  const r = await goavail("version");
  assertEquals(r.code, 0);
  assert(
    /^goavail \d+\.\d+\.\d+ \(deno \d+\.\d+\.\d+, \S+\)$/.test(r.out.trim()),
    r.out,
  );
});

Deno.test("goavail check-config summarizes a valid file and exits 0", async () => {
  const r = await goavail("check-config", "-f", "goavail.toml");
  assertEquals(r.code, 0, r.err);
  assert(r.out.includes("targets:    2 (127.0.0.1, ::1)"), r.out);
  assert(r.out.includes("dry-run"), r.out);
  assert(r.out.includes("single node"), r.out);
});

Deno.test("goavail check-config reads the original layout with a warning", async () => {
  const r = await goavail(
    "check-config",
    "--config-file",
    `${FIXTURES}original.toml`,
  );
  assertEquals(r.code, 0, r.err);
  assert(!r.err.includes("[Route53]"), r.err);
  assert(r.out.includes("2 agents"), r.out);
  assert(
    !r.out.includes("1234567891012345") && !r.err.includes("1234567891012345"),
  );
});

Deno.test("goavail check-config prints every error and exits 1 without a stack trace", async () => {
  const file = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(
      file,
      `failure_threshold = "three"\ninterval = 0\n`,
    );
    const r = await goavail("check-config", "-f", file);
    assertEquals(r.code, 1);
    assert(r.err.includes('"failure_threshold" must be an integer'), r.err);
    assert(r.err.includes('"interval" must be a number'), r.err);
    assert(r.err.includes('"cloudflare.dns_domain" is required'), r.err);
    assert(!/\bat .*\.ts:\d+/.test(r.err), `stack trace in: ${r.err}`);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("goavail check-config on a missing file says so and exits 1", async () => {
  const r = await goavail("check-config", "-f", "/nonexistent/goavail.toml");
  assertEquals(r.code, 1);
  assert(r.err.includes("no such file"), r.err);
});

Deno.test("goavail with an unknown command exits 2 with help", async () => {
  const r = await goavail("bogus");
  assertEquals(r.code, 2);
  assert(r.err.includes("unknown command"), r.err);
});

const isRoot = Deno.uid() === 0;
if (!isRoot) {
  // deno-lint-ignore no-console
  console.error('skipping "goavail probe 127.0.0.1": raw ICMP needs root');
}

Deno.test({
  name: "goavail probe 127.0.0.1 prints an fping-like line and exits 0",
  ignore: !isRoot,
  fn: async () => {
    const r = await goavail("probe", "-c", "2", "-i", "0.1", "127.0.0.1");
    assertEquals(r.code, 0, r.err);
    assert(
      /^127\.0\.0\.1 : xmt\/rcv\/%loss = 2\/2\/0%, min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+$/m
        .test(r.out),
      r.out,
    );
  },
});

Deno.test("goavail probe rejects a bad count with a clear message", async () => {
  const r = await goavail("probe", "-c", "zero", "127.0.0.1");
  assertEquals(r.code, 2);
  assert(r.err.includes("must be an integer"), r.err);
});

Deno.test("goavail service prints a hardened unit that runs monitor", async () => {
  const r = await goavail("service", "-f", "/etc/goavail/goavail.toml");
  assertEquals(r.code, 0, r.err);
  for (
    const w of [
      "ExecStart=",
      "monitor -f /etc/goavail/goavail.toml",
      "Restart=on-failure",
      "CAP_NET_RAW",
    ]
  ) {
    assert(r.out.includes(w), `unit lacks ${w}`);
  }
});

Deno.test("goavail drain --help says what a drain does and how it is reached", async () => {
  const r = await goavail("drain", "--help");
  assertEquals(r.code, 0);
  for (
    const w of [
      "guards still apply",
      "survives restarts",
      "control.sock",
      "--reason <text>",
      "--pool <name>",
    ]
  ) {
    assert(r.out.includes(w), `drain --help lacks ${w}`);
  }
});
