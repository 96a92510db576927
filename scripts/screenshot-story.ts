/**
 * The people and helpers of the README's screenshots (scripts/screenshots.ts): where the images go,
 * the two sizes and the PNG palette, the story's fixed clock, and a `Story` of browser contexts on
 * the app that bench/local-app.ts serves, with the steps every screen is reached by (role and
 * visible text, as the e2e journeys do).
 */
import { join } from 'node:path';
import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import sharp from 'sharp';
import { root } from '../bench/local-app';
import { expectChatWith, messages } from '../e2e/people';

export const OUT_DIR = join(root, 'docs', 'screenshots');
export const PREVIEW_PORTS = { first: 9200, last: 9249 };
export const WORKER_PORTS = { first: 9250, last: 9299 };
export const SIZES = [
  ['phone', { width: 390, height: 844 }],
  ['laptop', { width: 1280, height: 800 }],
] as const;
export const PHONE = SIZES[0][1];
/**
 * A palette of at most 256 colours (libimagequant, through sharp), lightly dithered: a screen of
 * flat colours and text keeps its look at about 40 % of the size (some 15 KB a phone screen, 25 KB
 * a laptop one). Below quality 70, small emoji lose their colour (a red heart turned orange).
 */
export const PNG_OPTIONS = {
  palette: true,
  colours: 256,
  quality: 80,
  dither: 0.3,
  effort: 10,
  compressionLevel: 9,
} as const;
/** When the story starts, as every page's clock tells it. */
export const STORY_START = Date.UTC(2026, 2, 13, 9, 41, 0);

export interface Person {
  name: string;
  context: BrowserContext;
  page: Page;
}

/**
 * Page code, as text (tsx would wrap named functions in a helper the page does not have): the
 * local worker as signaling server, no STUN, and Date running from STORY_START (the same shift in
 * every context, so their clocks agree with each other), moved on by `__advanceStoryClock(ms)`.
 */
export function pageScript(workerUrl: string, shiftMs: number): string {
  return `(() => {
  if (location.protocol === 'about:') return;
  if (localStorage.getItem('secmsg.signalingUrl') === null) {
    localStorage.setItem('secmsg.signalingUrl', ${JSON.stringify(workerUrl)});
    localStorage.setItem('secmsg.iceServers', '[]');
  }
  const NativeDate = Date;
  let shift = ${shiftMs};
  globalThis.__advanceStoryClock = (ms) => {
    shift += ms;
  };
  const Shifted = function (...args) {
    if (!new.target) return new NativeDate(NativeDate.now() + shift).toString();
    return args.length === 0 ? new NativeDate(NativeDate.now() + shift) : new NativeDate(...args);
  };
  Shifted.prototype = NativeDate.prototype;
  Shifted.now = () => NativeDate.now() + shift;
  Shifted.parse = NativeDate.parse;
  Shifted.UTC = NativeDate.UTC;
  globalThis.Date = Shifted;
})();`;
}

export class Story {
  readonly written: string[] = [];
  private readonly people: Person[] = [];

  constructor(
    private readonly browser: Browser,
    private readonly appUrl: string,
    private readonly workerUrl: string,
    private shiftMs: number,
    private readonly verbose: boolean,
  ) {}

  /**
   * A new context on the app's start page (not through its first run yet); `faults` are init
   * scripts of e2e/faults.ts, added before the page loads.
   */
  async person(name: string, url = '/', faults: (() => void)[] = []): Promise<Person> {
    const context = await this.browser.newContext({
      baseURL: this.appUrl,
      viewport: PHONE,
      deviceScaleFactor: 1,
      locale: 'en-US',
      timezoneId: 'UTC',
      colorScheme: 'light',
      reducedMotion: 'reduce',
    });
    await context.addInitScript({ content: pageScript(this.workerUrl, this.shiftMs) });
    for (const fault of faults) await context.addInitScript(fault);
    const page = await context.newPage();
    await page.goto(url);
    const p = { name, context, page };
    this.people.push(p);
    return p;
  }

