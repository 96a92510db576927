/**
 * File transfer throughput and the receiver's memory (issue 14): a 256 MiB file from Alice to Bob
 * through the app (production build, two Chromium processes with profiles on disk, so the Origin
 * Private File System writes to disk as on a device), against a bare `RTCDataChannel` between two
 * pages of the same two browsers carrying the same bytes in the same 64 KiB messages with the same
 * flow control (bufferedAmountLowThreshold 256 KiB, high-water mark 1 MiB), in the same run, the two
 * taking turns.
 *
 * The app's path is everything a transfer does: Alice's app reads each chunk from its stored copy,
 * encrypts it under the file key, proves it (Merkle path), seals it in a FILE_CHUNK frame (AES-GCM
 * and HMAC) and sends it within the window of the acks; Bob's app opens the frame, decrypts the
 * chunk, checks its proof, writes it through the OPFS worker, flushes and acks every 4 MiB through
 * the conversation ratchet. Timed on Bob's side from his tap on Accept until the file shows as saved
 * ("Save big.bin"); the copy Alice's app makes of the file before offering it is timed apart.
 * The bare path's time runs from the first message sent to the last byte received; so do those of
 * the two paths between bare and app (`disk`: bare plus the file read and written; `sealed`: that
 * plus the cryptography every chunk needs, with no protocol code; see BarePath below), which tell
 * what of the app's cost is the platform's and what is SecMsg's own.
 *
 * Bob's JS heap (Chromium's Runtime.getHeapUsage, after a GC before the start) is sampled every
 * 250 ms during each app run; its growth is the largest sample minus the start.
 *
 *   tsx bench/file-transfer.bench.ts [--runs N] [--mib N] [--verbose] [--diagnose] [--profile]
 *                                    [--trace] [--js-flags FLAGS]
 *
 * --diagnose adds each page's event-loop lag and the CPU seconds per MiB of every process kind and
 * thread of the machine (bench/thread-cpu.ts), app against bare; --profile a 6-second V8 CPU profile
 * of both pages of the sealed and the app path, --trace a 6-second Chromium trace of them split by
 * what each thread did (bench/trace-split.ts); both write what they recorded to the temporary
 * directory and cost CPU themselves, so their runs' figures are not the benchmark's. --js-flags
 * passes V8 flags to both browsers, for experiments only (a person's browser has the defaults).
 *
 * The app's end is seen in Bob's page (a MutationObserver waiting for the Save button), not by
 * polling it from here: Playwright's `expect` builds the page's accessibility tree on each poll, CPU
 * the app's runs were charged for and the bare runs were not.
 *
 * Targets: throughput app / bare ≥ 0.85 (median of the runs' ratios), heap growth ≤ 64 MiB. It
 * reports; a missed target is not a failure (a failed check is: each app run checks the SHA-256 of
 * the file Bob saves).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, expect, type BrowserContext, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../e2e/chromium';
import { expectChatWith, firstRun, pairByCodes } from '../e2e/people';
import { LocalApp, epochNow, median } from './local-app';
import {
  threadCpuSeconds,
  threadSnapshot,
  udpCounters,
  type ThreadSnapshot,
  type UdpCounters,
} from './thread-cpu';
import { printSplit, splitByThread, traceFor } from './trace-split';

const PREVIEW_PORTS = { first: 9600, last: 9619 };
const WORKER_PORTS = { first: 9620, last: 9649 };
const TARGET_RATIO = 0.85;
const TARGET_HEAP_MIB = 64;
const MiB = 1024 * 1024;
const CHUNK = 64 * 1024;

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    mib: { type: 'string', default: '256' },
    verbose: { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    'js-flags': { type: 'string' },
  },
});
const runs = Number(args.runs);
const size = Number(args.mib) * MiB;
const verbose = args.verbose;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Bob's JS heap through one DevTools session kept for the run (attaching a session costs the page
 * more than reading the heap does).
 */
async function heapReader(
  page: Page,
): Promise<{ used(gc?: boolean): Promise<number>; close(): Promise<void> }> {
  const cdp = await page.context().newCDPSession(page);
  return {
    async used(gc = false) {
      if (gc) await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      return usedSize;
    },
    close: async () => cdp.detach(),
  };
}

/**
 * When a button labelled `label` shows in `page`, by the page's clock (epoch ms): a MutationObserver
 * in the page notes it, so the wait neither polls the page from here (Playwright's `expect`
 * queries the whole accessibility tree each poll, CPU the app's run would be charged for and the
 * bare run is not) nor adds a poll interval to the time.
 */
