import assert from "node:assert/strict";
import { encodeEchoReply } from "../../lib/probe/icmp_packet.ts";
import { ProbeCodec } from "../../lib/probe/probe_codec.ts";

/** Turns a request made by `codec` into the reply a host would send. */
function replyTo(request: Uint8Array, family: 4 | 6): Uint8Array {
  return encodeEchoReply(family, {
    id: (request[4]! << 8) | request[5]!,
    seq: (request[6]! << 8) | request[7]!,
    payload: request.slice(8),
  });
}

Deno.test("ProbeCodec() decodes the probe number from its own replies", () => {
  const codec = new ProbeCodec(0x1234, 0xdeadbeef, 16);
  for (const family of [4, 6] as const) {
    for (const probe of [0, 1, 0xffff, 0x1_0000, 0xffff_ffff]) {
      const icmp = replyTo(codec.encode(family, probe), family);
      // Raw IPv4 sockets deliver the IP header too.
      const reply = family === 4
        ? new Uint8Array([
          0x45,
          0,
          0,
          0,
          0,
          0,
          0,
          0,
          64,
          1,
          ...new Uint8Array(10),
          ...icmp,
        ])
        : icmp;
      assert.equal(codec.decode({ family, kind: "raw" }, reply), probe);
    }
  }
});

Deno.test("ProbeCodec() rejects another pinger's replies and a wrong id on raw sockets", () => {
  const ours = new ProbeCodec(1, 111, 16);
  const theirs = new ProbeCodec(1, 222, 16);
  const foreign = replyTo(theirs.encode(6, 5), 6);
  assert.equal(ours.decode({ family: 6, kind: "raw" }, foreign), null);
  const otherId = replyTo(new ProbeCodec(2, 111, 16).encode(6, 5), 6);
  assert.equal(ours.decode({ family: 6, kind: "raw" }, otherId), null);
  assert.equal(ours.decode({ family: 6, kind: "dgram" }, otherId), 5);
});

Deno.test("ProbeCodec() rejects a reply whose sequence disagrees with the payload", () => {
  const codec = new ProbeCodec(7, 7, 16);
  const reply = replyTo(codec.encode(6, 0x10002), 6);
  reply[7] = 3;
  assert.equal(codec.decode({ family: 6, kind: "raw" }, reply), null);
  assert.equal(
    codec.decode({ family: 6, kind: "raw" }, reply.subarray(0, 12)),
    null,
  );
});

Deno.test("ProbeCodec() encode() reuses one buffer and keeps a minimum payload", () => {
  const codec = new ProbeCodec(7, 7, 2);
  const a = codec.encode(4, 1);
  const b = codec.encode(4, 2);
  assert.equal(a, b);
  assert.equal(a.length, 16);
});
