/**
 * A small W3C WebDriver client (https://www.w3.org/TR/webdriver2/) over fetch: only the commands
 * the WebKit smoke journey needs (scripts/webkit-smoke.ts). Failures are `WebDriverError`s whose
 * message is a sentence naming the command and what the driver said.
 */

/** The key under which an element reference travels (W3C WebDriver §12.1, "web element identifier"). */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';
const COMMAND_TIMEOUT_MS = 30_000;

export class WebDriverError extends Error {
  override readonly name = 'WebDriverError';
  /** The W3C error code ('no such element', 'javascript error'…), or 'unreachable' / 'timeout'. */
  constructor(
    readonly code: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
  static is(e: unknown, code?: string): e is WebDriverError {
    return e instanceof WebDriverError && (code === undefined || e.code === code);
  }
}

/** Where to find an element: a CSS selector or an XPath expression (W3C WebDriver §12.2). */
export type Locator = { css: string } | { xpath: string };

/** An element reference, valid until the page it was found in goes away. */
export interface ElementRef {
  readonly id: string;
  /** How it was found, for messages. */
  readonly what: string;
}

export interface WebDriverSession {
  readonly id: string;
  /** The capabilities the driver matched (browserName, browserVersion…). */
  readonly capabilities: Readonly<Record<string, unknown>>;
  navigate(url: string): Promise<void>;
  refresh(): Promise<void>;
  /** The first element matching `locator`, or undefined when there is none right now. */
  find(locator: Locator): Promise<ElementRef | undefined>;
  /** Waits up to `timeoutMs` for an element; throws a sentence naming `what` when none appears. */
  waitFor(locator: Locator, what: string, timeoutMs: number): Promise<ElementRef>;
  click(element: ElementRef): Promise<void>;
  type(element: ElementRef, text: string): Promise<void>;
  text(element: ElementRef): Promise<string>;
  /** Runs `script` in the page with a callback as last argument (W3C §13.2.2); resolves to what it passes. */
  executeAsync(script: string, args?: readonly unknown[]): Promise<unknown>;
  executeSync(script: string, args?: readonly unknown[]): Promise<unknown>;
  /** Ends the session (the driver closes the browser). */
  close(): Promise<void>;
}

/** `element` as a script argument (W3C WebDriver §13.2: the page receives the DOM element). */
export function elementArg(element: ElementRef): Record<string, string> {
  return { [ELEMENT_KEY]: element.id };
}

const describe = (locator: Locator): string => ('css' in locator ? locator.css : locator.xpath);

/** One command: `method path` against the driver at `base`, the value of its answer or a WebDriverError. */
async function command(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const what = `${method} ${path}`;
  let response: Response;
  try {
    response = await fetch(new URL(path, base), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS),
    });
  } catch (cause) {
    const timedOut = cause instanceof DOMException && cause.name === 'TimeoutError';
    throw new WebDriverError(
      timedOut ? 'timeout' : 'unreachable',
      timedOut
        ? `The WebDriver command ${what} got no answer within ${COMMAND_TIMEOUT_MS / 1000} s.`
        : `The WebDriver server at ${base} could not be reached for ${what}.`,
      { cause },
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new WebDriverError(
      'invalid answer',
      `The WebDriver command ${what} answered HTTP ${response.status} with something that is not JSON.`,
      { cause },
    );
  }
  const value = typeof parsed === 'object' && parsed !== null && 'value' in parsed ? parsed.value : undefined;
  if (!response.ok) {
    const error = field(value, 'error') ?? `HTTP ${response.status}`;
    const message = field(value, 'message') ?? '';
    throw new WebDriverError(
      error,
      `The WebDriver command ${what} failed: ${error}${message ? `: ${message.trim().replace(/\.$/, '')}` : ''}.`,
    );
  }
  return value;
}

function field(value: unknown, name: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(name in value)) return undefined;
  const v = (value as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : undefined;
}

function elementId(value: unknown, what: string): string {
  const id = field(value, ELEMENT_KEY);
  if (id === undefined) {
    throw new WebDriverError('invalid answer', `The WebDriver server did not return an element for ${what}.`);
  }
  return id;
}

const sleep = async (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens a session on the driver at `url` (e.g. http://127.0.0.1:4455/) with these capabilities. */
export async function createWebDriverSession(options: {
  url: string;
  alwaysMatch: Readonly<Record<string, unknown>>;
}): Promise<WebDriverSession> {
  const base = options.url;
  const created = await command(base, 'POST', 'session', {
    capabilities: { alwaysMatch: options.alwaysMatch },
  });
  const id = field(created, 'sessionId');
  const capabilities = (created as { capabilities?: unknown } | undefined)?.capabilities;
  if (id === undefined || typeof capabilities !== 'object' || capabilities === null) {
    throw new WebDriverError('invalid answer', 'The WebDriver server did not return a session id.');
  }
  const at = (path: string) => `session/${id}/${path}`;
  const locate = (locator: Locator) =>
    'css' in locator
      ? { using: 'css selector', value: locator.css }
      : { using: 'xpath', value: locator.xpath };

  const session: WebDriverSession = {
    id,
    capabilities: capabilities as Record<string, unknown>,
    async navigate(url) {
      await command(base, 'POST', at('url'), { url });
    },
    async refresh() {
      await command(base, 'POST', at('refresh'), {});
    },
    async find(locator) {
      const what = describe(locator);
      const found = await command(base, 'POST', at('elements'), locate(locator));
      if (!Array.isArray(found) || found.length === 0) return undefined;
      return { id: elementId(found[0], what), what };
    },
    async waitFor(locator, what, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const element = await session.find(locator);
        if (element) return element;
        if (Date.now() > deadline) {
          throw new WebDriverError('timeout', `${what} did not appear within ${timeoutMs / 1000} s.`);
        }
        await sleep(200);
      }
    },
    async click(element) {
      await command(base, 'POST', at(`element/${element.id}/click`), {});
    },
    async type(element, text) {
      await command(base, 'POST', at(`element/${element.id}/value`), { text });
    },
    async text(element) {
      const value = await command(base, 'GET', at(`element/${element.id}/text`));
      if (typeof value !== 'string') {
        throw new WebDriverError(
          'invalid answer',
          `The WebDriver server returned no text for ${element.what}.`,
        );
      }
      return value;
    },
    async executeAsync(script, args = []) {
      return command(base, 'POST', at('execute/async'), { script, args });
    },
    async executeSync(script, args = []) {
      return command(base, 'POST', at('execute/sync'), { script, args });
    },
    async close() {
      await command(base, 'DELETE', `session/${id}`);
    },
  };
  return session;
}

/** Waits until the driver at `url` answers GET /status with ready: true. */
export async function waitForDriver(url: string, timeoutMs: number, exited: () => string | undefined) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const gone = exited();
    if (gone !== undefined) throw new WebDriverError('unreachable', gone);
    try {
      const status = await command(url, 'GET', 'status');
      if (typeof status === 'object' && status !== null && 'ready' in status && status.ready === true) return;
    } catch (e) {
      if (!WebDriverError.is(e, 'unreachable')) throw e;
    }
    if (Date.now() > deadline) {
      throw new WebDriverError(
        'timeout',
        `The WebDriver server at ${url} was not ready within ${timeoutMs / 1000} s.`,
      );
    }
    await sleep(100);
  }
}
