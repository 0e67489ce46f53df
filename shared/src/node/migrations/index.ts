import { Migration20261128000000 } from './Migration20261128000000';
import { Migration20261128100000 } from './Migration20261128100000';
import { Migration20261128110000 } from './Migration20261128110000';
import { Migration20261129000000 } from './Migration20261129000000';

/** Every migration, in order. A new migration is one file plus one line here. */
export const migrations = [
  { name: 'Migration20261128000000', class: Migration20261128000000 },
  { name: 'Migration20261128100000', class: Migration20261128100000 },
  { name: 'Migration20261128110000', class: Migration20261128110000 },
  { name: 'Migration20261129000000', class: Migration20261129000000 },
];
