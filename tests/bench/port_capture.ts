/**
 * Captures ICMP echoes on a bridge port that faces the prober (run in the
 * lab's switch namespace): `deno run -A tests/bench/port_capture.ts IFACE`.
 * Prints `ready` once the socket is open, captures until stdin closes, then
 * prints one JSON line `{"rtts":[µs, ...]}` in request order. The stamps are
 * the kernel's receive stamps on the port, taken by a socket that is not the
 * prober's, so they do not share our pinger's timestamps.
 * @module
 */

import { PacketCapture } from "../support/packet_capture.ts";

const iface = Deno.args[0];
if (!iface) throw new Error("usage: port_capture.ts IFACE");
const capture = PacketCapture.open(iface);
const encoder = new TextEncoder();
Deno.stdout.writeSync(encoder.encode("ready\n"));
for await (const _ of Deno.stdin.readable) { /* until stdin closes */ }
const rtts = capture.echoRtts("peer");
capture.close();
Deno.stdout.writeSync(encoder.encode(JSON.stringify({ rtts }) + "\n"));
