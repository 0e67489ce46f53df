import type { UserDto } from '@jobflow/shared';
import type { UserEntity } from '@jobflow/core/db';

export const toUserDto = (u: Pick<UserEntity, 'id' | 'email' | 'name' | 'role' | 'disabled' | 'createdAt'>): UserDto => ({
  id: u.id,
  email: u.email,
  name: u.name,
  role: u.role,
  disabled: u.disabled,
  createdAt: new Date(u.createdAt).toISOString(),
});