async function whenButtonShows(page: Page, label: string): Promise<() => Promise<number>> {
  await page.evaluate((l) => {
    const w = window as unknown as { buttonShown?: Promise<number> };
    w.buttonShown = new Promise<number>((resolve) => {
      const selector = `button[aria-label="${CSS.escape(l)}"]`;
      const check = (): boolean => {
        if (!document.querySelector(selector)) return false;
        observer.disconnect();
        resolve(performance.timeOrigin + performance.now());
        return true;
      };
      const observer = new MutationObserver(check);
      if (!check()) observer.observe(document.body, { childList: true, subtree: true, attributes: true });
    });
  }, label);
  return async () =>
    page.evaluate(async () => (window as unknown as { buttonShown: Promise<number> }).buttonShown);
}

/** One person in a Chromium of their own with a profile on disk. */
async function personContext(profile: string, appUrl: string): Promise<BrowserContext> {
  const base = chromiumLaunchOptions();
  const extra = args['js-flags'];
  const context = await chromium.launchPersistentContext(profile, {
    ...base,
    ...(extra ? { args: [...(base.args ?? []), `--js-flags=${extra}`] } : {}),
    baseURL: appUrl,
    serviceWorkers: 'block',
    acceptDownloads: true,
  });
  await context.addInitScript(() => {
    if (localStorage.getItem('secmsg.iceServers') === null) localStorage.setItem('secmsg.iceServers', '[]');
  });
  // tsx keeps function names by wrapping named inner functions in __name(…), which pages lack.
  await context.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  return context;
}

/**
 * The bare path: a page in each browser, one RTCDataChannel between them (SDP passed by this
 * script), `size` bytes in 64 KiB messages with the app's flow-control marks; resolves to MiB/s.
 */
/** The whole machine's CPU time so far, busy and in all (jiffies, from /proc/stat's first line). */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]!
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    // idle and iowait are not busy.
    return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total };
  } catch {
    return undefined; // not Linux: not reported
  }
}

/** How busy the machine was between two samples, and its busy CPU seconds per MiB moved. */
interface CpuUse {
  busyShare: number;
  cpuSecondsPerMiB: number;
}

function cpuUse(
  before: ReturnType<typeof machineCpu>,
  after: ReturnType<typeof machineCpu>,
): CpuUse | undefined {
  if (!before || !after || after.total <= before.total) return undefined;
  const busy = after.busy - before.busy;
  // Jiffies are USER_HZ ticks (100 a second on Linux), counted for every core.
  return { busyShare: busy / (after.total - before.total), cpuSecondsPerMiB: busy / 100 / (size / MiB) };
}

const CORES = (() => {
  try {
    return (
      readFileSync('/proc/stat', 'utf8')
        .split('\n')
        .filter((l) => /^cpu\d/.test(l)).length || 1
    );
  } catch {
    return 1;
  }
})();

/** --diagnose: CPU seconds per MiB by process kind and thread, for the bare and the app path. */
type Path = BarePath | 'app';
const threadCpu: Record<Path, Map<string, number[]>> = {
  bare: new Map(),
  disk: new Map(),
  sealed: new Map(),
  app: new Map(),
};
/** --diagnose: UDP datagrams out and dropped (receive buffer full) per MiB, for each path. */
const udp: Record<Path, UdpCounters[]> = { bare: [], disk: [], sealed: [], app: [] };

function noteThreads(
  path: Path,
  before: ThreadSnapshot | undefined,
  udpBefore: UdpCounters | undefined,
): void {
  const udpAfter = udpCounters();
  if (udpBefore && udpAfter) {
    const perMiB = (n: number): number => n / (size / MiB);
    udp[path].push({
      in: perMiB(udpAfter.in - udpBefore.in),
      out: perMiB(udpAfter.out - udpBefore.out),
      dropped: perMiB(udpAfter.dropped - udpBefore.dropped),
    });
  }
  const after = threadSnapshot();
  if (!before || !after) return;
  for (const [group, seconds] of threadCpuSeconds(before, after)) {
    const list = threadCpu[path].get(group) ?? [];
    list.push(seconds / (size / MiB));
    threadCpu[path].set(group, list);
  }
}