  /**
   * The current screen at both widths, then back to phone width. `prepare` runs after each resize
   * (to scroll something into view, say), before the picture.
   */
  async shot(page: Page, screen: string, prepare?: () => Promise<void>): Promise<void> {
    await dismissNotes(page);
    for (const [label, size] of SIZES) {
      await page.setViewportSize(size);
      if (prepare) await prepare();
      // Two frames: the layout after the resize (and any scroll) is drawn.
      await page.evaluate(
        async () =>
          new Promise<void>((done) => requestAnimationFrame(() => requestAnimationFrame(() => done()))),
      );
      const path = join(OUT_DIR, `${screen}-${label}.png`);
      const png = await page.screenshot({ animations: 'disabled', caret: 'hide' });
      await sharp(png).png(PNG_OPTIONS).toFile(path);
      this.written.push(path);
      if (this.verbose) console.log(`  ${screen}-${label}.png`);
    }
    await page.setViewportSize(PHONE);
  }

  /** Moves every page's clock on together (so that the story's messages are minutes apart). */
  async advance(minutes: number): Promise<void> {
    const ms = minutes * 60_000;
    this.shiftMs += ms;
    await Promise.all(
      this.people.map(async (p) =>
        p.page.evaluate(
          (by) => (window as unknown as { __advanceStoryClock(ms: number): void }).__advanceStoryClock(by),
          ms,
        ),
      ),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.people.map(async (p) => p.context.close().catch(() => undefined)));
  }
}

/** A screen of the main navigation (on a phone, a chat covers it: back to the list first). */
export async function goTo(page: Page, item: 'Conversations' | 'Pair' | 'Settings'): Promise<void> {
  const back = page.getByRole('button', { name: 'Back to conversations' });
  if (await back.isVisible()) await back.click();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: item }).click();
  const heading = { Conversations: 'Conversations', Pair: 'Pair with someone', Settings: 'Settings' }[item];
  await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
}

/** Dismisses the one-time "ready to work offline" note, which would sit over the screen. */
export async function dismissNotes(page: Page): Promise<void> {
  const note = page.getByRole('status').filter({ hasText: 'ready to work offline' });
  if (await note.isVisible()) {
    await note.getByRole('button', { name: 'OK' }).click();
    await expect(note).toBeHidden();
  }
}

/** The bubble (list item) of the newest message with this text. */
export const bubble = (page: Page, text: string) =>
  messages(page).getByRole('listitem').filter({ hasText: text }).last();

export async function messageAction(page: Page, text: string, action: string): Promise<void> {
  const li = bubble(page, text);
  await li.getByRole('button', { name: 'More actions for this message' }).click();
  await li.getByRole('group', { name: 'Message actions' }).getByRole('button', { name: action }).click();
}

/** Opens the chat with `name` from the list (any width). */
export async function openChat(page: Page, name: string): Promise<void> {
  if (await page.getByRole('heading', { name: `Chat with ${name}` }).isVisible()) return;
  await goTo(page, 'Conversations');
  await page
    .getByRole('list', { name: 'Conversations' })
    .getByRole('listitem')
    .filter({ hasText: name })
    .getByRole('button', { name: new RegExp(name) })
    .first()
    .click();
  await expectChatWith(page, name);
}

/** Scrolls the chat to its newest message (the scrolling box around the message list, whichever it is). */
export async function toNewest(page: Page): Promise<void> {
  await messages(page).evaluate((list) => {
    for (let box = list.parentElement; box; box = box.parentElement) {
      if (box.scrollHeight > box.clientHeight && getComputedStyle(box).overflowY !== 'visible') {
        box.scrollTop = box.scrollHeight;
        return;
      }
    }
  });
}

/** Takes the name a new contact announced as one's own (the chat's "Keep this name"). */
export async function keepName(page: Page): Promise<void> {
  const keep = page.getByRole('button', { name: 'Keep this name' });
  await keep.click();
  await expect(keep).toBeHidden();
}

export async function connected(page: Page): Promise<void> {
  await expect(page.getByTestId('connection-state')).toHaveText(/Connected securely/, { timeout: 30_000 });
}
