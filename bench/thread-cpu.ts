/**
 * Where a machine's CPU went, by process kind and thread name (Linux /proc only): a diagnosis for
 * benchmarks on a CPU-bound machine. Chromium names its processes (`--type=renderer`, `gpu-process`,
 * `utility` …) and threads (`CrRendererMain`, `WebRTC_Network`, `WebCrypto` …), so two snapshots
 * taken around a run say which part of which browser process did the work.
 */
import { readFileSync, readdirSync } from 'node:fs';

/** CPU ticks (USER_HZ, 100 a second) so far of every thread alive, keyed by pid/tid, with a group name. */
export type ThreadSnapshot = Map<string, { group: string; ticks: number }>;

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined; // the process or thread ended meanwhile
  }
}

/**
 * "chromium", or "chromium:renderer", "chromium:gpu-process", "chromium:NetworkService"… A child
 * process may have rewritten its command line into one space-separated string, so both are read.
 */
function processKind(pid: string): string {
  const cmdline = (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ');
  const comm = (read(`/proc/${pid}/comm`) ?? '?').trim();
  const type = /--type=([\w-]+)/.exec(cmdline)?.[1];
  const service = /--utility-sub-type=([\w.-]+)/.exec(cmdline)?.[1]?.split('.').pop();
  return type ? `${comm}:${service ?? type}` : comm;
}

export function threadSnapshot(): ThreadSnapshot | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined; // not Linux
  }
  const out: ThreadSnapshot = new Map();
  for (const pid of pids) {
    const kind = processKind(pid);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      const stat = read(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      // Fields after the parenthesised name: state is field 3; utime and stime are 14 and 15.
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close).replace(/\d+$/, '#');
      const fields = stat.slice(close + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      out.set(`${pid}/${tid}`, { group: `${kind} ${name}`, ticks });
    }
  }
  return out;
}

/** CPU seconds per group between two snapshots, largest first (threads born meanwhile count whole). */
export function threadCpuSeconds(before: ThreadSnapshot, after: ThreadSnapshot): [string, number][] {
  const byGroup = new Map<string, number>();
  for (const [key, { group, ticks }] of after) {
    const delta = ticks - (before.get(key)?.ticks ?? 0);
    if (delta > 0) byGroup.set(group, (byGroup.get(group) ?? 0) + delta / 100);
  }
  return [...byGroup.entries()].sort((a, b) => b[1] - a[1]);
}

/** The kernel's UDP counters (IPv4 and IPv6 together): datagrams in and out, and those dropped for a full receive buffer. */
export interface UdpCounters {
  in: number;
  out: number;
  dropped: number;
}

export function udpCounters(): UdpCounters | undefined {
  const v4 = read('/proc/net/snmp');
  const v6 = read('/proc/net/snmp6');
  if (!v4 || !v6) return undefined;
  const lines = v4.split('\n').filter((l) => l.startsWith('Udp:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/).map(Number) ?? [];
  const four = (name: string): number => values[names.indexOf(name)] ?? 0;
  const six = (name: string): number => Number(new RegExp(`^Udp6${name}\\s+(\\d+)`, 'm').exec(v6)?.[1] ?? 0);
  const both = (name: string): number => four(name) + six(name);
  return { in: both('InDatagrams'), out: both('OutDatagrams'), dropped: both('RcvbufErrors') };
}