function printThreads(): void {
  const groups = new Set(Object.values(threadCpu).flatMap((m) => [...m.keys()]));
  const med = (l: number[] | undefined): number => (l ? median(l) : 0);
  const rows = [...groups]
    .map((g) => ({
      g,
      bare: med(threadCpu.bare.get(g)),
      disk: med(threadCpu.disk.get(g)),
      sealed: med(threadCpu.sealed.get(g)),
      app: med(threadCpu.app.get(g)),
    }))
    .filter((r) => r.bare >= 0.002 || r.disk >= 0.002 || r.sealed >= 0.002 || r.app >= 0.002)
    .sort((x, y) => y.app - y.bare - (x.app - x.bare));
  for (const path of ['app', 'sealed', 'disk', 'bare'] as const) {
    const l = udp[path];
    if (l.length === 0) continue;
    console.log(
      `  UDP per MiB, ${path}: ${median(l.map((u) => u.out)).toFixed(0)} datagrams sent, ${median(l.map((u) => u.dropped)).toFixed(1)} dropped for a full receive buffer (medians; runs ${l.map((u) => u.dropped.toFixed(1)).join(', ')})`,
    );
  }
  console.log('  CPU-s per MiB by process and thread (medians), app − bare first:');
  for (const r of rows) {
    console.log(
      `    ${r.g.padEnd(44)} app ${r.app.toFixed(3)}  sealed ${r.sealed.toFixed(3)}  disk ${r.disk.toFixed(3)}  bare ${r.bare.toFixed(3)}  app − bare ${(r.app - r.bare).toFixed(3)}`,
    );
  }
}

/** A page of the app's origin with no app and no Content-Security-Policy (so a Blob worker runs). */
const PLAIN_PAGE = '/bench-plain.html';

async function plainPage(page: Page): Promise<void> {
  await page.route(`**${PLAIN_PAGE}`, async (route) =>
    route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>bench</title>' }),
  );
  await page.goto(PLAIN_PAGE);
}

/**
 * `bare`: the raw platform (the same 64 KiB message sent again and again, the receiver reading
 * each whole and dropping it). `disk`: the least any file transfer that keeps the file does on
 * top: the sender reads the file from the Origin Private File System a MiB at a time and the
 * receiver hands each message to a worker that writes it to a file there and flushes every 2 MiB
 * (as the app's receiver does), with no protocol and no cryptography. `sealed`: `disk` plus the
 * cryptography a chunk cannot go without (issue 14 and DESIGN.md, Frames), called on WebCrypto
 * directly with no protocol code around it: the sender encrypts each chunk with AES-256-GCM and
 * HMAC-SHA256s the message, up to 16 chunks ahead of the one going out (as the app's pump);
 * the receiver verifies the HMAC, decrypts and SHA-256-hashes the chunk (its Merkle leaf) before
 * writing it, in order. What no implementation of the issue can do without on this machine.
 */
type BarePath = 'bare' | 'disk' | 'sealed';

