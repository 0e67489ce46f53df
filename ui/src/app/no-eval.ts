import { z } from 'zod';

// The page's CSP allows no eval: zod must not even try to compile its parsers with new Function
// (a refused attempt is still reported as a CSP violation). Imported first by main.tsx.
z.config({ jitless: true });
