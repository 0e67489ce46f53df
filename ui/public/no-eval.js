// The page's CSP allows no eval. zod decides whether to compile its parsers with new Function when
// its schemas are built, as the app's modules load; this classic script runs before them and tells it not to
// try (a refused attempt would still be reported as a CSP violation).
globalThis.__zod_globalConfig = Object.assign(globalThis.__zod_globalConfig || {}, { jitless: true });