async function bareRun(a: Page, b: Page, path: BarePath): Promise<{ mibPerSecond: number; cpu?: CpuUse }> {
  // The app's origin without the app: a second tab of the app in the same profile would take part
  // in its one-tab rule (tab-lock.ts) and wake its code while the app's page is measured.
  await Promise.all([plainPage(a), plainPage(b)]);
  // Each in front in its browser, as the app's pages are for their runs: a background tab is
  // throttled and its renderer may run at a lower priority.
  await Promise.all([a.bringToFront(), b.bringToFront()]);
  const onDisk = path !== 'bare';
  // `sealed`'s AES-256-GCM and HMAC keys, the same in both pages.
  const keyBytes = [...randomBytes(64)];
  if (onDisk) {
    // The sender's file, written before the clock starts (as the app's stored copy is).
    await a.evaluate(async (total) => {
      const root = await navigator.storage.getDirectory();
      const handle = await root.getFileHandle('bench-source', { create: true });
      const writable = await handle.createWritable();
      const block = new Uint8Array(1024 * 1024);
      for (let at = 0; at < total; at += block.length) {
        crypto.getRandomValues(block.subarray(0, 65536));
        await writable.write(block);
      }
      await writable.close();
    }, size);
  }
  const offer = await a.evaluate(async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const dc = pc.createDataChannel('bare', { ordered: true });
    (window as unknown as { bare: { pc: RTCPeerConnection; dc: RTCDataChannel } }).bare = { pc, dc };
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise<void>((r) => {
      if (pc.iceGatheringState === 'complete') r();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
    });
    return pc.localDescription!.toJSON();
  });
  const answer = await b.evaluate(
    async ({ o, disk, sealedKeys }) => {
      const pc = new RTCPeerConnection({ iceServers: [] });
      const keys = sealedKeys
        ? {
            aes: await crypto.subtle.importKey(
              'raw',
              new Uint8Array(sealedKeys.slice(0, 32)),
              'AES-GCM',
              false,
              ['decrypt'],
            ),
            mac: await crypto.subtle.importKey(
              'raw',
              new Uint8Array(sealedKeys.slice(32)),
              { name: 'HMAC', hash: 'SHA-256' },
              false,
              ['verify'],
            ),
          }
        : undefined;
      let writer: Worker | undefined;
      if (disk) {
        const source = `
          let handle;
          onmessage = async (e) => {
            const m = e.data;
            if (m.op === 'open') {
              const root = await navigator.storage.getDirectory();
              const file = await root.getFileHandle('bench-received', { create: true });
              handle = await file.createSyncAccessHandle();
              handle.truncate(0);
              postMessage('open');
            } else if (m.op === 'write') handle.write(new Uint8Array(m.data), { at: m.at });
            else if (m.op === 'flush') { handle.flush(); if (m.last) { handle.close(); postMessage('done'); } }
          };`;
        writer = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })));
        const opened = new Promise((r) => writer!.addEventListener('message', r, { once: true }));
        writer.postMessage({ op: 'open' });
        await opened;
      }
      const got = new Promise<number>((resolveDone, rejectDone) => {
        pc.addEventListener('datachannel', (e) => {
          e.channel.binaryType = 'arraybuffer';
          let at = 0;
          let count = 0;
          // sealed: each message checked as it arrives, written in order once checked.
          let inOrder: Promise<void> = Promise.resolve();
          const open = async (data: ArrayBuffer): Promise<ArrayBuffer> => {
            const body = new Uint8Array(data, 0, data.byteLength - 32);
            const mac = new Uint8Array(data, data.byteLength - 32);
            if (!(await crypto.subtle.verify('HMAC', keys!.mac, mac, body))) throw new Error('bad HMAC');
            const iv = new Uint8Array(12);
            iv.set(body.subarray(0, 4), 8);
            const chunk = await crypto.subtle.decrypt({ name: 'AES-GCM', iv }, keys!.aes, body.subarray(4));
            await crypto.subtle.digest('SHA-256', chunk);
            return chunk;
          };
          e.channel.addEventListener('message', (m) => {
            if (keys) {
              const data = m.data as ArrayBuffer;
              const checked = data.byteLength === 1 ? undefined : open(data);
              checked?.catch(() => undefined); // awaited in order below
              inOrder = inOrder.then(async () => {
                if (!checked) {
                  writer!.addEventListener('message', () =>
                    resolveDone(performance.timeOrigin + performance.now()),
                  );
                  writer!.postMessage({ op: 'flush', last: true });
                  return;
                }
                const chunk = await checked;
                writer!.postMessage({ op: 'write', at, data: chunk }, [chunk]);
                at += chunk.byteLength;
                if (++count % 32 === 0) writer!.postMessage({ op: 'flush' });
              });
              inOrder.catch(rejectDone);
              return;
            }
            const data = m.data as ArrayBuffer;
            // Every message is read whole (as the app's are); the 1-byte one is the end.
            if (data.byteLength === 1) {
              if (!writer) resolveDone(performance.timeOrigin + performance.now());
              else {
                writer.addEventListener('message', () =>
                  resolveDone(performance.timeOrigin + performance.now()),
                );
                writer.postMessage({ op: 'flush', last: true });
              }
              return;
            }
            if (!writer) return;
            writer.postMessage({ op: 'write', at, data }, [data]);
            at += data.byteLength;
            if (++count % 32 === 0) writer.postMessage({ op: 'flush' });
          });
        });
      });
      (window as unknown as { bareDone: Promise<number> }).bareDone = got;
      await pc.setRemoteDescription(o);
      await pc.setLocalDescription(await pc.createAnswer());
      await new Promise<void>((r) => {
        if (pc.iceGatheringState === 'complete') r();
        pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r());
      });
      (window as unknown as { barePc: RTCPeerConnection }).barePc = pc;
      return pc.localDescription!.toJSON();
    },
    { o: offer, disk: onDisk, sealedKeys: path === 'sealed' ? keyBytes : undefined },
  );
  const cpuBefore = machineCpu();
  const threadsBefore = args.diagnose ? threadSnapshot() : undefined;
  const udpBefore = args.diagnose ? udpCounters() : undefined;
  const traced = args.trace && path === 'sealed' ? traceBoth(a, b, path) : undefined;
  const profiled = args.profile && path === 'sealed' ? profileBoth(a, b) : undefined;
  const started = await a.evaluate(
    async ({ answer: ans, total, chunk, disk, sealedKeys }) => {
      const { pc, dc } = (window as unknown as { bare: { pc: RTCPeerConnection; dc: RTCDataChannel } }).bare;
      await pc.setRemoteDescription(ans);
      if (dc.readyState !== 'open') await new Promise((r) => dc.addEventListener('open', r, { once: true }));
      dc.bufferedAmountLowThreshold = 256 * 1024;
      const piece = new Uint8Array(chunk);
      crypto.getRandomValues(piece);
      const file = disk
        ? await (await (await navigator.storage.getDirectory()).getFileHandle('bench-source')).getFile()
        : undefined;
      const blockBytes = 1024 * 1024;
      if (sealedKeys && file) {
        const aes = await crypto.subtle.importKey(
          'raw',
          new Uint8Array(sealedKeys.slice(0, 32)),
          'AES-GCM',
          false,
          ['encrypt'],
        );
        const mac = await crypto.subtle.importKey(
          'raw',
          new Uint8Array(sealedKeys.slice(32)),
          { name: 'HMAC', hash: 'SHA-256' },
          false,
          ['sign'],
        );
        const count = total / chunk;
        let blockAt = -1;
        let block: Promise<ArrayBuffer> | undefined;
        const seal = async (i: number): Promise<Uint8Array<ArrayBuffer>> => {
          const from = Math.floor((i * chunk) / blockBytes) * blockBytes;
          if (from !== blockAt) {
            blockAt = from;
            block = file.slice(from, from + blockBytes).arrayBuffer();
          }
          const plain = new Uint8Array(await block!, i * chunk - from, chunk);
          const iv = new Uint8Array(12);
          new DataView(iv.buffer).setUint32(8, i);
          const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, aes, plain);
          const message = new Uint8Array(4 + sealed.byteLength + 32);
          message.set(iv.subarray(8), 0);
          message.set(new Uint8Array(sealed), 4);
          const tag = await crypto.subtle.sign('HMAC', mac, message.subarray(0, 4 + sealed.byteLength));
          message.set(new Uint8Array(tag), 4 + sealed.byteLength);
          return message;
        };
        const start = performance.timeOrigin + performance.now();
        const ahead: Promise<Uint8Array<ArrayBuffer>>[] = [];
        let next = 0;
        for (let i = 0; i < count; i++) {
          while (ahead.length < 16 && next < count) ahead.push(seal(next++));
          const message = await ahead.shift()!;
          if (dc.bufferedAmount > 1024 * 1024) {
            await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
          }
          dc.send(message);
        }
        dc.send(new Uint8Array(1)); // the end
        return start;
      }
      const start = performance.timeOrigin + performance.now();
      let block: ArrayBuffer | undefined;
      for (let sent = 0; sent < total; sent += chunk) {
        if (dc.bufferedAmount > 1024 * 1024) {
          await new Promise((r) => dc.addEventListener('bufferedamountlow', r, { once: true }));
        }
        if (!file) {
          dc.send(piece);
          continue;
        }
        if (sent % blockBytes === 0) block = await file.slice(sent, sent + blockBytes).arrayBuffer();
        dc.send(new Uint8Array(block!, sent % blockBytes, chunk));
      }
      dc.send(new Uint8Array(1)); // the end
      return start;
    },
    { answer, total: size, chunk: CHUNK, disk: onDisk, sealedKeys: path === 'sealed' ? keyBytes : undefined },
  );
  const done = await b.evaluate(async () => (window as unknown as { bareDone: Promise<number> }).bareDone);
  const cpu = cpuUse(cpuBefore, machineCpu());
  if (args.diagnose) noteThreads(path, threadsBefore, udpBefore);
  if (traced) await traced(size / MiB / ((done - started) / 1000));
  if (profiled) await profiled;
  await Promise.all([
    a.evaluate(() => (window as unknown as { bare: { pc: RTCPeerConnection } }).bare.pc.close()),
    b.evaluate(() => (window as unknown as { barePc: RTCPeerConnection }).barePc.close()),
  ]);
  if (onDisk) {
    await Promise.all(
      [
        [a, 'bench-source'],
        [b, 'bench-received'],
      ].map(async ([p, name]) =>
        (p as Page).evaluate(
          async (n) => (await navigator.storage.getDirectory()).removeEntry(n),
          name as string,
        ),
      ),
    );
  }
  return { mibPerSecond: size / MiB / ((done - started) / 1000), ...(cpu ? { cpu } : {}) };
}

