import './styles.css';

// The modules evaluate in two tasks, neither long: the typed client with the contract's schemas, then the app.
// Both are preloaded from the page (see modulePreloadDynamic in vite.config.ts): nothing waits for the network here.
await import('./app/client');
await new Promise((resolve) => setTimeout(resolve, 0));
await import('./start');
