import { readFileSync } from 'node:fs';

/** Resident set size of a process in bytes (from /proc), or 0 when it is gone. */
export function rssOf(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux x86 and arm). */
const CLK_TCK = 100;

/**
 * CPU time a process has used in user and in kernel mode, in ms (10 ms resolution); 0 when gone.
 * With `tid`, of that one thread only (`pid` itself is the main thread: Node's event loop).
 */
export function cpuTimesOf(pid: number, tid?: number): { userMs: number; sysMs: number } {
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
    const stat = readFileSync(path, 'utf8');
    // After the ")" closing the command name, utime and stime are the 12th and 13th fields.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return {
      userMs: (Number(fields[11]) * 1000) / CLK_TCK,
      sysMs: (Number(fields[12]) * 1000) / CLK_TCK,
    };
  } catch {
    return { userMs: 0, sysMs: 0 };
  }
}

/**
 * user+sys CPU time a process (or its thread `tid`) has used, in ms (10 ms resolution), or 0 when
 * it is gone.
 */
export function cpuMsOf(pid: number, tid?: number): number {
  const { userMs, sysMs } = cpuTimesOf(pid, tid);
  return userMs + sysMs;
}

/**
 * The host's count of connections dropped because a listening socket's accept queue was full
 * (`TcpExt: ListenOverflows` in /proc/net/netstat; 0 where it cannot be read). Host-wide: other
 * processes' listeners count too.
 */
export function listenOverflows(): number {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
    const header = lines.findIndex((line) => line.startsWith('TcpExt:'));
    const names = lines[header].split(' ');
    const values = lines[header + 1].split(' ');
    return Number(values[names.indexOf('ListenOverflows')] ?? 0);
  } catch {
    return 0;
  }
}
