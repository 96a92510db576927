/**
 * The two Node globals simple-peer's dependencies read when they load, provided in the browser:
 * `global` (randombytes reads `global.crypto`) and `process` (readable-stream calls
 * `process.nextTick`; debug reads `process.env`), from the `process` package's browser build.
 * Imported first by simple-peer-transport.ts, the only module that imports simple-peer, so it
 * runs before them. Under Node both already exist and nothing changes.
 *
 * The browser `process` package runs `nextTick` callbacks on a timer; every DataChannel message
 * passes through readable-stream's nextTick, so that timer added a clamped macrotask hop to each
 * message (measured: ~0.1 ms on a 0.5 ms loopback round trip). A microtask is what Node's
 * nextTick is closest to, and costs nothing extra.
 */
import process from 'process';

const scope = globalThis as unknown as Record<string, unknown>;
if (scope['global'] === undefined) scope['global'] = globalThis;
if (scope['process'] === undefined) {
  process.nextTick = (fn: (...args: unknown[]) => void, ...args: unknown[]): void => {
    queueMicrotask(() => fn(...args));
  };
  scope['process'] = process;
}
