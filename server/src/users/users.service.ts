import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { ApiError, normalizeEmail, type CreateUserBody, type Role, type UpdateUserBody } from '@jobflow/shared';
import { JobSchema, UserSchema, isUuid, type Orm, type UserEntity } from '@jobflow/core/db';
import { hashPassword } from '../auth/passwords';
import { revokeTokensOf } from '../tokens/tokens.queries';
import { endSessionsOf, lockAdmins } from './users.queries';

const enabledAdminsOtherThan = async (em: EntityManager, userId: string) => em.count(UserSchema, { role: 'admin', disabled: false, id: { $ne: userId } });

/** Users: the only place that creates, changes or removes them. */
export function createUsersService(orm: Orm) {
  async function findOrThrow(em: EntityManager, id: string): Promise<UserEntity> {
    const user = isUuid(id) ? await em.findOne(UserSchema, { id }) : null;
    if (!user) throw new ApiError('not_found', 'No such user.');
    return user;
  }

  return {
    findOrThrow: (id: string) => findOrThrow(orm.em.fork(), id),

    async list(limit: number, after: { at: string; id: string } | null): Promise<UserEntity[]> {
      const em = orm.em.fork();
      const where = after ? { $or: [{ createdAt: { $lt: new Date(after.at) } }, { createdAt: new Date(after.at), id: { $lt: after.id } }] } : {};
      return em.find(UserSchema, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit });
    },

    async create(body: CreateUserBody): Promise<UserEntity> {
      const em = orm.em.fork();
      const user = em.create(UserSchema, {
        email: normalizeEmail(body.email),
        name: body.name ?? '',
        role: body.role,
        passwordHash: await hashPassword(body.password),
        disabled: false,
        sessionGeneration: 0,
      } as UserEntity);
      try {
        await em.flush();
      } catch (e) {
        if (e instanceof UniqueConstraintViolationException) throw new ApiError('conflict', 'A user with this email already exists.');
        throw e;
      }
      return user;
    },

    /** Creates the admin, or makes an existing user with that email an enabled admin with this password. */
    async upsertAdmin(email: string, password: string, name?: string): Promise<{ user: UserEntity; created: boolean }> {
      const em = orm.em.fork();
      const normal = normalizeEmail(email);
      const existing = await em.findOne(UserSchema, { email: normal });
      const passwordHash = await hashPassword(password);
      if (existing) {
        // A reset is a new password: whoever held the old one is signed out.
        Object.assign(existing, {
          role: 'admin' as Role,
          disabled: false,
          passwordHash,
          sessionGeneration: existing.sessionGeneration + 1,
          ...(name ? { name } : {}),
        });
        await em.flush();
        return { user: existing, created: false };
      }
      const user = em.create(UserSchema, { email: normal, name: name ?? '', role: 'admin', passwordHash, disabled: false, sessionGeneration: 0 } as UserEntity);
      await em.flush();
      return { user, created: true };
    },

    /**
     * Changes a user. A new password, a new role or disabling ends every
     * session the user had (their generation moves on; re-enabling later does
     * not bring them back); with `revokeTokens`, a new password also deletes
     * the user's API tokens. Returns what ended, for the caller to disconnect.
     */
    async update(id: string, body: UpdateUserBody): Promise<{ user: UserEntity; before: UserEntity; sessionsEnded: boolean; revokedTokenIds: string[] }> {
      if (body.revokeTokens && body.password === undefined) {
        throw new ApiError('validation_failed', 'Tokens are revoked together with a password reset.', [
          { path: '/revokeTokens', message: 'needs a new password in the same request' },
        ]);
      }
      const passwordHash = body.password ? await hashPassword(body.password) : undefined;
      return orm.em.fork().transactional(async (em) => {
        await lockAdmins(em);
        const user = await findOrThrow(em, id);
        const losesAdmin = (body.role !== undefined && body.role !== 'admin') || body.disabled === true;
        if (user.role === 'admin' && !user.disabled && losesAdmin && (await enabledAdminsOtherThan(em, id)) === 0) {
          throw new ApiError('conflict', 'This would leave no enabled admin.');
        }
        const before = { ...user };
        const sessionsEnded = passwordHash !== undefined || (body.role !== undefined && body.role !== user.role) || (body.disabled === true && !user.disabled);
        if (body.name !== undefined) user.name = body.name;
        if (body.role !== undefined) user.role = body.role;
        if (body.disabled !== undefined) user.disabled = body.disabled;
        if (passwordHash) user.passwordHash = passwordHash;
        if (sessionsEnded) user.sessionGeneration += 1;
        let revokedTokenIds: string[] = [];
        if (body.revokeTokens) {
          revokedTokenIds = await revokeTokensOf(em, id);
        }
        return { user, before, sessionsEnded, revokedTokenIds };
      });
    },

    /** Ends every session of the user at once (logout): their generation moves on. */
    async endSessions(id: string): Promise<void> {
      await endSessionsOf(orm.em.fork(), id);
    },

    async remove(id: string): Promise<UserEntity> {
      return orm.em.fork().transactional(async (em) => {
        await lockAdmins(em);
        const user = await findOrThrow(em, id);
        if (user.role === 'admin' && !user.disabled && (await enabledAdminsOtherThan(em, id)) === 0) {
          throw new ApiError('conflict', 'The last enabled admin cannot be deleted.');
        }
        const owned = await em.count(JobSchema, { ownerId: id });
        if (owned > 0) throw new ApiError('conflict', `This user owns ${owned} job(s): delete them or disable the user instead.`);
        em.remove(user);
        return user;
      });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