/** Diagnosis: a 6-second CPU profile of both pages, the functions with the most self time. */
async function profileBoth(alice: Page, bob: Page): Promise<void> {
  await new Promise((r) => setTimeout(r, 2_000));
  const sessions = await Promise.all(
    [alice, bob].map(async (p) => {
      const cdp = await p.context().newCDPSession(p);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
      return cdp;
    }),
  );
  await new Promise((r) => setTimeout(r, 6_000));
  for (const [i, cdp] of sessions.entries()) {
    const { profile } = await cdp.send('Profiler.stop');
    const file = join(tmpdir(), `secmsg-profile-${i === 0 ? 'alice' : 'bob'}-${Date.now()}.cpuprofile`);
    await writeFile(file, JSON.stringify(profile));
    console.log(`  profile written to ${file}`);
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parentOf = new Map<number, number>();
    for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
    const frameName = (id: number | undefined): string => {
      const n = id === undefined ? undefined : byId.get(id);
      if (!n) return '';
      const file = n.callFrame.url.split('/').pop() ?? '';
      return `${n.callFrame.functionName || '(anon)'}${file ? ` ${file}:${n.callFrame.columnNumber}` : ''}`;
    };
    const self = new Map<string, number>();
    const deltas = profile.timeDeltas ?? [];
    (profile.samples ?? []).forEach((id, k) => {
      // A native function is named with its caller, so the same built-in is told apart by use.
      const n = byId.get(id)!;
      const name = n.callFrame.url ? frameName(id) : `${frameName(id)} ← ${frameName(parentOf.get(id))}`;
      self.set(name, (self.get(name) ?? 0) + (deltas[k] ?? 0) / 1000);
    });
    const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12);
    console.log(
      `  ${i === 0 ? 'Alice' : 'Bob'} CPU (6 s): ${top.map(([n, ms]) => `${n} ${ms.toFixed(0)}ms`).join('; ')}`,
    );
    await cdp.detach();
  }
}

