import 'reflect-metadata';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ArgumentMetadata } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsArray, IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { ApiError } from '../errors/api-error';
import { apiValidationPipe } from './validation';

class SearchQuery {
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @IsOptional()
  @IsArray()
  @IsString({ each: true })
  tag?: string[];
}

const asQuery: ArgumentMetadata = { type: 'query', metatype: SearchQuery };
const asBody: ArgumentMetadata = { type: 'body', metatype: SearchQuery };

/** The pipe's remembered query strings for a class (a private field, read for the bound). */
function remembered(pipe: object, metatype: object): Map<string, unknown> | undefined {
  return (pipe as { queries: WeakMap<object, Map<string, unknown>> }).queries.get(metatype);
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ApiError, 'an ApiError');
    return error;
  }
  assert.fail('expected a validation failure');
}

describe('ApiValidationPipe on query strings', () => {
  it('answers a repeated query with an equal object of its own, arrays included', async () => {
    const pipe = apiValidationPipe();
    const first = (await pipe.transform({ limit: '20', tag: ['a', 'b'] }, asQuery)) as SearchQuery;
    const second = (await pipe.transform({ limit: '20', tag: ['a', 'b'] }, asQuery)) as SearchQuery;
    assert.ok(second instanceof SearchQuery);
    assert.deepEqual({ ...second }, { limit: 20, tag: ['a', 'b'] });
    assert.notEqual(second, first);
    assert.notEqual(second.tag, first.tag);
    // What one request does to its object never reaches the next one.
    second.tag?.push('changed');
    second.limit = 99;
    const third = (await pipe.transform({ limit: '20', tag: ['a', 'b'] }, asQuery)) as SearchQuery;
    assert.deepEqual({ ...third }, { limit: 20, tag: ['a', 'b'] });
    assert.equal(remembered(pipe, SearchQuery)?.size, 1);
  });

  it('still refuses every invalid query, each time it is sent', async () => {
    const pipe = apiValidationPipe();
    await pipe.transform({ limit: '20' }, asQuery);
    for (let i = 0; i < 2; i++) {
      const error = await refusal(pipe.transform({ limit: '500' }, asQuery));
      assert.equal(error.status, 400);
      assert.equal(error.code, 'validation_failed');
    }
    await refusal(pipe.transform({ limit: '20', extra: 'x' }, asQuery));
    assert.equal(remembered(pipe, SearchQuery)?.size, 1, 'refusals are not remembered');
  });

  it('remembers a bounded number of query strings, and none for bodies', async () => {
    const pipe = apiValidationPipe();
    for (let limit = 1; limit <= 100; limit++) {
      for (const tag of ['x', 'y', 'z']) {
        await pipe.transform({ limit: String(limit), tag: [tag] }, asQuery);
      }
    }
    const map = remembered(pipe, SearchQuery);
    assert.ok(map && map.size <= 256, `at most 256 remembered, found ${map?.size}`);
    // The oldest were forgotten and are validated again, with the same answer.
    assert.deepEqual(
      { ...((await pipe.transform({ limit: '1', tag: ['x'] }, asQuery)) as SearchQuery) },
      { limit: 1, tag: ['x'] },
    );
    const bodies = apiValidationPipe();
    await bodies.transform({ limit: 20 }, asBody);
    assert.equal(remembered(bodies, SearchQuery), undefined);
  });
});
