import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/**
 * Builds the web client into dist/apps/web, where the gateway serves it from `/`. The TypeScript SDK
 * (libs/client-sdk) is bundled from source unchanged: its three Node imports (`ws`, `node:events`,
 * `node:crypto`) resolve to the small browser adapters in src/shims.
 */
export default defineConfig({
  root: here('.'),
  base: './',
  logLevel: 'warn',
  resolve: {
    alias: [
      { find: /^ws$/, replacement: here('src/shims/ws.ts') },
      { find: /^node:events$/, replacement: here('src/shims/events.ts') },
      { find: /^node:crypto$/, replacement: here('src/shims/crypto.ts') },
      { find: /^#libs\/(client-sdk|protocol)$/, replacement: here('../../libs/$1/src/index.ts') },
    ],
  },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: here('../../dist/apps/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    reportCompressedSize: false,
  },
});
