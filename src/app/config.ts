/**
 * Where the app finds its signaling worker and which ICE servers it uses. Build-time defaults
 * (VITE_SIGNALING_URL, VITE_ICE_SERVERS as JSON) can be overridden in settings, which are kept
 * in localStorage.
 */
import { DEFAULT_ICE_SERVERS } from '../rtc/ice-servers';
import { clearNotificationSettings } from './feature-settings';
import { forgetPushSubscription } from './push-subscription-store';
import type { FeatureSettings } from './record-effects';

export interface AppConfig {
  /** Base URL of the signaling worker, or '' when none is configured. */
  signalingUrl: string;
  iceServers: RTCIceServer[];
  /**
   * "Always relay (hide my IP address)": live connections go through the worker relay only, so no
   * address of this device reaches a contact (DESIGN.md, Routes and delivery). Off when absent.
   */
  alwaysRelay?: boolean;
  /**
   * 'relay': WebRTC connections use TURN-relayed candidates only (RTCConfiguration's
   * iceTransportPolicy), from the user's servers and the worker's. Tests set it; 'all' when absent.
   */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /**
   * Read receipts: sent, and the contact's shown (mutual, as in Signal: off means neither). On
   * unless false.
   */
  readReceipts?: boolean;
  /** The typing indicator: sent, and the contact's shown (mutual too). On unless false. */
  typingIndicator?: boolean;
}

/** The conversation features' settings of a config (src/app/record-effects.ts): on unless turned off. */
export function featureSettings(config: AppConfig): FeatureSettings {
  return { readReceipts: config.readReceipts !== false, typingIndicator: config.typingIndicator !== false };
}

const SIGNALING_KEY = 'secmsg.signalingUrl';
const ICE_KEY = 'secmsg.iceServers';
const ALWAYS_RELAY_KEY = 'secmsg.alwaysRelay';
const ICE_POLICY_KEY = 'secmsg.iceTransportPolicy';
const READ_RECEIPTS_KEY = 'secmsg.readReceipts';
const TYPING_KEY = 'secmsg.typingIndicator';

function defaultSignalingUrl(): string {
  const fromBuild = import.meta.env['VITE_SIGNALING_URL'] as string | undefined;
  if (fromBuild) return fromBuild;
  // In development the local worker (`npm start`) runs beside the app, on port 8787.
  if (import.meta.env.DEV)
    return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.hostname}:8787`;
  return '';
}

function defaultIceServers(): RTCIceServer[] {
  const fromBuild = import.meta.env['VITE_ICE_SERVERS'] as string | undefined;
  if (fromBuild) {
    const parsed = parseIceServers(fromBuild);
    if (parsed) return parsed;
  }
  return DEFAULT_ICE_SERVERS;
}

/** Parses a JSON list of ICE servers; undefined when it is not one. */
export function parseIceServers(text: string): RTCIceServer[] | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return undefined;
    const ok = value.every((s: unknown) => {
      if (typeof s !== 'object' || s === null) return false;
      const urls = (s as { urls?: unknown }).urls;
      return typeof urls === 'string' || (Array.isArray(urls) && urls.every((u) => typeof u === 'string'));
    });
    return ok ? (value as RTCIceServer[]) : undefined;
  } catch {
    return undefined;
  }
}

export function loadConfig(storage: Pick<Storage, 'getItem'> = localStorage): AppConfig {
  const signalingUrl = storage.getItem(SIGNALING_KEY) ?? defaultSignalingUrl();
  const ice = storage.getItem(ICE_KEY);
  return {
    signalingUrl,
    iceServers: (ice !== null ? parseIceServers(ice) : undefined) ?? defaultIceServers(),
    ...(storage.getItem(ALWAYS_RELAY_KEY) === '1' ? { alwaysRelay: true } : {}),
    ...(storage.getItem(ICE_POLICY_KEY) === 'relay' ? { iceTransportPolicy: 'relay' as const } : {}),
    ...(storage.getItem(READ_RECEIPTS_KEY) === '0' ? { readReceipts: false } : {}),
    ...(storage.getItem(TYPING_KEY) === '0' ? { typingIndicator: false } : {}),
  };
}

export function saveConfig(config: AppConfig, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(SIGNALING_KEY, config.signalingUrl);
  storage.setItem(ICE_KEY, JSON.stringify(config.iceServers));
  storage.setItem(ALWAYS_RELAY_KEY, config.alwaysRelay ? '1' : '0');
  storage.setItem(ICE_POLICY_KEY, config.iceTransportPolicy ?? 'all');
  storage.setItem(READ_RECEIPTS_KEY, config.readReceipts === false ? '0' : '1');
  storage.setItem(TYPING_KEY, config.typingIndicator === false ? '0' : '1');
}

export function clearConfig(storage: Pick<Storage, 'removeItem'> = localStorage): void {
  storage.removeItem(SIGNALING_KEY);
  storage.removeItem(ICE_KEY);
  storage.removeItem(ALWAYS_RELAY_KEY);
  storage.removeItem(ICE_POLICY_KEY);
  storage.removeItem(READ_RECEIPTS_KEY);
  storage.removeItem(TYPING_KEY);
  clearNotificationSettings(storage);
  forgetPushSubscription(storage);
}

/**
 * The origins this build's Content-Security-Policy lets the page connect to for signaling, or
 * undefined when the page runs without that policy (development, unit tests).
 */
export function allowedSignalingOrigins(): readonly string[] | undefined {
  const origins = typeof __SECMSG_CONNECT_ORIGINS__ === 'undefined' ? ['*'] : __SECMSG_CONNECT_ORIGINS__;
  return origins.includes('*') ? undefined : origins;
}

/**
 * Why a signaling URL cannot be used, as a sentence; undefined when it can ('' means none). The
 * page's own origin (CSP 'self') is always allowed.
 */
export function signalingProblem(
  url: string,
  allowed: readonly string[] | undefined = allowedSignalingOrigins(),
  pageOrigin: string = location.origin,
): string | undefined {
  if (url === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'The signaling server must be a full address like wss://signal.example.org.';
  }
  const ws = { 'http:': 'ws:', 'https:': 'wss:', 'ws:': 'ws:', 'wss:': 'wss:' }[parsed.protocol];
  if (ws === undefined) {
    return 'The signaling server address must start with wss://, ws://, https:// or http://.';
  }
  if (allowed === undefined) return undefined;
  const target = `${ws}//${parsed.host}`;
  const page = new URL(pageOrigin);
  const self = `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}`;
  if (target === self || allowed.includes(target)) return undefined;
  const servers = allowed.filter((o) => o.startsWith('ws'));
  return servers.length > 0
    ? `This copy of SecMsg may only connect to ${servers.join(' or ')} for signaling (its security policy says so). Use that server, or a copy of the app built for yours.`
    : 'This copy of SecMsg was built without a signaling server, and its security policy allows no other: pair with invite codes.';
}
