/**
 * Where the app finds its signaling worker and which ICE servers it uses. Build-time defaults
 * (VITE_SIGNALING_URL, VITE_ICE_SERVERS as JSON) can be overridden in settings, which are kept
 * in localStorage.
 */
import { DEFAULT_ICE_SERVERS } from '../rtc/simple-peer-transport';

export interface AppConfig {
  /** Base URL of the signaling worker, or '' when none is configured. */
  signalingUrl: string;
  iceServers: RTCIceServer[];
}

const SIGNALING_KEY = 'secmsg.signalingUrl';
const ICE_KEY = 'secmsg.iceServers';

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
  };
}

export function saveConfig(config: AppConfig, storage: Pick<Storage, 'setItem'> = localStorage): void {
  storage.setItem(SIGNALING_KEY, config.signalingUrl);
  storage.setItem(ICE_KEY, JSON.stringify(config.iceServers));
}
