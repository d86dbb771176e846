import { EntityManager, ObjectLiteral, QueryFailedError, Repository } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';

/** A value to equal, or a list of values to be among (an empty list matches nothing). */
type Filters<E> = Partial<Record<keyof E & string, string | readonly string[] | undefined>>;

interface PageSql {
  select: string;
  count: string;
  /** Filter properties in the order of the SQL's placeholders (a list's values in its place). */
  properties: string[];
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
  const values = filters as Record<string, string | readonly string[] | undefined>;
  // A list filter's shape includes its length: one statement per length, at most 100 each.
  const keys: string[] = [];
  for (const key of Object.keys(values)) {
    const v = values[key];
    if (v !== undefined) {
      keys.push(Array.isArray(v) ? `${key}[${v.length}]` : key);
    }
  }
  const own = repository as unknown as Repository<ObjectLiteral>;
  const sql = statementsFor(own, keys, total?.sql);
  const params: unknown[] = [];
  for (const property of sql.properties) {
    const v = values[property];
    if (Array.isArray(v)) {
      params.push(...(v as string[]));
    } else {
      params.push(v);
    }
  }
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
  const columns = columnsOf(own);
  const entities = rows.map((row) => {
    const entity: Record<string, unknown> = {};
    for (const { name, property, metadata } of columns) {
      entity[property] = metadata
        ? (driver.prepareHydratedValue(row[name], metadata) as unknown)
        : row[name];
    }
    return entity as E;
  });
  return [entities, count];
}

/** How a row's column becomes an entity property: `metadata` when the driver must convert it. */
interface ColumnPlan {
  name: string;
  property: string;
  metadata: ColumnMetadata | null;
}

/**
 * Column types that both drivers return as the string the entity holds, which TypeORM's
 * hydration passes through unchanged (without a transformer): no call per row and column.
 */
const TEXT_TYPES: ReadonlySet<unknown> = new Set(['varchar', 'char', 'text', String]);

const columnPlans = new WeakMap<Repository<ObjectLiteral>, ColumnPlan[]>();

function columnsOf(repository: Repository<ObjectLiteral>): ColumnPlan[] {
  let plan = columnPlans.get(repository);
  if (!plan) {
    plan = repository.metadata.columns.map((column) => ({
      name: column.databaseName,
      property: column.propertyName,
      metadata: TEXT_TYPES.has(column.type) && !column.transformer ? null : column,
    }));
    columnPlans.set(repository, plan);
  }
  return plan;
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

function statementsFor(
  repository: Repository<ObjectLiteral>,
  keys: string[],
  totalSql: string | undefined,
): PageSql {
  let byShape = statements.get(repository);
  if (!byShape) {
    byShape = new Map();
    statements.set(repository, byShape);
  }
  // A given total query is part of the shape (callers make a bounded set of them). Keys in the
  // caller's order: another order is another entry for the same statement.
  const shape = `${keys.join(',')}|${totalSql ?? ''}`;
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
      properties: sorted.map((key) => key.replace(/\[\d+\]$/, '')),
    };
    byShape.set(shape, sql);
  }
  return sql;
}
