import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { SQLITE_BUSY_TIMEOUT_MS } from './data-source-options';

/** The parts of better-sqlite3's connection that the write-lock probe uses. */
interface RawSqlite {
  inTransaction: boolean;
  pragma(sql: string): unknown;
  exec(sql: string): unknown;
}

/** A write that changes nothing but, as a write, takes SQLite's write lock (with busy waiting). */
const SQLITE_TAKE_WRITE_LOCK = 'UPDATE instance_settings SET id = id WHERE 0';

/**
 * Transactions that behave the same on MySQL and on the embedded SQLite file.
 *
 * SQLite has one connection that TypeORM shares between all callers, so two overlapping
 * transactions would nest into each other. We queue them in-process instead; SQLite allows a
 * single writer anyway. On MySQL, row locks (`lockForUpdate`) serialize the critical sections.
 */
@Injectable()
export class DatabaseService {
  private sqliteQueue: Promise<unknown> = Promise.resolve();

  constructor(@InjectDataSource() readonly dataSource: DataSource) {}

  get isMysql(): boolean {
    return this.dataSource.options.type === 'mysql';
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.isMysql) {
      return this.dataSource.transaction(work);
    }
    const run = this.sqliteQueue.then(() =>
      this.dataSource.transaction(async (manager) => {
        // Take the write lock first (BEGIN IMMEDIATE, in effect): a transaction that read and
        // then writes fails at once with SQLITE_BUSY (no busy wait) when another process wrote
        // in between, which background workers in several processes on one file make likely.
        await manager.query(SQLITE_TAKE_WRITE_LOCK);
        return work(manager);
      }),
    );
    this.sqliteQueue = run.catch(() => undefined);
    return run;
  }

  /** Locks one row until the surrounding transaction ends (a no-op on SQLite, see above). */
  async lockForUpdate<E extends ObjectLiteral>(
    manager: EntityManager,
    entity: EntityTarget<E>,
    id: string,
    idProperty = 'id',
  ): Promise<E | null> {
    const qb = manager.createQueryBuilder(entity, 'row').where(`row.${idProperty} = :id`, { id });
    if (this.isMysql) {
      qb.setLock('pessimistic_write');
    }
    return qb.getOne();
  }

  /**
   * For background work that can wait for its next round: false when another process holds
   * SQLite's write lock right now (always true on MySQL). better-sqlite3 waits for a lock
   * synchronously, blocking the whole event loop (requests, cache invalidations from Redis)
   * meanwhile; a worker that asks first does not. The probe itself never waits: one
   * synchronous BEGIN IMMEDIATE / ROLLBACK with no busy timeout.
   */
  sqliteWriteLockFree(): boolean {
    if (this.isMysql) {
      return true;
    }
    const raw = (this.dataSource.driver as unknown as { databaseConnection?: RawSqlite })
      .databaseConnection;
    if (!raw || raw.inTransaction) {
      // A transaction of this process: the in-process queue waits for it without blocking.
      return true;
    }
    raw.pragma('busy_timeout = 0');
    try {
      raw.exec('BEGIN IMMEDIATE');
      raw.exec('ROLLBACK');
      return true;
    } catch {
      return false;
    } finally {
      raw.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    }
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }
}
