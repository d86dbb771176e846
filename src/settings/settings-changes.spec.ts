import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InstanceSettings } from './entities/instance-settings.entity';
import { settingsDiff } from './settings-changes';

const current: InstanceSettings = {
  id: 1,
  restApiEnabled: true,
  allowQueryKey: true,
  allowBasicPassword: true,
  legacyAuthEnabled: true,
  legacyAuthSunsetAt: new Date('2030-01-01T00:00:00Z'),
  maxTokenLifetimeDays: 365,
  updatedAt: new Date('2026-01-01T00:00:00Z'),
};

describe('settingsDiff', () => {
  it('keeps only the settings that change, with their new values by API name', () => {
    const diff = settingsDiff(current, {
      restApiEnabled: true,
      allowQueryKey: false,
      maxTokenLifetimeDays: 90,
    });
    assert.deepEqual(diff.changes, { allowQueryKey: false, maxTokenLifetimeDays: 90 });
    assert.deepEqual(diff.audit, { allow_query_key: false, max_token_lifetime_days: 90 });
  });

  it('compares dates by instant, and records a new sunset as an ISO string', () => {
    const same = settingsDiff(current, {
      legacyAuthSunsetAt: new Date('2030-01-01T01:00:00+01:00'),
    });
    assert.deepEqual(same.audit, {});
    const later = new Date('2031-06-30T12:00:00Z');
    const moved = settingsDiff(current, { legacyAuthSunsetAt: later });
    assert.deepEqual(moved.changes, { legacyAuthSunsetAt: later });
    assert.deepEqual(moved.audit, { legacy_auth_sunset_at: '2031-06-30T12:00:00.000Z' });
  });

  it('records a cleared sunset as null, and ignores fields left out', () => {
    const diff = settingsDiff(current, { legacyAuthSunsetAt: null, legacyAuthEnabled: undefined });
    assert.deepEqual(diff.changes, { legacyAuthSunsetAt: null });
    assert.deepEqual(diff.audit, { legacy_auth_sunset_at: null });
  });

  it('finds nothing to do when every requested value is the current one', () => {
    assert.deepEqual(settingsDiff(current, { restApiEnabled: true, maxTokenLifetimeDays: 365 }), {
      changes: {},
      audit: {},
    });
  });
});
