/**
 * Free TCP ports from the OS, so tests never collide on fixed numbers.
 * @module
 */

/**
 * @param hostname the address to bind @default "127.0.0.1"
 * @returns a TCP port on `hostname` that was free a moment ago
 */
export function freePort(hostname = "127.0.0.1"): number {
  const listener = Deno.listen({ hostname, port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
