/**
 * The one spelling of an email address that is stored, looked up and
 * rate-limited: Unicode NFKC, then lower case, without surrounding spaces.
 * Two inputs that normalise alike name the same account, so an address typed
 * with look-alike characters (`İ`, full-width letters) can neither reach an
 * account under a different spelling nor dodge its sign-in limit.
 */
export const normalizeEmail = (email: string): string => email.trim().normalize('NFKC').toLowerCase();