/**
 * Diagnosis: a 6-second Chromium trace of both browsers from 2 s into a transfer, printed once its
 * throughput is known as the renderers' threads' CPU ms per MiB by what they did (trace-split.ts).
 */
function traceBoth(alice: Page, bob: Page, what: string): (mibPerSecond: number) => Promise<void> {
  const seconds = 6;
  const traces = (async () => {
    await new Promise((r) => setTimeout(r, 2_000));
    return Promise.all([alice, bob].map(async (p) => traceFor(p, seconds * 1000)));
  })();
  return async (mibPerSecond) => {
    const mib = mibPerSecond * seconds;
    for (const [i, events] of (await traces).entries()) {
      const file = join(tmpdir(), `secmsg-trace-${what}-${i === 0 ? 'alice' : 'bob'}-${Date.now()}.json`);
      await writeFile(file, JSON.stringify({ mibPerSecond, seconds, events }));
      console.log(`  trace written to ${file}`);
      const splits = splitByThread(
        events,
        /CrRendererMain|DedicatedWorker|ThreadPool|WebRTC|Compositor|IOThread/,
      );
      for (const s of splits) {
        s.totalMs /= mib;
        s.self = s.self.map(([l, ms]) => [l, ms / mib]);
      }
      console.log(
        `  ${what}, ${i === 0 ? 'Alice' : 'Bob'}: thread CPU ms per MiB (trace of ${seconds} s, about ${mib.toFixed(0)} MiB)`,
      );
      printSplit(i === 0 ? 'Alice' : 'Bob', splits);
    }
  };
}

interface AppRun {
  mibPerSecond: number;
  cpu?: CpuUse;
  prepareMs: number;
  heapGrowthMiB: number;
}

