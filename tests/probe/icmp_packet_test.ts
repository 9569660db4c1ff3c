import assert from "node:assert/strict";
import {
  decodeEchoReply,
  encodeEchoReply,
  encodeEchoRequest,
  internetChecksum,
} from "../../lib/probe/icmp_packet.ts";

const hex = (s: string) =>
  new Uint8Array((s.match(/../g) ?? []).map((b) => parseInt(b, 16)));

Deno.test("internetChecksum() matches RFC 1071 reference values", () => {
  const table: [string, number][] = [
    ["", 0xffff],
    ["0001f203f4f5f6f7", 0x220d], // RFC 1071 §3 example (sum 0xddf2)
    ["ff", 0x00ff], // odd length pads with zero
    ["ffff", 0x0000],
    ["4500003c1c4640004006" + "0000" + "ac100a63ac100a0c", 0xb1e6],
  ];
  for (const [input, want] of table) {
    assert.equal(internetChecksum(hex(input)), want, input);
  }
});

Deno.test("encodeEchoRequest() builds a checksummed IPv4 echo request", () => {
  const packet = encodeEchoRequest(4, {
    id: 0x1234,
    seq: 0x0001,
    payload: hex("61626364"),
  });
  assert.deepEqual(
    [...packet.subarray(0, 2), ...packet.subarray(4)],
    [8, 0, 0x12, 0x34, 0x00, 0x01, 0x61, 0x62, 0x63, 0x64],
  );
  assert.equal(internetChecksum(packet), 0);
});

Deno.test("encodeEchoRequest() leaves the IPv6 checksum to the kernel and masks id/seq", () => {
  const packet = encodeEchoRequest(6, {
    id: 0x1_abcd,
    seq: 0x1_0002,
    payload: new Uint8Array(0),
  });
  assert.deepEqual([...packet], [128, 0, 0, 0, 0xab, 0xcd, 0x00, 0x02]);
});

Deno.test("decodeEchoReply() skips the IPv4 header of raw sockets", () => {
  const icmp = encodeEchoReply(4, { id: 7, seq: 9, payload: hex("0102") });
  const withHeader = new Uint8Array(24 + icmp.length);
  withHeader.set([0x46, 0, 0, 0, 0, 0, 0, 0, 64, 1]); // IHL 6 (options)
  withHeader.set(icmp, 24);
  const r = decodeEchoReply(withHeader, { family: 4, ipHeader: true });
  assert.ok(r.ok);
  assert.deepEqual([r.value.id, r.value.seq, [...r.value.payload]], [7, 9, [
    1,
    2,
  ]]);
  const bare = decodeEchoReply(icmp, { family: 4, ipHeader: false });
  assert.ok(bare.ok);
});

Deno.test("decodeEchoReply() decodes ICMPv6 echo replies", () => {
  const r = decodeEchoReply(hex("810000000102000361"), {
    family: 6,
    ipHeader: false,
  });
  assert.ok(r.ok);
  assert.deepEqual([r.value.id, r.value.seq, [...r.value.payload]], [
    0x0102,
    3,
    [0x61],
  ]);
});

Deno.test("decodeEchoReply() rejects truncated, foreign and corrupt datagrams", () => {
  const v4 = encodeEchoReply(4, { id: 1, seq: 2, payload: hex("aabb") });
  const header = (
    proto: number,
    first = 0x45,
  ) => [first, 0, 0, 0, 0, 0, 0, 0, 64, proto, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const corrupt = v4.slice();
  corrupt[9] = corrupt[9]! ^ 0xff;
  const table: [string, number[], 4 | 6, boolean, string][] = [
    ["empty", [], 4, false, "truncated"],
    ["7 bytes", [0, 0, 0, 0, 0, 0, 0], 6, false, "truncated"],
    ["short ip header", [0x45, 0, 0], 4, true, "truncated"],
    ["ip header only", header(1), 4, true, "truncated"],
    ["ihl < 5", [...header(1, 0x44), ...v4], 4, true, "bad-ip-header"],
    ["ipv6 version", [...header(1, 0x65), ...v4], 4, true, "bad-ip-header"],
    ["ihl past end", [0x4f, ...header(1).slice(1)], 4, true, "truncated"],
    ["not icmp", [...header(17), ...v4], 4, true, "not-icmp"],
    [
      "echo request v4",
      [...encodeEchoRequest(4, { id: 1, seq: 2, payload: new Uint8Array() })],
      4,
      false,
      "not-echo-reply",
    ],
    ["unreachable v4", [3, 1, 0, 0, 0, 0, 0, 0], 4, false, "not-echo-reply"],
    ["echo request v6", [128, 0, 0, 0, 0, 1, 0, 2], 6, false, "not-echo-reply"],
    ["v4 reply on v6", [0, 0, 0, 0, 0, 1, 0, 2], 6, false, "not-echo-reply"],
    ["non-zero code", [129, 1, 0, 0, 0, 1, 0, 2], 6, false, "not-echo-reply"],
    ["bad checksum", [...corrupt], 4, false, "bad-checksum"],
  ];
  for (const [name, bytes, family, ipHeader, error] of table) {
    const r = decodeEchoReply(new Uint8Array(bytes), { family, ipHeader });
    assert.deepEqual(r, { ok: false, error }, name);
  }
});

Deno.test("encodeEchoReply() round-trips through decodeEchoReply()", () => {
  for (const family of [4, 6] as const) {
    for (const len of [0, 1, 8, 56, 1400]) {
      const payload = new Uint8Array(len).map((_, i) => (i * 31) & 0xff);
      const r = decodeEchoReply(
        encodeEchoReply(family, { id: 65535, seq: 0, payload }),
        {
          family,
          ipHeader: false,
        },
      );
      assert.ok(r.ok, `${family}/${len}`);
      assert.deepEqual([r.value.id, r.value.seq, [...r.value.payload]], [
        65535,
        0,
        [...payload],
      ]);
    }
  }
});
