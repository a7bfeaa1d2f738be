import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { ARTIFACTS_DIR } from './paths';

/** Polls until `check` passes (it throws or returns false until then). */
export async function eventually<T>(
  check: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<Exclude<T, false>> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== false) return result as Exclude<T, false>;
      lastError = new Error('condition was false');
    } catch (error) {
      lastError = error;
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 150));
  }
  const reason = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`timed out waiting${options.what ? ` for ${options.what}` : ''}: ${reason}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

export async function signInAs(page: Page, baseUrl: string, name: string): Promise<void> {
  await page.goto(baseUrl);
  await page.getByRole('button', { name: new RegExp(`^Sign in as ${name}`) }).click();
  await page.getByTestId('signed-in-as').filter({ hasText: name }).waitFor();
}

/** Message rows in the DOM (the list is virtualized: the ones near the viewport). */
export function messages(page: Page): Locator {
  return page.getByTestId('message');
}

export function messageWithText(page: Page, text: string): Locator {
  return messages(page).filter({ has: page.locator('.text', { hasText: text }) });
}

/** Texts of the stored messages in view, in order, with their seq. */
export async function storedMessages(
  page: Page,
): Promise<Array<{ seq: number; id: string; text: string }>> {
  return page.$$eval('[data-testid="message"][data-seq]', (rows) =>
    rows.map((row) => ({
      seq: Number(row.getAttribute('data-seq')),
      id: row.getAttribute('data-message-id') ?? '',
      text: row.querySelector('.text')?.textContent ?? '',
    })),
  );
}

export async function send(page: Page, text: string): Promise<void> {
  const field = page.getByLabel('Message', { exact: true });
  await field.fill(text);
  await field.press('Enter');
}

/** The token this tab signed in with (kept in sessionStorage by the client). */
export async function tokenOf(page: Page): Promise<string> {
  const token = await page.evaluate(() => {
    const raw = sessionStorage.getItem('booking-chat.auth');
    return raw ? (JSON.parse(raw) as { token: string }).token : null;
  });
  if (!token) throw new Error('the page is not signed in');
  return token;
}
