/**
 * Which Chromium the browser tests and the browser benchmark drive, and its flags: $SECMSG_CHROMIUM
 * (or $CHROMIUM_PATH) if set, else Debian's /usr/bin/chromium if present, else Playwright's own.
 */
import { existsSync } from 'node:fs';

export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env['SECMSG_CHROMIUM'] ?? process.env['CHROMIUM_PATH'];
  if (fromEnv) return fromEnv;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined;
}

/** Headless flags that work on these machines (no background traffic to a closed network). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch options for Playwright's chromium. */
export function chromiumLaunchOptions(): { executablePath?: string; args: string[] } {
  const executablePath = chromiumExecutable();
  return { ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS };
}
