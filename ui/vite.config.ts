import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';
import { paramsValidators } from './params-validators.plugin';
import { precompress } from './precompress.plugin';

const server = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [solid(), paramsValidators(), precompress()],
  // No source maps in the build: the server would publish the full sources with them.
  build: { outDir: 'dist', target: 'es2022', sourcemap: false },
  server: {
    proxy: {
      '/api': server,
      '/healthz': server,
      '/readyz': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
