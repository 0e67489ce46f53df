import { createClient } from '@jobflow/shared/client';

/** The one client the whole UI talks through: same origin as the page. */
export const client = createClient({ url: typeof window === 'undefined' ? 'http://localhost' : window.location.origin });
