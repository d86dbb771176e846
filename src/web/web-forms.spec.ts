import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, validationFailed } from '../common/errors/api-error';
import { expiryDays, parseTokenForm } from './account-tokens.service';
import {
  field,
  fieldList,
  formatDate,
  formatTime,
  outcomeOf,
  pageErrorOf,
  PageError,
} from './web-forms';

const DAY_MS = 86_400_000;
const form = (expiresIn: string, expiresOn = '') => ({
  name: 'n',
  workspace: '',
  scopes: [],
  expiresIn,
  expiresOn,
});

describe('web form helpers', () => {
  it('reads single fields and checkbox groups as a browser sends them', () => {
    assert.equal(field({ a: 'x' }, 'a'), 'x');
    assert.equal(field({ a: ['x', 'y'] }, 'a'), '', 'a repeated field is not a text field');
    assert.deepEqual(fieldList({ s: 'read' }, 's'), ['read']);
    assert.deepEqual(fieldList({ s: ['read', 'write'] }, 's'), ['read', 'write']);
    assert.deepEqual(fieldList({}, 's'), []);
  });

  it('keeps only known scopes, in their canonical order', () => {
    const parsed = parseTokenForm({ name: '  ci  ', scopes: ['admin', 'bogus', 'read'] });
    assert.equal(parsed.name, 'ci');
    assert.deepEqual(parsed.scopes, ['read', 'admin']);
  });

  it('formats times in UTC, independent of the locale', () => {
    assert.equal(formatTime('2026-03-04T17:05:59.000Z'), '2026-03-04 17:05 UTC');
    assert.equal(formatTime(null), '');
    assert.equal(formatDate(new Date('2026-12-31T23:59:00Z')), '2026-12-31');
  });

  it('turns coded API errors into sentences', () => {
    const limit = new ApiError(409, 'token_limit_reached', 'This workspace is full. Revoke one.');
    assert.deepEqual([pageErrorOf(limit).status, pageErrorOf(limit).message], [409, limit.message]);
    const invalid = validationFailed([{ field: 'name', message: 'Give a name.' }]);
    assert.equal(pageErrorOf(invalid).message, 'Give a name.');
    assert.match(
      pageErrorOf(new ApiError(404, 'not_found', 'Token was not found.')).message,
      /no longer exists/,
    );
    const own = new PageError(402, 'Read-only.');
    assert.equal(pageErrorOf(own), own);
    assert.throws(() => pageErrorOf(new Error('boom')), /boom/);
  });
});

describe('outcomeOf (forms that show refusals inline)', () => {
  it('gives the value, or the refusal as a sentence, including one thrown before any await', async () => {
    assert.deepEqual(await outcomeOf(() => Promise.resolve(7)), { ok: true, value: 7 });
    const early = await outcomeOf((): Promise<number> => {
      throw new PageError(400, 'Too early.');
    });
    assert.deepEqual(early, { ok: false, problem: new PageError(400, 'Too early.') });
    const coded = await outcomeOf(() => Promise.reject(validationFailed([], 'Fix it.')));
    assert.equal(coded.ok, false);
    await assert.rejects(
      outcomeOf(() => Promise.reject(new Error('boom'))),
      /boom/,
    );
  });
});

describe('token expiry from the form', () => {
  it('takes a preset within the maximum', () => {
    assert.equal(expiryDays(form('30'), 365), 30);
    assert.throws(() => expiryDays(form('90'), 30), /between 1 and 30 days/);
    assert.throws(() => expiryDays(form('0'), 365), /between 1 and 365 days/);
    assert.throws(() => expiryDays(form('7.5'), 365), PageError);
  });

  it('takes a date 1 to max days ahead (UTC calendar days)', () => {
    const inDays = (n: number) => new Date(Date.now() + n * DAY_MS).toISOString().slice(0, 10);
    assert.equal(expiryDays(form('custom', inDays(10)), 365), 10);
    assert.equal(expiryDays(form('custom', inDays(365)), 365), 365);
    assert.throws(() => expiryDays(form('custom', inDays(0)), 365), /must be between 1 and 365/);
    assert.throws(() => expiryDays(form('custom', inDays(366)), 365), /must be between 1 and 365/);
    assert.throws(() => expiryDays(form('custom', 'soon'), 365), /Pick the expiry date/);
  });
});
