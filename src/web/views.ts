import { pageTemplate } from './templates/template-loader';

// Server-rendered pages, from the Handlebars files in ./templates (which escape every {{value}}).
// No inline scripts or styles, so a strict Content-Security-Policy holds; the stylesheet is
// /assets/tessera.css.
const LAYOUT = pageTemplate('layout');
const LOGIN = pageTemplate('login');
const CONSENT = pageTemplate('consent');
const MESSAGE = pageTemplate('message');

export interface PageContext {
  title: string;
  user?: string;
  csrf?: string;
  /** The signed-in pages' navigation (and their script, /assets/tessera.js). */
  nav?: {
    isAdmin: boolean;
    tokens?: boolean;
    admin?: boolean;
    sessions?: boolean;
    password?: boolean;
    applications?: boolean;
  };
}

export function page(context: PageContext, body: string): string {
  return LAYOUT({ ...context, body });
}

export const Views = {
  login: (
    ctx: PageContext,
    form: { returnTo: string; login?: string; error?: string; needCode?: boolean },
  ): string => page(ctx, LOGIN({ ...form, csrf: ctx.csrf })),
  consent: (
    ctx: PageContext,
    data: {
      appName: string;
      scopes: Array<{ name: string; description: string }>;
      params: Record<string, string>;
    },
  ): string => page(ctx, CONSENT({ ...data, csrf: ctx.csrf, user: ctx.user })),
  message: (
    ctx: PageContext,
    data: { heading: string; message: string; link?: string; linkText?: string },
  ): string => page(ctx, MESSAGE(data)),
};
