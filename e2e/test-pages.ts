/**
 * Test-only pages (e2e-pages/*.html) are not part of the app's build: they are built here with
 * the project's own vite.config.ts into a temporary folder and served with `vite preview` on a
 * port of their own, so they exercise the production bundle without shipping a test page.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface TestPages {
  /** The URL of e2e-pages/<name>.html. */
  url(name: string): string;
  close(): Promise<void>;
}

export async function serveTestPages(): Promise<TestPages> {
  const outDir = await mkdtemp(join(tmpdir(), 'secmsg-e2e-pages-'));
  const pages = (await readdir(join(root, 'e2e-pages'))).filter((f) => f.endsWith('.html'));
  await build({
    root,
    configFile: join(root, 'vite.config.ts'),
    logLevel: 'warn',
    build: {
      outDir,
      emptyOutDir: true,
      rolldownOptions: {
        input: Object.fromEntries(pages.map((f) => [f.replace(/\.html$/, ''), join(root, 'e2e-pages', f)])),
      },
    },
  });
  const server = await preview({
    root,
    configFile: false,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 4180, strictPort: false },
  });
  const base = server.resolvedUrls?.local[0];
  if (!base) throw new Error('vite preview did not report a URL');
  return {
    url: (name) => new URL(`e2e-pages/${name}.html`, base).href,
    close: async () => {
      await server.close();
      await rm(outDir, { recursive: true, force: true });
    },
  };
}
