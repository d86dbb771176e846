import { ObjectLiteral, Repository } from 'typeorm';

type Filters<E> = Partial<Record<keyof E & string, string | undefined>>;

interface PageSql {
  select: string;
  count: string;
  /** Filter properties in the order of the SQL's placeholders. */
  keys: string[];
}

const statements = new WeakMap<Repository<ObjectLiteral>, Map<string, PageSql>>();

/**
 * One page of `repository`'s rows matching equality `filters` (undefined ones are left out),
 * oldest first, with the total count — what `findAndCount` does, without building the SQL on
 * every call. The statements are made once per filter shape from the entity's metadata; rows
 * are hydrated by the driver exactly as TypeORM would (dates, arrays), and both queries run at
 * once. Lists are the hot read path of the API, where the query builder was a tenth of the
 * CPU of a request.
 */
export async function findPage<E extends ObjectLiteral>(
  repository: Repository<E>,
  filters: Filters<E>,
  window: { offset: number; limit: number },
): Promise<[E[], number]> {
  const keys = Object.keys(filters).filter((key) => filters[key as keyof E & string] !== undefined);
  const sql = statementsFor(repository, keys);
  const params = sql.keys.map((key) => filters[key as keyof E & string]);
  const manager = repository.manager;
  const [rows, counted] = await Promise.all([
    manager.query<ObjectLiteral[]>(sql.select, [...params, window.limit, window.offset]),
    manager.query<Array<{ n: number | string }>>(sql.count, params),
  ]);
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
  return [entities, Number(counted[0]?.n ?? 0)];
}

function statementsFor<E extends ObjectLiteral>(
  repository: Repository<E>,
  keys: string[],
): PageSql {
  const own = repository as unknown as Repository<ObjectLiteral>;
  let byShape = statements.get(own);
  if (!byShape) {
    byShape = new Map();
    statements.set(own, byShape);
  }
  const shape = [...keys].sort().join(',');
  let sql = byShape.get(shape);
  if (!sql) {
    const { metadata } = repository;
    const { driver } = repository.manager.connection;
    const q = (name: string): string => driver.escape(name);
    const sorted = [...keys].sort();
    const where = sorted
      .map((key) => {
        const column = metadata.findColumnWithPropertyName(key);
        if (!column) {
          throw new Error(`${metadata.name} has no column for "${key}"`);
        }
        return `${q(column.databaseName)} = ?`;
      })
      .join(' AND ');
    const table = q(metadata.tableName);
    const condition = where ? ` WHERE ${where}` : '';
    const columns = metadata.columns.map((c) => q(c.databaseName)).join(', ');
    sql = {
      select: `SELECT ${columns} FROM ${table}${condition} ORDER BY ${q('created_at')} ASC, ${q('id')} ASC LIMIT ? OFFSET ?`,
      count: `SELECT COUNT(*) AS n FROM ${table}${condition}`,
      keys: sorted,
    };
    byShape.set(shape, sql);
  }
  return sql;
}
