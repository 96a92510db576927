import { describe, expect, it } from 'vitest';
import { releaseBuffer } from './bytes';

describe('releaseBuffer', () => {
  it('detaches the buffer under a view: every view on it becomes empty', () => {
    const buffer = new ArrayBuffer(65536);
    const whole = new Uint8Array(buffer);
    const part = whole.subarray(100, 200);
    releaseBuffer(part);
    expect(buffer.byteLength).toBe(0);
    expect(whole.length).toBe(0);
    expect(part.length).toBe(0);
  });

  it('leaves alone what cannot be detached, without throwing', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const wasm = new Uint8Array(memory.buffer);
    expect(() => releaseBuffer(wasm)).not.toThrow();
    expect(wasm.length).toBe(65536);
    const shared = new Uint8Array(new SharedArrayBuffer(16));
    releaseBuffer(shared);
    expect(shared.length).toBe(16);
  });

  it('releasing twice is harmless', () => {
    const bytes = new Uint8Array(8);
    releaseBuffer(bytes);
    expect(() => releaseBuffer(bytes)).not.toThrow();
  });
});
