/**
 * How much of the JavaScript that index.html loads up front is SecMsg's own code, as opposed to the
 * libraries it chose. Two production builds with the project's vite.config.ts, in one run:
 *  1. the app, as `npm run build` makes it, recording which of its own modules (under src/) end up
 *     in the initial chunks and, after Vite's transforms (so Solid's JSX runtime imports count),
 *     which bindings each of them imports from which package;
 *  2. "the dependencies alone": an entry that imports exactly those bindings from exactly those
 *     packages (solid-js, solid-js/web, simple-peer, process, @noble/*, idb, qrcode, jsqr,
 *     virtual:pwa-register/solid with workbox-window, …) and keeps them alive, built the same way.
 * Initial JS = the entry chunk and the chunks it imports statically (from the build manifest), not
 * lazily loaded chunks; each file gzipped on its own at level 9 as a server would send it. The
 * app's own code = app initial JS − dependencies alone. Both builds go to node_modules/.cache, so
 * dist/ (which `vite preview` may be serving) is left alone. It reports; a missed target does not
 * fail the command.
 *
 *   tsx bench/app-size.bench.ts [--verbose]
 * --verbose lists the app's own modules in the initial JS by size and prints the deps-alone entry.
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import ts from 'typescript';
import { build, type Plugin } from 'vite';

const TARGET_OWN_GZIP_BYTES = 25 * 1024;

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = join(root, 'src') + sep;
const workDir = join(root, 'node_modules', '.cache', 'secmsg-bench', 'app-size');

/** What one module imports from one bare specifier. */
interface Imports {
  names: Set<string>; // imported binding names; 'default' for a default import
  namespace: boolean; // import * as x
  sideEffect: boolean; // import 'x'
}

type ImportMap = Map<string, Imports>;

const isBare = (spec: string) => !/^(\.|\/|\0|[a-zA-Z]:[\\/])/.test(spec) && !spec.endsWith('.css');

function entryFor(map: ImportMap, specifier: string): Imports {
  let e = map.get(specifier);
  if (!e) map.set(specifier, (e = { names: new Set(), namespace: false, sideEffect: false }));
  return e;
}

/** The static imports and re-exports of bare specifiers in one transformed module. */
function bareImports(id: string, code: string): ImportMap {
  const map: ImportMap = new Map();
  const file = ts.createSourceFile(id, code, ts.ScriptTarget.ES2022, false, ts.ScriptKind.JS);
  for (const st of file.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      if (!isBare(spec) || st.importClause?.isTypeOnly) continue;
      const e = entryFor(map, spec);
      const clause = st.importClause;
      if (!clause) {
        e.sideEffect = true;
        continue;
      }
      if (clause.name) e.names.add('default');
      const nb = clause.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) e.namespace = true;
      else if (nb)
        for (const el of nb.elements) if (!el.isTypeOnly) e.names.add((el.propertyName ?? el.name).text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      const spec = st.moduleSpecifier.text;
      if (!isBare(spec) || st.isTypeOnly) continue;
      const e = entryFor(map, spec);
      if (!st.exportClause || ts.isNamespaceExport(st.exportClause)) e.namespace = true;
      else for (const el of st.exportClause.elements) e.names.add((el.propertyName ?? el.name).text);
    }
  }
  return map;
}

interface Recorded {
  /** Bare imports of every src/ module, after Vite's transforms. */
  importsById: Map<string, ImportMap>;
  /** src/ modules with code in the initial chunks, with their rendered size (tree-shaken, before minification). */
  initialSrcModules: Map<string, { bytes: number; gzip: number }>;
}

/** Records, during the app build, what bindings src/ modules import and which are loaded up front. */
function recorder(rec: Recorded): Plugin {
  return {
    name: 'secmsg-bench-recorder',
    enforce: 'post',
    apply: 'build',
    transform(code, id) {
      if (id.startsWith(srcDir) && /\.[cm]?[jt]sx?$/.test(id.split('?')[0]!))
        rec.importsById.set(id, bareImports(id, code));
      return null;
    },
    generateBundle(_options, bundle) {
      const chunks = new Map(
        Object.values(bundle).flatMap((c) => (c.type === 'chunk' ? [[c.fileName, c] as const] : [])),
      );
      const seen = new Set<string>();
      const visit = (fileName: string) => {
        const chunk = chunks.get(fileName);
        if (!chunk || seen.has(fileName)) return;
        seen.add(fileName);
        for (const [id, m] of Object.entries(chunk.modules))
          if (id.startsWith(srcDir) && m.renderedLength > 0)
            rec.initialSrcModules.set(id, {
              bytes: m.renderedLength,
              gzip: gzipSync(m.code ?? '', { level: 9 }).length,
            });
        chunk.imports.forEach(visit);
      };
      for (const c of chunks.values()) if (c.isEntry) visit(c.fileName);
    },
  };
}

interface InitialJs {
  files: { file: string; bytes: number; gzip: number }[];
  bytes: number;
  gzip: number;
}

