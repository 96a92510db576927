// ESLint flat config: type-aware promise rules everywhere (a missing `await` on WebCrypto or
// IndexedDB is a real bug) and the layer boundary from DESIGN.md.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Browser-only globals that src/crypto and src/protocol must never touch (they run under Node too). */
const domGlobals = [
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'IDBFactory',
  'RTCPeerConnection',
  'RTCDataChannel',
  'RTCSessionDescription',
  'WebSocket',
  'HTMLElement',
  'Element',
  'Node',
  'MediaStream',
  'BarcodeDetector',
].map((name) => ({
  name,
  message: 'src/crypto and src/protocol are platform-neutral: no DOM, storage or WebRTC here.',
}));

const layerPatterns = (forbiddenLayers) => [
  {
    group: ['idb', 'idb/*', 'simple-peer', 'simple-peer/*', 'solid-js', 'solid-js/*', 'vite', 'vite/*'],
    message: 'src/crypto and src/protocol must stay free of idb, simple-peer, Solid and Vite.',
  },
  ...forbiddenLayers.map((layer) => ({
    group: [`**/${layer}`, `**/${layer}/**`],
    message: `This layer may not import from src/${layer} (see DESIGN.md, "Layers").`,
  })),
];

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      '.ci/node/',
      'signaling-worker/.wrangler/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*.js', 'scripts/*.mjs'],
        },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.browser, ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/promise-function-async': 'error',
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports (STYLE.md).' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.config.ts', '**/*.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['src/crypto/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...domGlobals],
      'no-restricted-imports': [
        'error',
        { patterns: layerPatterns(['protocol', 'rtc', 'store', 'app', 'ui']) },
      ],
    },
  },
  {
    files: ['src/protocol/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...domGlobals],
      'no-restricted-imports': ['error', { patterns: layerPatterns(['rtc', 'store', 'app', 'ui']) }],
    },
  },
  {
    // Tests of the protocol may drive it over the in-memory transport pair; shipped code may not.
    files: ['src/protocol/**/*.test.ts', 'src/protocol/**/*.test-util.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: layerPatterns(['store', 'app', 'ui']) }],
    },
  },
  {
    files: ['src/rtc/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: layerPatterns(['store', 'app', 'ui']).slice(1) }],
    },
  },
  prettier,
);
