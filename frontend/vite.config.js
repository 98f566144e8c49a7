import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// The API reference served by the gateway at /api/docs (docs/API.md): Swagger UI from the
// swagger-ui-dist package plus our own page and init script, copied into dist/api-docs/. Nothing
// is loaded from another host, and no inline script (the dashboard's CSP).
function apiDocs() {
  const dist = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  const files = [
    [path.join(dist, 'swagger-ui.css'), 'swagger-ui.css'],
    [path.join(dist, 'swagger-ui-bundle.js'), 'swagger-ui-bundle.js'],
    [path.join(dist, 'LICENSE'), 'swagger-ui-LICENSE.txt'],
    [path.join(here, 'api-docs/index.html'), 'index.html'],
    [path.join(here, 'api-docs/api-docs.js'), 'api-docs.js'],
    [path.join(here, 'api-docs/api-docs.css'), 'api-docs.css'],
  ];
  return {
    name: 'wa-api-docs',
    apply: 'build',
    generateBundle() {
      for (const [from, name] of files) {
        let source = readFileSync(from);
        // The bundle's trailing source-map comment names a file that is not shipped.
        if (name.endsWith('.js')) source = source.toString('utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
        this.emitFile({ type: 'asset', fileName: `api-docs/${name}`, source });
      }
    },
  };
}

// The gateway serves dist/ at / (docs/DASHBOARD.md). `npm run dev` proxies the API to a gateway
// on :8080 so the app can be worked on with hot reload.
export default defineConfig({
  plugins: [react(), apiDocs()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline <script>: the CSP allows scripts from 'self' only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/ws': { target: 'ws://127.0.0.1:8080', ws: true },
      '/health': 'http://127.0.0.1:8080',
    },
  },
  test: {
    environment: 'jsdom',
    include: ['tests/**/*.test.{js,jsx}'],
    setupFiles: ['tests/setup.js'],
  },
});