/** The entry chunk of index.html and its static imports, from Vite's build manifest. */
async function initialJs(outDir: string): Promise<InitialJs> {
  const manifest = JSON.parse(await readFile(join(outDir, '.vite', 'manifest.json'), 'utf8')) as Record<
    string,
    { file: string; imports?: string[]; isEntry?: boolean }
  >;
  const entries = Object.entries(manifest).filter(([key, c]) => c.isEntry && key.endsWith('index.html'));
  if (entries.length !== 1) throw new Error(`expected one index.html entry in ${outDir}'s manifest`);
  const keys = new Set<string>();
  const visit = (key: string) => {
    if (keys.has(key)) return;
    keys.add(key);
    manifest[key]?.imports?.forEach(visit);
  };
  visit(entries[0]![0]);
  const files = await Promise.all(
    [...keys].map(async (key) => {
      const file = manifest[key]!.file;
      const code = await readFile(join(outDir, file));
      return { file, bytes: code.length, gzip: gzipSync(code, { level: 9 }).length };
    }),
  );
  return {
    files,
    bytes: files.reduce((s, f) => s + f.bytes, 0),
    gzip: files.reduce((s, f) => s + f.gzip, 0),
  };
}

/** The "dependencies alone" entry: the same bindings from the same packages, kept alive. */
function depsEntrySource(imports: ImportMap): string {
  const lines: string[] = [];
  const live: string[] = [];
  for (const [spec, e] of [...imports].sort(([a], [b]) => a.localeCompare(b))) {
    const s = JSON.stringify(spec);
    if (e.namespace) {
      const local = `d${live.length}`;
      lines.push(`import * as ${local} from ${s};`);
      live.push(local);
    }
    const named = [...e.names].sort().map((name) => {
      const local = `d${live.length}`;
      live.push(local);
      return name === 'default' ? `default as ${local}` : `${name} as ${local}`;
    });
    if (named.length > 0) lines.push(`import { ${named.join(', ')} } from ${s};`);
    else if (!e.namespace) lines.push(`import ${s};`);
  }
  lines.push(`globalThis.__secmsgDeps = [${live.join(', ')}];`);
  return lines.join('\n') + '\n';
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main(): Promise<void> {
  const { values: args } = parseArgs({ options: { verbose: { type: 'boolean', default: false } } });
  await rm(workDir, { recursive: true, force: true });
  const appOut = join(workDir, 'app');
  const depsRoot = join(workDir, 'deps');
  const depsOut = join(depsRoot, 'dist');
  const configFile = join(root, 'vite.config.ts');

  // 1. The app, as `npm run build` builds it.
  const rec: Recorded = { importsById: new Map(), initialSrcModules: new Map() };
  await build({
    root,
    configFile,
    logLevel: 'warn',
    plugins: [recorder(rec)],
    build: { outDir: appOut, emptyOutDir: true, manifest: true },
  });

  const depImports: ImportMap = new Map();
  for (const id of rec.initialSrcModules.keys()) {
    for (const [spec, e] of rec.importsById.get(id) ?? []) {
      const d = entryFor(depImports, spec);
      e.names.forEach((n) => d.names.add(n));
      d.namespace ||= e.namespace;
      d.sideEffect ||= e.sideEffect;
    }
  }

  // 2. The dependencies alone, same config and plugins (Solid, the PWA plugin that provides
  //    virtual:pwa-register/solid), from a root inside the project so packages resolve the same way.
  const entry = depsEntrySource(depImports);
  await mkdir(depsRoot, { recursive: true });
  await writeFile(join(depsRoot, 'deps-entry.js'), entry);
  await writeFile(
    join(depsRoot, 'index.html'),
    '<!doctype html><html><head><title>deps</title></head><body>' +
      '<script type="module" src="./deps-entry.js"></script></body></html>\n',
  );
  await build({
    root: depsRoot,
    configFile,
    logLevel: 'warn',
    publicDir: false,
    build: { outDir: depsOut, emptyOutDir: true, manifest: true },
  });

  const app = await initialJs(appOut);
  const deps = await initialJs(depsOut);
  const own = app.gzip - deps.gzip;

  console.log('SecMsg app size (production build, initial JS = index.html entry + static imports, gzip -9)');
  if (args.verbose) {
    // Each module gzipped alone overstates its share of the bundle's gzip; good for ranking.
    console.log(
      `app's own modules in the initial JS (${rec.initialSrcModules.size}), largest first (rendered before minification; gzip of each alone, for ranking):`,
    );
    const bySize = [...rec.initialSrcModules].sort(([, a], [, b]) => b.bytes - a.bytes);
    for (const [id, m] of bySize)
      console.log(
        `  ${relative(root, id).padEnd(44)} ${kb(m.bytes).padStart(9)} rendered ${kb(m.gzip).padStart(8)} gzip alone`,
      );
    console.log('dependencies-alone entry:');
    console.log(entry.replace(/^/gm, '  ').trimEnd());
  }
  const files = (r: InitialJs) => r.files.map((f) => `${f.file} ${kb(f.gzip)}`).join(', ');
  console.log(`app initial JS:      ${kb(app.gzip)} gzip (${kb(app.bytes)} raw; ${files(app)})`);
  console.log(`dependencies alone:  ${kb(deps.gzip)} gzip (${kb(deps.bytes)} raw; ${files(deps)})`);
  console.log(
    `app's own code:      ${kb(own)} gzip = difference ` +
      `(target <= ${kb(TARGET_OWN_GZIP_BYTES)}: ${own <= TARGET_OWN_GZIP_BYTES ? 'met' : 'NOT met'})`,
  );
  console.log(`packages: ${[...depImports.keys()].sort().join(', ')}`);
}

await main();
