import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const DEFAULT_LIMIT = 25;
const MAX_LIMIT = 100;
/** Far beyond any list; keeps the value an exact integer for both databases. */
const MAX_OFFSET = 2_147_483_647;

export class PaginationQuery {
  @ApiPropertyOptional({ type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(MAX_OFFSET)
  offset?: number;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_LIMIT)
  limit?: number;
}

export interface Page<T> {
  data: T[];
  total_count: number;
  offset: number;
  limit: number;
}

export function pageWindow(query: PaginationQuery): { offset: number; limit: number } {
  return { offset: query.offset ?? 0, limit: query.limit ?? DEFAULT_LIMIT };
}

export function toPage<E, T>(
  rows: E[],
  total: number,
  window: { offset: number; limit: number },
  map: (row: E) => T,
): Page<T> {
  return { data: rows.map(map), total_count: total, offset: window.offset, limit: window.limit };
}
