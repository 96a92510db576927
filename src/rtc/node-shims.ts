/**
 * The two Node globals simple-peer's dependencies read when they load, provided in the browser:
 * `global` (randombytes reads `global.crypto`) and `process` (readable-stream calls
 * `process.nextTick`; debug reads `process.env`), from the `process` package's browser build.
 * Imported first by simple-peer-transport.ts, the only module that imports simple-peer, so it
 * runs before them. Under Node both already exist and nothing changes.
 */
import process from 'process';

const scope = globalThis as unknown as Record<string, unknown>;
if (scope['global'] === undefined) scope['global'] = globalThis;
if (scope['process'] === undefined) scope['process'] = process;
