import { Injectable, PipeTransform } from '@nestjs/common';
import { notFound } from '../errors/api-error';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Path ids that are not UUIDs name nothing: 404, like an id that does not exist. */
@Injectable()
export class UuidParam implements PipeTransform<string, string> {
  constructor(private readonly what = 'Object') {}

  transform(value: string): string {
    if (typeof value !== 'string' || !UUID.test(value)) {
      throw notFound(this.what);
    }
    return value.toLowerCase();
  }
}

export function isUuid(value: string): boolean {
  return UUID.test(value);
}
