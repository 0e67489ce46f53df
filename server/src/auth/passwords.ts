import { hash, verify } from '@node-rs/argon2';

const options = { algorithm: 2 /* Argon2id */ as const, memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id (OWASP's recommended parameters). */
export const hashPassword = (password: string) => hash(password, options);

export const verifyPassword = async (passwordHash: string, password: string) => {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
};

/** A valid hash of nothing anyone knows: verified against for unknown emails so both cases take as long. */
let decoy: Promise<string> | null = null;
export const decoyHash = () => (decoy ??= hashPassword(`decoy-${Math.random()}`));
