import { EntityManager, ObjectLiteral, QueryFailedError, Repository } from 'typeorm';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';

/** A value to equal, or a list of values to be among (an empty list matches nothing). */
type Filters<E> = Partial<Record<keyof E & string, string | readonly string[] | undefined>>;

interface PageSql {
  select: string;
  count: string;
  /** Filter properties in the order of the SQL's placeholders (a list's values in its place). */
  keys: string[];
}

/** Column alias of the total count in the page query (no entity column is called this). */
const TOTAL = '__total_count';

/**
 * A scalar query (and its parameters) that yields the total instead of counting the matching
 * rows, for a caller that keeps the total itself (maintained counters): it must equal the
 * COUNT exactly, and it rides along in the same statement, so it is read in the same snapshot.
 */
export interface KnownTotal {
  sql: string;
  params: readonly unknown[];
}

const statements = new WeakMap<Repository<ObjectLiteral>, Map<string, PageSql>>();

/**
 * One page of `repository`'s rows matching `filters` (equality, or membership for a list;
 * undefined ones are left out),
 * oldest first, with the total count — what `findAndCount` does, in one round trip instead of
 * two and without building the SQL on every call. The total rides along as an uncorrelated
 * scalar subquery (evaluated once, on the same index a separate COUNT would use); only a page
 * past the end, which has no row to carry it, costs a second query. The statements are made once
 * per filter shape from the entity's metadata, and rows are hydrated by the driver exactly as
 * TypeORM would (dates, arrays). Lists are the hot read path of the API. With `total`, the
 * total is that query's answer instead of a COUNT over every matching row (whose cost grows
 * with the rows counted).
 */
export async function findPage<E extends ObjectLiteral>(
  repository: Repository<E>,
  filters: Filters<E>,
  window: { offset: number; limit: number },
  total?: KnownTotal,
): Promise<[E[], number]> {
  const value = (key: string): string | readonly string[] | undefined =>
    filters[key as keyof E & string];
  // A list filter's shape includes its length: one statement per length, at most 100 each.
  const keys = Object.keys(filters)
    .filter((key) => value(key) !== undefined)
    .map((key) => {
      const v = value(key);
      return Array.isArray(v) ? `${key}[${v.length}]` : key;
    });
  const sql = statementsFor(repository, keys, total?.sql);
  const params = sql.keys.flatMap((key) => value(key.replace(/\[\d+\]$/, '')) as string | string[]);
  const countParams = total ? total.params : params;
  const manager = repository.manager;
  const rows = await run(manager, sql.select, [
    ...countParams,
    ...params,
    // As text: MySQL 8 refuses a DOUBLE (mysql2's type for a number) as LIMIT in a prepared
    // statement; both servers take a string.
    String(window.limit),
    String(window.offset),
  ]);
  let count: number;
  if (rows.length > 0) {
    count = Number(rows[0][TOTAL]);
  } else if (window.offset === 0) {
    count = 0;
  } else {
    const counted = await run(manager, sql.count, [...countParams]);
    count = Number((counted[0]?.n as number | string | undefined) ?? 0);
  }
  const { driver } = manager.connection;
  const columns = repository.metadata.columns;
  const entities = rows.map((row) => {
    const entity: Record<string, unknown> = {};
    for (const column of columns) {
      entity[column.propertyName] = driver.prepareHydratedValue(
        row[column.databaseName],
        column,
      ) as unknown;
    }
    return entity as E;
  });
  return [entities, count];
}

/**
 * Runs a page statement. On MySQL/MariaDB outside a transaction it is a server-side prepared
 * statement on mysql2's pool (parsed once per connection, binary rows, no TypeORM query runner
 * per call): the list statements are a bounded set, and preparing them cut the server's CPU per
 * list query by about a fifth in the bench. Errors are TypeORM's QueryFailedError, as from
 * `manager.query`, so that the error filter reads them alike.
 */
function run(manager: EntityManager, sql: string, params: unknown[]): Promise<ObjectLiteral[]> {
  const { driver } = manager.connection;
  if (manager.queryRunner || !(driver instanceof MysqlDriver) || !driver.pool) {
    return manager.query<ObjectLiteral[]>(sql, params);
  }
  const pool = driver.pool as PreparingPool;
  return new Promise((resolve, reject) => {
    pool.execute(sql, params, (error, rows) => {
      if (error) {
        reject(new QueryFailedError(sql, params, error));
      } else {
        resolve(rows);
      }
    });
  });
}

/** The part of mysql2's (callback) pool that `run` uses. */
interface PreparingPool {
  execute(
    sql: string,
    params: unknown[],
    callback: (error: Error | null, rows: ObjectLiteral[]) => void,
  ): void;
}

function statementsFor<E extends ObjectLiteral>(
  repository: Repository<E>,
  keys: string[],
  totalSql: string | undefined,
): PageSql {
  const own = repository as unknown as Repository<ObjectLiteral>;
  let byShape = statements.get(own);
  if (!byShape) {
    byShape = new Map();
    statements.set(own, byShape);
  }
  // A given total query is part of the shape (callers make a bounded set of them).
  const shape = `${[...keys].sort().join(',')}|${totalSql ?? ''}`;
  let sql = byShape.get(shape);
  if (!sql) {
    const { metadata } = repository;
    const { driver } = repository.manager.connection;
    const q = (name: string): string => driver.escape(name);
    const sorted = [...keys].sort();
    const where = sorted
      .map((key) => {
        const list = /^(.+)\[(\d+)\]$/.exec(key);
        const property = list ? list[1] : key;
        const column = metadata.findColumnWithPropertyName(property);
        if (!column) {
          throw new Error(`${metadata.name} has no column for "${property}"`);
        }
        if (!list) {
          return `${q(column.databaseName)} = ?`;
        }
        const length = Number(list[2]);
        return length === 0
          ? '1 = 0'
          : `${q(column.databaseName)} IN (${new Array<string>(length).fill('?').join(', ')})`;
      })
      .join(' AND ');
    const table = q(metadata.tableName);
    const condition = where ? ` WHERE ${where}` : '';
    const columns = metadata.columns.map((c) => q(c.databaseName)).join(', ');
    const count = totalSql ?? `SELECT COUNT(*) FROM ${table}${condition}`;
    sql = {
      select:
        `SELECT ${columns}, (${count}) AS ${q(TOTAL)} FROM ${table}${condition} ` +
        `ORDER BY ${q('created_at')} ASC, ${q('id')} ASC LIMIT ? OFFSET ?`,
      count: `SELECT (${count}) AS n`,
      keys: sorted,
    };
    byShape.set(shape, sql);
  }
  return sql;
}
