import { describe, expect, it } from 'vitest';
import {
  clearConfig,
  featureSettings,
  loadConfig,
  parseIceServers,
  saveConfig,
  signalingProblem,
} from './config';

describe('signalingProblem', () => {
  const page = 'https://app.example.org';
  const allowed = ['wss://signal.example.org', 'https://signal.example.org'];

  it('allows nothing to be set, and any well-formed URL where no policy applies', () => {
    expect(signalingProblem('', allowed, page)).toBeUndefined();
    expect(signalingProblem('wss://anything.example', undefined, page)).toBeUndefined();
  });

  it('allows the build’s signaling origin in ws(s) or http(s) form, and the page’s own', () => {
    expect(signalingProblem('wss://signal.example.org', allowed, page)).toBeUndefined();
    expect(signalingProblem('https://signal.example.org/', allowed, page)).toBeUndefined();
    expect(signalingProblem('wss://app.example.org/signal', allowed, page)).toBeUndefined();
  });

  it('refuses other origins, schemes and malformed URLs with sentences', () => {
    expect(signalingProblem('wss://evil.example', allowed, page)).toMatch(
      /may only connect to wss:\/\/signal\.example\.org/,
    );
    expect(signalingProblem('ws://signal.example.org', allowed, page)).toMatch(/may only connect/);
    expect(signalingProblem('ftp://signal.example.org', allowed, page)).toMatch(/must start with/);
    expect(signalingProblem('signal.example.org', allowed, page)).toMatch(/full address/);
    expect(signalingProblem('wss://x.example', [], page)).toMatch(/built without a signaling server/);
  });
});

describe('parseIceServers', () => {
  it('takes a JSON list of servers and nothing else', () => {
    expect(parseIceServers('[{"urls":"stun:a.example:3478"}]')).toEqual([{ urls: 'stun:a.example:3478' }]);
    expect(parseIceServers('[]')).toEqual([]);
    expect(parseIceServers('{"urls":"stun:a"}')).toBeUndefined();
    expect(parseIceServers('[{"url":"stun:a"}]')).toBeUndefined();
    expect(parseIceServers('nope')).toBeUndefined();
  });
});

describe('read receipts and the typing indicator', () => {
  const memory = () => {
    // A signaling URL set, so that no default is read from the page's location.
    const items = new Map<string, string>([['secmsg.signalingUrl', '']]);
    return {
      getItem: (k: string) => items.get(k) ?? null,
      setItem: (k: string, v: string) => void items.set(k, v),
      removeItem: (k: string) => void items.delete(k),
    };
  };

  it('are on by default, turn off and on again, and are forgotten on clear', () => {
    const storage = memory();
    const fresh = loadConfig(storage);
    expect(featureSettings(fresh)).toEqual({ readReceipts: true, typingIndicator: true });
    saveConfig({ ...fresh, readReceipts: false }, storage);
    expect(featureSettings(loadConfig(storage))).toEqual({ readReceipts: false, typingIndicator: true });
    saveConfig({ ...loadConfig(storage), typingIndicator: false }, storage);
    expect(featureSettings(loadConfig(storage))).toEqual({ readReceipts: false, typingIndicator: false });
    saveConfig({ ...loadConfig(storage), readReceipts: true, typingIndicator: true }, storage);
    expect(featureSettings(loadConfig(storage))).toEqual({ readReceipts: true, typingIndicator: true });
    saveConfig({ ...loadConfig(storage), readReceipts: false }, storage);
    clearConfig(storage);
    storage.setItem('secmsg.signalingUrl', '');
    expect(featureSettings(loadConfig(storage))).toEqual({ readReceipts: true, typingIndicator: true });
  });
});

describe('delete everything', () => {
  it('forgets the notification choices and the wake-up subscription with the settings', () => {
    const items = new Map<string, string>([
      ['secmsg.signalingUrl', 'wss://example.invalid'],
      ['secmsg.notifications', '1'],
      ['secmsg.notificationPreviews', '1'],
      ['secmsg.wakeUps', '{"endpoint":"https://push.example.invalid/x","keys":{}}'],
      ['unrelated', 'kept'],
    ]);
    clearConfig({ removeItem: (k: string) => void items.delete(k) });
    expect([...items.keys()]).toEqual(['unrelated']);
  });
});