async function appRun(alice: Page, bob: Page, path: string, hash: string, run: number): Promise<AppRun> {
  const name = `big-${run}.bin`;
  await Promise.all([alice.bringToFront(), bob.bringToFront()]);
  const picked = epochNow();
  await alice.getByLabel('Choose a file to send').setInputFiles(path);
  const accept = bob.getByRole('button', { name: `Accept ${name}` });
  await expect(accept).toBeVisible({ timeout: 120_000 });
  const prepareMs = epochNow() - picked;
  const heap = await heapReader(bob);
  const base = await heap.used(true);
  let peak = base;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await heap.used().catch(() => peak));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  const saveShown = await whenButtonShows(bob, `Save ${name}`);
  if (args.diagnose) {
    for (const p of [alice, bob]) {
      await p.evaluate(() => {
        const w = window as unknown as { lag: number[]; lagTimer?: ReturnType<typeof setInterval> };
        w.lag = [];
        let last = performance.now();
        // One timer a run: the one before stops (they were left running, one more each run).
        clearInterval(w.lagTimer);
        w.lagTimer = setInterval(() => {
          const now = performance.now();
          w.lag.push(now - last - 20);
          last = now;
        }, 20);
      });
    }
  }
  const cpuBefore = machineCpu();
  const threadsBefore = args.diagnose ? threadSnapshot() : undefined;
  const udpBefore = args.diagnose ? udpCounters() : undefined;
  // From the tap (this script's clock) to the Save button (Bob's page's): both epoch ms.
  const t0 = epochNow();
  await accept.click();
  const profiles = args.profile ? profileBoth(alice, bob) : undefined;
  const traced = args.trace ? traceBoth(alice, bob, 'app') : undefined;
  const seconds = ((await saveShown()) - t0) / 1000;
  const cpu = cpuUse(cpuBefore, machineCpu());
  if (args.diagnose) noteThreads('app', threadsBefore, udpBefore);
  sampling = false;
  await sampler;
  await heap.close();
  if (profiles) await profiles;
  if (traced) await traced(size / MiB / seconds);
  if (args.diagnose) {
    for (const [who, p] of [
      ['Alice', alice],
      ['Bob', bob],
    ] as const) {
      const lag = await p.evaluate(() => {
        const w = window as unknown as { lag: number[]; lagTimer?: ReturnType<typeof setInterval> };
        clearInterval(w.lagTimer);
        return w.lag;
      });
      const busy =
        lag.reduce((a, b) => a + Math.max(0, b), 0) /
        (lag.length * 20 + lag.reduce((a, b) => a + Math.max(0, b), 0));
      console.log(
        `  ${who} pump: ${JSON.stringify(await p.evaluate(() => (globalThis as unknown as { __pump?: unknown }).__pump ?? null))}`,
      );
      console.log(
        `  ${who}: event-loop lag median ${median(lag).toFixed(1)} ms, max ${Math.max(...lag).toFixed(0)} ms, main thread blocked ≈ ${(busy * 100).toFixed(0)} %`,
      );
    }
  }
  const save = bob.getByRole('button', { name: `Save ${name}` });
  const [download] = await Promise.all([bob.waitForEvent('download'), save.click()]);
  const saved = await download.path();
  const got = await sha256File(saved);
  if (got !== hash) throw new Error(`run ${run}: the saved file's SHA-256 differs from the original's`);
  await download.delete();
  return {
    mibPerSecond: size / MiB / seconds,
    prepareMs,
    heapGrowthMiB: (peak - base) / MiB,
    ...(cpu ? { cpu } : {}),
  };
}

