import { InstanceSettings } from './entities/instance-settings.entity';

/** What an admin may change: every setting but the row id and its timestamp. */
export type SettingsChanges = Partial<Omit<InstanceSettings, 'id' | 'updatedAt'>>;

export type SettingsAuditValue = string | number | boolean | null;

// Audit metadata uses the API's field names (SPEC §8), whoever made the change.
const FIELD_NAMES: { [K in keyof Required<SettingsChanges>]: string } = {
  restApiEnabled: 'rest_api_enabled',
  allowQueryKey: 'allow_query_key',
  allowBasicPassword: 'allow_basic_password',
  legacyAuthEnabled: 'legacy_auth_enabled',
  legacyAuthSunsetAt: 'legacy_auth_sunset_at',
  maxTokenLifetimeDays: 'max_token_lifetime_days',
};

const comparable = (value: SettingsChanges[keyof SettingsChanges]): SettingsAuditValue =>
  value instanceof Date ? value.toISOString() : (value ?? null);

/**
 * The requested changes that differ from the current settings: `changes` holds only those, and
 * `audit` the same by API field name with their new values (what settings.updated records).
 */
export function settingsDiff(
  current: InstanceSettings,
  requested: SettingsChanges,
): { changes: SettingsChanges; audit: Record<string, SettingsAuditValue> } {
  const changes: SettingsChanges = {};
  const audit: Record<string, SettingsAuditValue> = {};
  for (const key of Object.keys(FIELD_NAMES) as Array<keyof SettingsChanges>) {
    const wanted = requested[key];
    if (wanted === undefined) {
      continue;
    }
    const value = comparable(wanted);
    if (value !== comparable(current[key])) {
      Object.assign(changes, { [key]: wanted });
      audit[FIELD_NAMES[key]] = value;
    }
  }
  return { changes, audit };
}
