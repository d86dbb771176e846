import { pageTemplate } from './templates/template-loader';
import { page, PageContext } from './views';

// The account security pages of SPEC §12 (templates/sessions.hbs, password.hbs, sudo.hbs,
// applications.hbs).

export interface SessionRow {
  id: string;
  userAgent: string;
  ip: string;
  created: string;
  lastSeen: string;
  expires: string;
  current: boolean;
}

export interface ApplicationRow {
  clientId: string;
  name: string;
  scopes: string;
  authorized: string;
  lastIssued: string;
}

export interface HiddenField {
  name: string;
  value: string;
}

const SESSIONS = pageTemplate('sessions');
const PASSWORD = pageTemplate('password');
const SUDO = pageTemplate('sudo');
const APPLICATIONS = pageTemplate('applications');

export const SecurityViews = {
  sessions: (ctx: PageContext, data: { sessions: SessionRow[]; flash?: string }): string =>
    page(ctx, SESSIONS({ ...data, csrf: ctx.csrf })),
  password: (
    ctx: PageContext,
    data: {
      action: string;
      askCurrent: boolean;
      hidden?: HiddenField[];
      error?: string;
      flash?: string;
    },
  ): string => page(ctx, PASSWORD({ ...data, csrf: ctx.csrf })),
  applications: (
    ctx: PageContext,
    data: { applications: ApplicationRow[]; flash?: string },
  ): string => page(ctx, APPLICATIONS({ ...data, csrf: ctx.csrf })),
  sudo: (
    ctx: PageContext,
    data: { action: string; fields: HiddenField[]; cancel: string; error?: string },
  ): string => page(ctx, SUDO({ ...data, csrf: ctx.csrf })),
};
