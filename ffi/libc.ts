/**
 * libc symbols used by the ICMP engine, the route lookup and the state
 * directory lock, through `Deno.dlopen("libc.so.6")`,
 * opened lazily on first use. Linux x86_64/aarch64 (LP64) layouts.
 * @module
 */

const SYMBOLS = {
  // int socket(int domain, int type, int protocol);
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  // int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen);
  setsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "u32"],
    result: "i32",
  },
  // int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen);
  getsockopt: {
    parameters: ["i32", "i32", "i32", "buffer", "buffer"],
    result: "i32",
  },
  // int connect(int fd, const struct sockaddr *addr, socklen_t len);
  connect: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // int bind(int fd, const struct sockaddr *addr, socklen_t len);
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  // ssize_t sendto(int fd, const void *buf, size_t len, int flags,
  //                const struct sockaddr *dest, socklen_t addrlen);
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
  // ssize_t sendmsg(int fd, const struct msghdr *msg, int flags);
  sendmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  // ssize_t recvmsg(int fd, struct msghdr *msg, int flags);
  recvmsg: { parameters: ["i32", "buffer", "i32"], result: "isize" },
  // int poll(struct pollfd *fds, nfds_t nfds, int timeout); — runs off the JS thread
  poll: {
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  // int eventfd(unsigned int initval, int flags);
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  // ssize_t write(int fd, const void *buf, size_t count);
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // ssize_t read(int fd, void *buf, size_t count);
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  // int close(int fd);
  close: { parameters: ["i32"], result: "i32" },
  // int *__errno_location(void);
  __errno_location: { parameters: [], result: "pointer" },
  // char *strerror(int errnum);
  strerror: { parameters: ["i32"], result: "pointer" },
  // int clock_gettime(clockid_t clk, struct timespec *tp);
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  // int getrusage(int who, struct rusage *usage);
  getrusage: { parameters: ["i32", "buffer"], result: "i32" },
  // unsigned int if_nametoindex(const char *ifname);
  if_nametoindex: { parameters: ["buffer"], result: "u32" },
  // int open(const char *path, int flags, mode_t mode); (the state dir lock)
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  // int flock(int fd, int operation);
  flock: { parameters: ["i32", "i32"], result: "i32" },
  // int ftruncate(int fd, off_t length);
  ftruncate: { parameters: ["i32", "i64"], result: "i32" },
  // ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset);
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "isize" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The loaded libc symbol table. */
export type Libc = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

let library: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

/**
 * Opens libc on first call and returns its symbols.
 * @throws Deno.errors.NotCapable without `--allow-ffi`
 */
export function libc(): Libc {
  library ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return library.symbols;
}

/** Linux constants used by the socket code. */
export const C = {
  AF_INET: 2,
  AF_INET6: 10,
  AF_PACKET: 17,
  SOCK_RAW: 3,
  SOCK_DGRAM: 2,
  SOCK_CLOEXEC: 0o2000000,
  IPPROTO_ICMP: 1,
  IPPROTO_ICMPV6: 58,
  SOL_SOCKET: 1,
  SOL_RAW: 255,
  SO_SNDBUF: 7,
  SO_RCVBUF: 8,
  SO_SNDBUFFORCE: 32,
  SO_RCVBUFFORCE: 33,
  SO_TIMESTAMPNS: 35,
  SO_TIMESTAMPING: 37,
  SCM_TS_OPT_ID: 81,
  SOF_TIMESTAMPING_TX_SOFTWARE: 1 << 1,
  SOF_TIMESTAMPING_SOFTWARE: 1 << 4,
  SOF_TIMESTAMPING_OPT_ID: 1 << 7,
  SOF_TIMESTAMPING_OPT_TSONLY: 1 << 11,
  SO_EE_ORIGIN_TIMESTAMPING: 4,
  SOL_IP: 0,
  IP_RECVERR: 11,
  SOL_IPV6: 41,
  IPV6_RECVERR: 25,
  MSG_ERRQUEUE: 0x2000,
  POLLERR: 0x8,
  ICMP_FILTER: 1,
  ICMP6_FILTER: 1,
  MSG_DONTWAIT: 0x40,
  POLLIN: 0x1,
  EFD_NONBLOCK: 0o4000,
  EFD_CLOEXEC: 0o2000000,
  CLOCK_REALTIME: 0,
  RUSAGE_SELF: 0,
  RUSAGE_CHILDREN: -1,
  O_RDWR: 0o2,
  O_CREAT: 0o100,
  O_CLOEXEC: 0o2000000,
  LOCK_EX: 2,
  LOCK_NB: 4,
  EWOULDBLOCK: 11,
} as const;

/** errno values mapped to their symbolic names. */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  4: "EINTR",
  9: "EBADF",
  11: "EAGAIN",
  13: "EACCES",
  22: "EINVAL",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  97: "EAFNOSUPPORT",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
};

/** @returns the calling thread's current errno. */
export function errno(): number {
  const ptr = libc().__errno_location();
  return ptr ? new Deno.UnsafePointerView(ptr).getInt32() : 0;
}

/**
 * @param code an errno value
 * @returns its symbolic name ("EHOSTUNREACH"), or "E<number>" when unknown
 */
export function errnoName(code: number): string {
  return ERRNO_NAMES[code] ?? `E${code}`;
}

/**
 * @param code an errno value
 * @returns libc's message for it ("No route to host")
 */
export function strerror(code: number): string {
  const ptr = libc().strerror(code);
  return ptr ? new Deno.UnsafePointerView(ptr).getCString() : `errno ${code}`;
}

const timespec = new BigInt64Array(2);
const timespecBytes = new Uint8Array(timespec.buffer);

/** @returns CLOCK_REALTIME in µs (fractional), read via clock_gettime. */
export function realtimeMicros(): number {
  libc().clock_gettime(C.CLOCK_REALTIME, timespecBytes);
  return Number(timespec[0]) * 1e6 + Number(timespec[1]) / 1e3;
}

/** CPU time and peak RSS from getrusage. */
export interface Rusage {
  /** User + system CPU seconds. */
  cpuSeconds: number;
  /** Peak resident set size in KiB. */
  maxRssKiB: number;
}

/**
 * @param who C.RUSAGE_SELF or C.RUSAGE_CHILDREN (waited-for children)
 * @returns CPU seconds and peak RSS
 */
export function getrusage(who: number): Rusage {
  const buf = new BigInt64Array(18); // struct rusage is 144 bytes on LP64
  libc().getrusage(who, new Uint8Array(buf.buffer));
  const tv = (i: number) => Number(buf[i]) + Number(buf[i + 1]) / 1e6;
  return { cpuSeconds: tv(0) + tv(2), maxRssKiB: Number(buf[4]) };
}
