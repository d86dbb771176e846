import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { CreateOAuthApplicationRequest } from '../oauth/dto/oauth-application.dto';
import { InstanceSettings } from '../settings/entities/instance-settings.entity';
import { SettingsChanges } from '../settings/settings-changes';
import { field, fieldList, FormBody, PageError } from './web-forms';

// The admin pages' forms, translated to the requests the admin API's services take; refusals
// are sentences for a person.

export interface SettingsForm {
  restApiEnabled: boolean;
  allowQueryKey: boolean;
  allowBasicPassword: boolean;
  legacyAuthEnabled: boolean;
  /** "YYYY-MM-DDTHH:MM" in UTC, or '' for none. */
  legacyAuthSunsetAt: string;
  maxTokenLifetimeDays: string;
}

export interface ApplicationForm {
  name: string;
  redirectUris: string;
  scopes: string[];
  confidential: boolean;
}

export function settingsForm(s: InstanceSettings): SettingsForm {
  return {
    restApiEnabled: s.restApiEnabled,
    allowQueryKey: s.allowQueryKey,
    allowBasicPassword: s.allowBasicPassword,
    legacyAuthEnabled: s.legacyAuthEnabled,
    // <input type="datetime-local"> wants "YYYY-MM-DDTHH:MM"; the page states it is UTC.
    legacyAuthSunsetAt: s.legacyAuthSunsetAt?.toISOString().slice(0, 16) ?? '',
    maxTokenLifetimeDays: String(s.maxTokenLifetimeDays),
  };
}

export function emptyApplicationForm(): ApplicationForm {
  return { name: '', redirectUris: '', scopes: ['read'], confidential: true };
}

export function parseSettingsForm(body: FormBody): SettingsForm {
  const on = (name: string): boolean => field(body, name) === 'on';
  return {
    restApiEnabled: on('rest_api_enabled'),
    allowQueryKey: on('allow_query_key'),
    allowBasicPassword: on('allow_basic_password'),
    legacyAuthEnabled: on('legacy_auth_enabled'),
    legacyAuthSunsetAt: field(body, 'legacy_auth_sunset_at').trim(),
    maxTokenLifetimeDays: field(body, 'max_token_lifetime_days').trim(),
  };
}

export function parseApplicationForm(body: FormBody): ApplicationForm {
  return {
    name: field(body, 'name').trim(),
    redirectUris: field(body, 'redirect_uris'),
    scopes: fieldList(body, 'scopes'),
    confidential: field(body, 'confidential') === 'on',
  };
}

/** The form as settings changes; refusals are sentences (the API's DTO checks the same bounds). */
export function settingsChanges(form: SettingsForm): SettingsChanges {
  const days = Number(form.maxTokenLifetimeDays);
  if (!Number.isInteger(days) || days < 1 || days > 365) {
    throw new PageError(400, 'The maximum token lifetime must be a whole number of 1 to 365 days.');
  }
  let sunset: Date | null = null;
  if (form.legacyAuthSunsetAt) {
    sunset = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(form.legacyAuthSunsetAt)
      ? new Date(`${form.legacyAuthSunsetAt}Z`)
      : null;
    if (!sunset || Number.isNaN(sunset.getTime())) {
      throw new PageError(400, 'The sunset must be a date and time (UTC), or empty for none.');
    }
  }
  return {
    restApiEnabled: form.restApiEnabled,
    allowQueryKey: form.allowQueryKey,
    allowBasicPassword: form.allowBasicPassword,
    legacyAuthEnabled: form.legacyAuthEnabled,
    legacyAuthSunsetAt: sunset,
    maxTokenLifetimeDays: days,
  };
}

const APPLICATION_SENTENCES: Record<string, string> = {
  name: 'Give the application a name of up to 120 characters.',
  redirect_uris:
    'Give 1 to 10 different redirect URIs, one per line: https URLs (http only for ' +
    'localhost) without a #fragment.',
  scopes: 'Choose at least one scope.',
};

/** The form as the API's request, checked by the same validators; refusals are sentences. */
export async function applicationRequest(
  form: ApplicationForm,
): Promise<CreateOAuthApplicationRequest> {
  const dto = plainToInstance(CreateOAuthApplicationRequest, {
    name: form.name,
    redirect_uris: form.redirectUris
      .split(/\r?\n/)
      .map((u) => u.trim())
      .filter(Boolean),
    scopes: form.scopes,
    confidential: form.confidential,
  });
  const errors = await validate(dto, { whitelist: true, forbidNonWhitelisted: true });
  if (errors.length) {
    throw new PageError(
      400,
      errors.map((e) => APPLICATION_SENTENCES[e.property] ?? 'Check the form.').join(' '),
    );
  }
  return dto;
}
