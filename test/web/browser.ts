import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, chromium, Locator, Page } from 'playwright-core';
import { TestUser } from '../support/factories';

// A real browser for the web pages: Debian's Chromium driven by playwright-core (never a
// downloaded browser build). CI installs it (.ci/run); without it these tests fail, loudly.

export const CHROMIUM = '/usr/bin/chromium';
/** Screenshots of the key pages (ignored by git); npm test runs from the repository root. */
export const ARTIFACTS = resolve(process.cwd(), 'test-artifacts');
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface RealBrowser {
  browser: Browser;
  close: () => Promise<void>;
}

/** Launches /usr/bin/chromium with a fresh profile; fails with instructions when it is missing. */
export async function launchChromium(): Promise<RealBrowser> {
  assert.ok(
    existsSync(CHROMIUM),
    `${CHROMIUM} is missing: the browser tests need Debian's Chromium. ` +
      'Install it with "apt-get update && apt-get install -y chromium" (.ci/run does this).',
  );
  // playwright-core gives every launch a fresh temporary profile (--user-data-dir) of its own
  // and deletes it on close, so no state is shared between runs.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    timeout: 60_000,
  });
  return { browser, close: () => browser.close() };
}

/** A fresh context (cookies, storage) at `viewport`, against the app at `baseURL`. */
export async function newContext(
  browser: Browser,
  baseURL: string,
  viewport: { width: number; height: number } = DESKTOP,
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport,
    deviceScaleFactor: 1,
    isMobile: viewport.width < 500,
    hasTouch: viewport.width < 500,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  context.setDefaultTimeout(15_000);
  return context;
}

/** Collects what the page reports as broken: CSP violations, script errors, console errors. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') {
      problems.push(`console error: ${message.text()}`);
    }
  });
  return problems;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** What the viewport shows, for the README (copied to docs/screenshots/ by hand). */
export async function readmeShot(page: Page, name: string): Promise<void> {
  mkdirSync(join(ARTIFACTS, 'readme'), { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, 'readme', `${name}.png`) });
}

/** A screenshot of one part of a page (long pages such as Swagger UI). */
export async function screenshotOf(locator: Locator, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await locator.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/** Signs in through /login like a person, typing into the labelled fields. */
export async function signIn(
  page: Page,
  user: Pick<TestUser, 'username' | 'password'>,
): Promise<void> {
  await page.goto('/account/tokens');
  assert.match(page.url(), /\/login\?return_to=%2Faccount%2Ftokens$/);
  await page.getByLabel('Username or e-mail').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL('**/account/tokens');
}

/** Whether the page is wider than the viewport (something forces horizontal scrolling). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate<boolean>(
    'document.documentElement.scrollWidth > document.documentElement.clientWidth',
  );
}
