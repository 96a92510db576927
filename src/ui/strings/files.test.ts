import { describe, expect, it } from 'vitest';
import { duration, fileWord, progress, size, sizeAndFree } from './files';

describe('file words', () => {
  it('writes sizes in binary units: bytes, whole KiB, MiB and up with one decimal', () => {
    expect(size(1)).toBe('1 byte');
    expect(size(3)).toBe('3 bytes');
    expect(size(1023)).toBe('1023 bytes');
    expect(size(1024)).toBe('1 KiB');
    expect(size(120 * 1024)).toBe('120 KiB');
    expect(size(50 * 1024 * 1024)).toBe('50.0 MiB');
    expect(size(12.3 * 1024 ** 3)).toBe('12.3 GiB');
  });

  it('writes progress in the unit of the whole', () => {
    expect(progress(12.5 * 1024 * 1024, 50 * 1024 * 1024)).toBe('12.5 of 50.0 MiB');
    expect(progress(0, 50 * 1024 * 1024)).toBe('0.0 of 50.0 MiB');
    expect(progress(64 * 1024, 200 * 1024)).toBe('64 of 200 KiB');
    expect(progress(2, 3)).toBe('2 of 3 bytes');
  });

  it('writes durations as m:ss and the free space only when known', () => {
    expect(duration(4_000)).toBe('0:04');
    expect(duration(3_600)).toBe('0:04');
    expect(duration(754_000)).toBe('12:34');
    expect(sizeAndFree('50.0 MiB', '12.3 GiB')).toBe('50.0 MiB · 12.3 GiB free on this device');
    expect(sizeAndFree('50.0 MiB', undefined)).toBe('50.0 MiB');
  });

  it('names a file message by its kind where its text would be', () => {
    expect(fileWord('image', 'a.jpg')).toBe('Photo');
    expect(fileWord('video', 'a.mp4')).toBe('Video');
    expect(fileWord('voice', 'Voice note.webm')).toBe('Voice note');
    expect(fileWord('file', 'report.pdf')).toBe('File: report.pdf');
  });
});
