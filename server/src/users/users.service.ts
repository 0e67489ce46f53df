import { UniqueConstraintViolationException, type EntityManager } from '@mikro-orm/postgresql';
import { ApiError, type CreateUserBody, type Role, type UpdateUserBody } from '@jobflow/shared';
import { UserSchema, type UserEntity } from '@jobflow/core/db';
import type { Orm } from '@jobflow/core/db';
import { hashPassword } from '../auth/passwords';

/** Serialises every change that could leave the install without an enabled admin. */
const lockAdmins = (em: EntityManager) =>
  em.getConnection().execute(`select pg_advisory_xact_lock(hashtext('jobflow:admins'))`, [], 'all', em.getTransactionContext());

const enabledAdminsOtherThan = async (em: EntityManager, userId: string) => em.count(UserSchema, { role: 'admin', disabled: false, id: { $ne: userId } });

/** Users: the only place that creates, changes or removes them. */
export function createUsersService(orm: Orm) {
  async function findOrThrow(em: EntityManager, id: string): Promise<UserEntity> {
    const user = /^[0-9a-f-]{36}$/i.test(id) ? await em.findOne(UserSchema, { id }) : null;
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
        email: body.email,
        name: body.name ?? '',
        role: body.role,
        passwordHash: await hashPassword(body.password),
        disabled: false,
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
      const existing = await em.findOne(UserSchema, { email: { $ilike: email.replace(/[\\%_]/g, '\\$&') } });
      const passwordHash = await hashPassword(password);
      if (existing) {
        Object.assign(existing, { role: 'admin' as Role, disabled: false, passwordHash, ...(name ? { name } : {}) });
        await em.flush();
        return { user: existing, created: false };
      }
      const user = em.create(UserSchema, { email, name: name ?? '', role: 'admin', passwordHash, disabled: false } as UserEntity);
      await em.flush();
      return { user, created: true };
    },

    async update(id: string, body: UpdateUserBody): Promise<UserEntity> {
      const passwordHash = body.password ? await hashPassword(body.password) : undefined;
      return orm.em.fork().transactional(async (em) => {
        await lockAdmins(em);
        const user = await findOrThrow(em, id);
        const losesAdmin = (body.role !== undefined && body.role !== 'admin') || body.disabled === true;
        if (user.role === 'admin' && !user.disabled && losesAdmin && (await enabledAdminsOtherThan(em, id)) === 0) {
          throw new ApiError('conflict', 'This would leave no enabled admin.');
        }
        if (body.name !== undefined) user.name = body.name;
        if (body.role !== undefined) user.role = body.role;
        if (body.disabled !== undefined) user.disabled = body.disabled;
        if (passwordHash) user.passwordHash = passwordHash;
        return user;
      });
    },

    async remove(id: string): Promise<void> {
      await orm.em.fork().transactional(async (em) => {
        await lockAdmins(em);
        const user = await findOrThrow(em, id);
        if (user.role === 'admin' && !user.disabled && (await enabledAdminsOtherThan(em, id)) === 0) {
          throw new ApiError('conflict', 'The last enabled admin cannot be deleted.');
        }
        const owned = await em
          .getConnection()
          .execute<{ n: string }[]>(`select count(*) as n from jobs where owner_id = ?`, [id], 'all', em.getTransactionContext());
        if (Number(owned[0]?.n) > 0) {
          throw new ApiError('conflict', `This user owns ${owned[0]?.n} job(s): delete them or disable the user instead.`);
        }
        em.remove(user);
      });
    },
  };
}

export type UsersService = ReturnType<typeof createUsersService>;
