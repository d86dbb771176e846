import { DataSource, DataSourceOptions } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { TestDatabase } from './databases';

/** The timestamp a migration class's name ends with (its place in the order). */
function timestampOf(migration: { name: string }): number {
  return Number(/\d+$/.exec(migration.name)?.[0]);
}

/** A migration test's two views of one database, split at the migration under test. */
export interface MigrationSplit {
  /** Migrates to the schema just before the migration under test (every earlier one only). */
  earlier: DataSource;
  /** Every migration. */
  full: DataSource;
  /** Undoes (on `full`) every migration after the one under test: the next undo is its own. */
  undoLater(): Promise<void>;
}

/**
 * For a migration test: data sources that stop before `name` and that run everything, both
 * uninitialized. The earlier schema never includes a later migration, and `undoLater` keeps an
 * undo test right when migrations are added after this one.
 */
export function splitAt(db: TestDatabase, name: string): MigrationSplit {
  const options = dataSourceOptions(loadConfig({ ...db.env, LOG_LEVEL: 'silent' }));
  const migrations = options.migrations as Array<{ name: string }>;
  const at = migrations.find((migration) => migration.name === name);
  if (!at) {
    throw new Error(`No migration named ${name}`);
  }
  const isEarlier = (migration: { name: string }): boolean =>
    timestampOf(migration) < timestampOf(at);
  const later = migrations.filter((m) => timestampOf(m) > timestampOf(at)).length;
  const full = new DataSource(options);
  return {
    earlier: new DataSource({
      ...options,
      migrations: migrations.filter(isEarlier),
    } as DataSourceOptions),
    full,
    async undoLater(): Promise<void> {
      for (let i = 0; i < later; i++) {
        await full.undoLastMigration();
      }
    },
  };
}
