import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { paramsValidators } from './params-validators.plugin';
import { modulePreloadDynamic } from './preload-dynamic.plugin';
import { precompress } from './precompress.plugin';

const server = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [solid(), paramsValidators(), modulePreloadDynamic(), precompress()],
  // No source maps in the build: the server would publish the full sources with them.
  build: {
    outDir: 'dist',
    target: 'es2022',
    sourcemap: false,
    rolldownOptions: {
      output: {
        // Two chunks for the first screen, the two tasks main.tsx evaluates them in (not twenty small ones the
        // lazy screens' sharing would make, each a request of its own on a slow link); the screens load their own.
        codeSplitting: {
          groups: [
            {
              name: 'contract',
              test: /[\\/](shared[\\/]src[\\/](client[\\/]|dto|api-routes|events|errors|artifacts|system-lines)|node_modules[\\/](zod|socket\.io-client|socket\.io-parser|engine\.io-client|engine\.io-parser|@socket\.io)[\\/])/,
            },
            { name: 'app', test: /[\\/](ui[\\/]src[\\/](app|components|stores|session|i18n|dashboard)|node_modules[\\/]solid-js)[\\/]/ },
          ],
        },
      },
    },
  },
  server: {
    proxy: {
      '/api': server,
      '/healthz': server,
      '/readyz': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
