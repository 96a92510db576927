/**
 * Which Firefox the Firefox journeys drive, and how: $SECMSG_FIREFOX if set, else Debian's
 * /usr/bin/firefox-esr, else /usr/bin/firefox; driven by puppeteer-core over WebDriver BiDi.
 *
 * Why this driver: Playwright drives only its own patched Firefox build (its Juggler protocol),
 * which cannot be downloaded here, and against a stock Firefox its commands fail
 * (`emulation.setMediaFeaturesOverride` is unknown to firefox-esr). WebDriver BiDi is the
 * standard protocol stock Firefox speaks itself; puppeteer-core speaks it and never downloads a
 * browser. Each person gets a BiDi user context (`browser.createBrowserContext()`), a profile of
 * their own: storage, IndexedDB, service workers and locks are kept apart.
 */
import { existsSync } from 'node:fs';
import type { LaunchOptions } from 'puppeteer-core';

export function firefoxExecutable(): string | undefined {
  const fromEnv = process.env['SECMSG_FIREFOX'];
  if (fromEnv) return fromEnv;
  for (const path of ['/usr/bin/firefox-esr', '/usr/bin/firefox']) if (existsSync(path)) return path;
  return undefined;
}

/**
 * Preferences for the tests' network: WebRTC on loopback and host addresses shown as they are
 * (Firefox hides them behind mDNS names that nothing resolves here), and no background traffic to
 * Mozilla's servers, which this closed network cannot reach.
 */
export const FIREFOX_PREFS: Record<string, unknown> = {
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'app.update.enabled': false,
  'app.normandy.enabled': false,
  'browser.safebrowsing.downloads.remote.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.healthreport.uploadEnabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'extensions.update.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'toolkit.telemetry.enabled': false,
};

/** Launch options for puppeteer-core's `launch()`; fails with a sentence when no Firefox is found. */
export function firefoxLaunchOptions(): LaunchOptions {
  const executablePath = firefoxExecutable();
  if (!executablePath) {
    throw new Error(
      "No Firefox was found: install Debian's firefox-esr (sudo apt-get install firefox-esr; .ci/run does this in CI) or name the binary in SECMSG_FIREFOX.",
    );
  }
  return {
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
  };
}
