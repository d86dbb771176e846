import { EntityManager, ObjectLiteral, QueryFailedError, Repository } from 'typeorm';
import { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver';

/** A value to equal, or a list of values to be among (an empty list matches nothing). */
type Filters<E> = Partial<Record<keyof E & string, string | readonly string[] | undefined>>;

interface PageSql {
  select: string;
  count: string;
  /** Every matching row, unordered (for rows pinned to a list of primary keys). */
  all: string;
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
 * with the rows counted). Rows pinned to a list of primary keys are read whole and paged here
 * (`pageOfPinned`).
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
  if (!total && pinnedRows(own, values)) {
    return pageOfPinned(own, values, keys, window) as Promise<[E[], number]>;
  }
  const sql = statementsFor(own, keys, total?.sql);
  const params = paramsOf(sql, values);
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
  return [hydrate(own, rows) as E[], count];
}

/** The filter values in the order of the statement's placeholders (a list's values in its place). */
function paramsOf(
  sql: PageSql,
  values: Record<string, string | readonly string[] | undefined>,
): unknown[] {
  const params: unknown[] = [];
  for (const property of sql.properties) {
    const v = values[property];
    if (Array.isArray(v)) {
      params.push(...(v as string[]));
    } else {
      params.push(v);
    }
  }
  return params;
}

/** Rows as entities, as TypeORM hydrates them (dates; text columns as they come). */
function hydrate(repository: Repository<ObjectLiteral>, rows: ObjectLiteral[]): ObjectLiteral[] {
  const { driver } = repository.manager.connection;
  const columns = columnsOf(repository);
  return rows.map((row) => {
    const entity: Record<string, unknown> = {};
    for (const { name, property, metadata } of columns) {
      entity[property] = metadata
        ? (driver.prepareHydratedValue(row[name], metadata) as unknown)
        : row[name];
    }
    return entity;
  });
}

/**
 * Whether the filters pin the rows to a list of primary keys (a restricted token's projects):
 * then at most that many rows match (a list holds at most 100), and reading them all is
 * cheaper for the database than a page with a COUNT, both of which evaluate the list.
 */
function pinnedRows(
  repository: Repository<ObjectLiteral>,
  values: Record<string, string | readonly string[] | undefined>,
): boolean {
  const primary = repository.metadata.primaryColumns;
  return primary.length === 1 && Array.isArray(values[primary[0].propertyName]);
}

/**
 * The page of rows pinned to a list of primary keys: every matching row in one statement
 * (without ORDER BY, LIMIT or COUNT), ordered here as the SQL orders a page (created_at, then
 * id by code unit, which is also the database's order for the UUIDs ids are), counted and cut.
 * Exact, and read in one snapshot like the others.
 */
async function pageOfPinned(
  repository: Repository<ObjectLiteral>,
  values: Record<string, string | readonly string[] | undefined>,
  keys: string[],
  window: { offset: number; limit: number },
): Promise<[ObjectLiteral[], number]> {
  const sql = statementsFor(repository, keys, undefined);
  const rows = hydrate(repository, await run(repository.manager, sql.all, paramsOf(sql, values)));
  const { createdAt, id } = orderProperties(repository);
  rows.sort((a, b) => {
    const byTime = (a[createdAt] as Date).getTime() - (b[createdAt] as Date).getTime();
    if (byTime !== 0) {
      return byTime;
    }
    const x = a[id] as string;
    const y = b[id] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return [rows.slice(window.offset, window.offset + window.limit), rows.length];
}

const orderPlans = new WeakMap<Repository<ObjectLiteral>, { createdAt: string; id: string }>();

/** The entity properties of the page order's columns, created_at and id (read once). */
function orderProperties(repository: Repository<ObjectLiteral>): { createdAt: string; id: string } {
  let plan = orderPlans.get(repository);
  if (!plan) {
    const property = (name: string): string => {
      const column = repository.metadata.findColumnWithDatabaseName(name);
      if (!column) {
        throw new Error(`${repository.metadata.name} has no column ${name}`);
      }
      return column.propertyName;
    };
    plan = { createdAt: property('created_at'), id: property('id') };
    orderPlans.set(repository, plan);
  }
  return plan;
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
 * per call): the list statements are a bounded set, and preparing them cut MariaDB's CPU per
 * list query by about a fifth in a probe. Errors are TypeORM's QueryFailedError, as from
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
      all: `SELECT ${columns} FROM ${table}${condition}`,
      properties: sorted.map((key) => key.replace(/\[\d+\]$/, '')),
    };
    byShape.set(shape, sql);
  }
  return sql;
}