async function main(): Promise<void> {
  const local = new LocalApp({
    tmpPrefix: 'secmsg-file-bench-',
    previewPorts: PREVIEW_PORTS,
    workerPorts: WORKER_PORTS,
    verbose,
  });
  const dir = await mkdtemp(join(tmpdir(), 'secmsg-file-bench-data-'));
  const contexts: BrowserContext[] = [];
  try {
    await local.start();
    const path = join(dir, 'big.bin');
    const bytes = randomBytes(size);
    await writeFile(path, bytes);
    const hash = createHash('sha256').update(bytes).digest('hex');
    const [aliceCtx, bobCtx] = await Promise.all([
      personContext(join(dir, 'alice'), local.appUrl),
      personContext(join(dir, 'bob'), local.appUrl),
    ]);
    contexts.push(aliceCtx, bobCtx);
    const alice = aliceCtx.pages()[0] ?? (await aliceCtx.newPage());
    const bob = bobCtx.pages()[0] ?? (await bobCtx.newPage());
    const [aliceBare, bobBare] = await Promise.all([aliceCtx.newPage(), bobCtx.newPage()]);
    await Promise.all([alice.goto('/'), bob.goto('/')]);
    await Promise.all([firstRun(alice, 'Alice'), firstRun(bob, 'Bob')]);
    await pairByCodes(alice, bob);
    await Promise.all([expectChatWith(alice, 'Bob'), expectChatWith(bob, 'Alice')]);

    const ratios: number[] = [];
    const app: AppRun[] = [];
    const bare: number[] = [];
    const bareCpu: CpuUse[] = [];
    const disk: number[] = [];
    const diskCpu: CpuUse[] = [];
    const sealed: number[] = [];
    const sealedCpu: CpuUse[] = [];
    for (let run = 0; run < runs; run++) {
      const { mibPerSecond: b, cpu: bCpu } = await bareRun(aliceBare, bobBare, 'bare');
      if (bCpu) bareCpu.push(bCpu);
      const { mibPerSecond: d, cpu: dCpu } = await bareRun(aliceBare, bobBare, 'disk');
      disk.push(d);
      if (dCpu) diskCpu.push(dCpu);
      const { mibPerSecond: c, cpu: cCpu } = await bareRun(aliceBare, bobBare, 'sealed');
      sealed.push(c);
      if (cCpu) sealedCpu.push(cCpu);
      // Each run's file has a name of its own (so the buttons are told apart), the same bytes.
      const runPath = join(dir, `big-${run}.bin`);
      await writeFile(runPath, bytes);
      const a = await appRun(alice, bob, runPath, hash, run);
      await rm(runPath);
      bare.push(b);
      app.push(a);
      ratios.push(a.mibPerSecond / b);
      if (verbose) {
        console.log(
          `  run ${run}: bare ${b.toFixed(1)} MiB/s, bare with the file on disk ${d.toFixed(1)} MiB/s, and sealed ${c.toFixed(1)} MiB/s, app ${a.mibPerSecond.toFixed(1)} MiB/s (ratio ${(a.mibPerSecond / b).toFixed(2)}), copy before offering ${(a.prepareMs / 1000).toFixed(1)} s, Bob's heap +${a.heapGrowthMiB.toFixed(1)} MiB`,
        );
      }
    }
    const ratio = median(ratios);
    const heap = Math.max(...app.map((a) => a.heapGrowthMiB));
    console.log(
      `File transfer, ${size / MiB} MiB in 64 KiB chunks, two Chromium processes on loopback (medians of ${runs}):`,
    );
    console.log(
      `  app ${median(app.map((a) => a.mibPerSecond)).toFixed(1)} MiB/s, bare RTCDataChannel ${median(bare).toFixed(1)} MiB/s: ratio ${ratio.toFixed(2)} (runs ${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}); target ≥ ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? 'met' : 'MISSED'}`,
    );
    const diskRatio = median(disk.map((d, i) => d / bare[i]!));
    console.log(
      `  the least a file transfer does (the bare channel, the sender reading the file and the receiver writing it, OPFS; no protocol, no crypto): ${median(disk).toFixed(1)} MiB/s, ratio ${diskRatio.toFixed(2)} to bare`,
    );
    const sealedRatio = median(sealed.map((c, i) => c / bare[i]!));
    console.log(
      `  the least a file transfer with SecMsg's cryptography does (as above, plus AES-256-GCM and HMAC-SHA256 per chunk on the sender, HMAC check, AES-GCM and SHA-256 on the receiver; WebCrypto, no protocol code): ${median(sealed).toFixed(1)} MiB/s, ratio ${sealedRatio.toFixed(2)} to bare${sealedRatio < TARGET_RATIO ? `: below the ${TARGET_RATIO} target itself` : ''}`,
    );
    console.log(
      `  Bob's JS heap growth during the transfer: at most ${heap.toFixed(1)} MiB over the runs; target ≤ ${TARGET_HEAP_MIB} MiB: ${heap <= TARGET_HEAP_MIB ? 'met' : 'MISSED'}`,
    );
    const appCpu = app.flatMap((a) => (a.cpu ? [a.cpu] : []));
    if (appCpu.length > 0 && bareCpu.length > 0 && diskCpu.length > 0 && sealedCpu.length > 0) {
      const share = (c: CpuUse[]) => (median(c.map((x) => x.busyShare)) * 100).toFixed(0);
      const perMiB = (c: CpuUse[]) => median(c.map((x) => x.cpuSecondsPerMiB)).toFixed(3);
      console.log(
        `  the machine's ${CORES} cores during the transfer (/proc/stat, medians): app ${share(appCpu)} % busy, ${perMiB(appCpu)} CPU-s per MiB; sealed ${share(sealedCpu)} %, ${perMiB(sealedCpu)}; with the file on disk ${share(diskCpu)} %, ${perMiB(diskCpu)}; bare ${share(bareCpu)} %, ${perMiB(bareCpu)}`,
      );
    }
    if (args.diagnose) printThreads();
    console.log(
      `  Alice's copy and hashing before the offer: median ${(median(app.map((a) => a.prepareMs)) / 1000).toFixed(1)} s (not in the throughput)`,
    );
  } finally {
    await Promise.all(contexts.map(async (c) => c.close().catch(() => undefined)));
    await local.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
