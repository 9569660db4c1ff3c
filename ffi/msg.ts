/**
 * Off-heap memory for FFI structs (`struct msghdr`, `struct pollfd`) and
 * control-message parsing. Everything a pointer is stored to lives in one
 * large ArrayBuffer: V8 keeps small typed arrays on its heap, where the GC
 * may move them, so their addresses must never be kept.
 * @module
 */

/** A bump allocator over one ArrayBuffer that never moves. */
export class Arena {
  /** The whole arena. */
  readonly bytes: Uint8Array;
  #base: bigint;
  #used = 0;

  /** @param size bytes; keep it ≥ 4 KiB so V8 allocates it off-heap */
  constructor(size: number) {
    this.bytes = new Uint8Array(Math.max(4096, size));
    this.#base = BigInt(
      Deno.UnsafePointer.value(Deno.UnsafePointer.of(this.bytes)),
    );
  }

  /**
   * @param n bytes wanted
   * @returns an 8-byte aligned, zeroed slice and its address
   * @throws RangeError when the arena is full
   */
  take(n: number): { bytes: Uint8Array; ptr: bigint } {
    const at = (this.#used + 7) & ~7;
    if (at + n > this.bytes.length) throw new RangeError("arena full");
    this.#used = at + n;
    return {
      bytes: this.bytes.subarray(at, at + n),
      ptr: this.#base + BigInt(at),
    };
  }
}

/** A `struct msghdr` with one iovec and its name, data and control buffers. */
export class MsgHdr {
  /** The 56-byte struct msghdr to pass to recvmsg/sendmsg. */
  readonly hdr: Uint8Array;
  /** Socket address buffer (`msg_name`). */
  readonly name: Uint8Array;
  /** The single iovec's buffer. */
  readonly data: Uint8Array;
  /** Ancillary data buffer (`msg_control`). */
  readonly control: Uint8Array;
  /** DataView over `control`. */
  readonly controlView: DataView;
  #h: DataView;
  #iov: DataView;

  /**
   * @param arena where every part is allocated
   * @param sizes bytes of name, data and control
   */
  constructor(
    arena: Arena,
    sizes: { name: number; data: number; control: number },
  ) {
    const hdr = arena.take(56);
    const iov = arena.take(16);
    const name = arena.take(Math.max(8, sizes.name));
    const data = arena.take(sizes.data);
    const control = arena.take(sizes.control);
    this.hdr = hdr.bytes;
    this.name = name.bytes.subarray(0, sizes.name);
    this.data = data.bytes;
    this.control = control.bytes;
    this.controlView = new DataView(
      this.control.buffer,
      this.control.byteOffset,
      this.control.length,
    );
    this.#h = new DataView(hdr.bytes.buffer, hdr.bytes.byteOffset, 56);
    this.#iov = new DataView(iov.bytes.buffer, iov.bytes.byteOffset, 16);
    this.#iov.setBigUint64(0, data.ptr, true);
    this.#h.setBigUint64(0, sizes.name > 0 ? name.ptr : 0n, true);
    this.#h.setBigUint64(16, iov.ptr, true);
    this.#h.setBigUint64(24, 1n, true);
    this.#h.setBigUint64(32, sizes.control > 0 ? control.ptr : 0n, true);
    this.setLengths(sizes.name, sizes.data, sizes.control);
  }

  /**
   * Sets `msg_namelen`, the iovec length and `msg_controllen`; clears flags.
   * @param name bytes of name in use
   * @param data bytes of data in use
   * @param control bytes of control in use
   */
  setLengths(name: number, data: number, control: number): void {
    this.#h.setUint32(8, name, true);
    this.#iov.setBigUint64(8, BigInt(data), true);
    this.#h.setBigUint64(40, BigInt(control), true);
    this.#h.setInt32(48, 0, true);
  }

  /** `msg_controllen` as the kernel left it after recvmsg. */
  get controlLength(): number {
    return Number(this.#h.getBigUint64(40, true));
  }
}

/** One control message found by {@linkcode nextCmsg}. */
export interface Cmsg {
  level: number;
  type: number;
  /** Offset of the data within the control buffer. */
  at: number;
  /** Data length in bytes. */
  length: number;
  /** Offset of the next header. */
  next: number;
}

/**
 * Reads the control message header at `at` (x86_64/aarch64 layout).
 * @param view the control buffer
 * @param at offset of a `struct cmsghdr`
 * @param end `msg_controllen`
 * @returns the message, or null past the end
 */
export function nextCmsg(view: DataView, at: number, end: number): Cmsg | null {
  if (at + 16 > end) return null;
  const len = Number(view.getBigUint64(at, true));
  if (len < 16 || at + len > end) return null;
  return {
    level: view.getInt32(at + 8, true),
    type: view.getInt32(at + 12, true),
    at: at + 16,
    length: len - 16,
    next: at + ((len + 7) & ~7),
  };
}

/**
 * @param view buffer holding a `struct timespec`
 * @param at its offset
 * @returns the time in µs (fractional)
 */
export function timespecMicros(view: DataView, at: number): number {
  return Number(view.getBigInt64(at, true)) * 1e6 +
    Number(view.getBigInt64(at + 8, true)) / 1e3;
}
