import { createClient } from '@jobflow/shared/client';

/**
 * The one client the whole UI talks through: same origin as the page. A
 * proxy's 502, 503 or 504 during a restart is waited out for a few seconds,
 * not the client's default 30: someone is looking at the button.
 */
export const client = createClient({
  url: typeof window === 'undefined' ? 'http://localhost' : window.location.origin,
  retry: { maxElapsedMs: 10_000 },
});
