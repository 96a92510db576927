/**
 * Where a page's renderer spent its threads' CPU time, by what it was doing: a Chromium trace
 * (CDP Tracing) of a few seconds, each complete event's thread time (`tdur`, CPU time, not wall
 * time, so a thread preempted on a saturated machine is not charged for the wait) less that of
 * the events nested in it, summed by event name (a function call by its function and script, an
 * event dispatch by its event type). A diagnosis for benchmarks; a CPU profile's samples land
 * where a preempted thread happened to stop, which on 2 busy cores says more about the scheduler
 * than about the code.
 */
import type { Page } from '@playwright/test';

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  pid: number;
  tid: number;
  ts: number;
  dur?: number;
  tdur?: number;
  args?: { name?: string; data?: Record<string, string | undefined> };
}

const CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.gc',
  'blink',
].join(',');

/** Traces `page`'s browser for `ms` and returns the trace's events. */
export async function traceFor(page: Page, ms: number): Promise<TraceEvent[]> {
  const cdp = await page.context().newCDPSession(page);
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', (e) => {
    events.push(...(e.value as unknown as TraceEvent[]));
  });
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', {
    transferMode: 'ReportEvents',
    traceConfig: { includedCategories: CATEGORIES.split(','), recordMode: 'recordAsMuchAsPossible' },
  });
  await new Promise((r) => setTimeout(r, ms));
  await cdp.send('Tracing.end');
  await complete;
  await cdp.detach();
  return events;
}

function label(e: TraceEvent): string {
  const d = e.args?.data;
  if (e.name === 'FunctionCall' && d) {
    const url = (d['url'] ?? '').split('/').pop();
    return `FunctionCall ${d['functionName'] || '(anon)'} ${url ?? ''}`;
  }
  if (e.name === 'EventDispatch' && d) return `EventDispatch ${d['type'] ?? '?'}`;
  if (e.name === 'TimerFire') return 'TimerFire';
  return e.name;
}

export interface ThreadSplit {
  thread: string;
  /** Thread CPU ms of the top-level events. */
  totalMs: number;
  /** Self thread CPU ms by label, largest first. */
  self: [string, number][];
}

/** Per thread of the processes whose threads match `threadFilter`: self CPU time by label. */
export function splitByThread(events: TraceEvent[], threadFilter: RegExp): ThreadSplit[] {
  const names = new Map<string, string>();
  const procNames = new Map<number, string>();
  for (const e of events) {
    if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}/${e.tid}`, String(e.args?.name));
    if (e.ph === 'M' && e.name === 'process_name') procNames.set(e.pid, String(e.args?.name));
  }
  const byThread = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.ph !== 'X' || e.tdur === undefined || e.dur === undefined) continue;
    const key = `${e.pid}/${e.tid}`;
    const name = names.get(key) ?? '?';
    if (!threadFilter.test(name)) continue;
    let list = byThread.get(key);
    if (!list) byThread.set(key, (list = []));
    list.push(e);
  }
  const out: ThreadSplit[] = [];
  for (const [key, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const self = new Map<string, number>();
    const stack: { end: number; label: string; childTdur: number; tdur: number }[] = [];
    let total = 0;
    const pop = (): void => {
      const top = stack.pop()!;
      self.set(top.label, (self.get(top.label) ?? 0) + Math.max(0, top.tdur - top.childTdur) / 1000);
    };
    for (const e of list) {
      while (stack.length > 0 && stack[stack.length - 1]!.end <= e.ts) pop();
      const parent = stack[stack.length - 1];
      if (parent) parent.childTdur += e.tdur!;
      else total += e.tdur!;
      stack.push({ end: e.ts + e.dur!, label: label(e), childTdur: 0, tdur: e.tdur! });
    }
    while (stack.length > 0) pop();
    const pid = Number(key.split('/')[0]);
    out.push({
      thread: `${procNames.get(pid) ?? pid} ${names.get(key)}`,
      totalMs: total / 1000,
      self: [...self.entries()].sort((a, b) => b[1] - a[1]),
    });
  }
  return out.sort((a, b) => b.totalMs - a.totalMs);
}

/** Prints the busiest threads' split, `top` labels each. */
export function printSplit(who: string, splits: ThreadSplit[], top = 14): void {
  for (const s of splits.slice(0, 4)) {
    if (s.totalMs < 1) continue;
    console.log(`  ${who} ${s.thread}: ${s.totalMs.toFixed(0)} ms CPU in top-level events`);
    console.log(
      `    ${s.self
        .slice(0, top)
        .map(([l, ms]) => `${l} ${ms.toFixed(0)}`)
        .join('; ')}`,
    );
  }
}
