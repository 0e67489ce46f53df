import { defineConfig } from 'vite';
import solid from 'vite-plugin-solid';

const server = 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [solid()],
  build: { outDir: 'dist', target: 'es2022', sourcemap: true },
  server: {
    proxy: {
      '/api': server,
      '/healthz': server,
      '/readyz': server,
      '/socket.io': { target: server, ws: true },
    },
  },
});
