import assert from "node:assert/strict";
import { serve } from "./http_fixture.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

async function goavail(...args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code, out: dec.decode(stdout), err: dec.decode(stderr) };
}

Deno.test("goavail probe --check checks the URL's IP host and prints the status", async () => {
  const server = serve(() => new Response("ok"));
  try {
    const r = await goavail(
      "probe",
      "-c",
      "2",
      "-i",
      "0.1",
      "--check",
      `http://127.0.0.1:${server.port}/healthz`,
    );
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /^127\.0\.0\.1 : xmt\/rcv\/%loss = 2\/2\/0%, min\/avg\/max = [\d.]+\/[\d.]+\/[\d.]+, status 200\n$/,
    );
    assert.deepEqual(server.requests.map((q) => q.path), [
      "/healthz",
      "/healthz",
    ]);
  } finally {
    await server.close();
  }
});

Deno.test("goavail probe --check refuses a bad URL, naming it", async () => {
  const r = await goavail("probe", "--check", "ftp://www.example.com/");
  assert.equal(r.code, 2);
  assert.equal(
    r.err,
    '--check "ftp://www.example.com/": the scheme must be "http" or "https", got "ftp"\n',
  );
});
