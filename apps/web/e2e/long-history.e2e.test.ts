import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api, DEMO, devToken } from './support/api';
import { launchChromium } from './support/browser';
import { eventually, messageWithText, screenshot, signInAs, storedMessages } from './support/chat';

/**
 * How many messages the long chat holds. Seeding goes through the REST API (about 70 sends a
 * second on PGlite here), so the default keeps `pnpm test` short; E2E_LONG_HISTORY=10000 runs the
 * same checks on 10,000 (the DOM stays the same size: only the seeding takes longer).
 */
const COUNT = Number(process.env.E2E_LONG_HISTORY ?? 2_000);
const SENDERS = 8;
/** The client's page size (PAGE_SIZE in the SDK's room.ts). */
const PAGE = 50;

/**
 * A chat with a long history stays light: the list is virtualized (a bounded number of rows in
 * the DOM at any depth), opens at the newest message, and pages backwards without jumping.
 */
describe.sequential('a chat with a long history', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let page: Page;
  let sessionId = '';

  beforeAll(async () => {
    browser = await launchChromium();
    const [ada, sarah, samia] = await Promise.all([
      devToken(baseUrl, DEMO.ada),
      devToken(baseUrl, DEMO.sarah),
      devToken(baseUrl, DEMO.samia),
    ]);
    const session = await api<{ id: string }>(baseUrl, ada, 'POST', '/api/chat/sessions', {
      participant_ids: [DEMO.sarah, DEMO.samia],
      session_type: 'general',
    });
    sessionId = session.id;
    const started = Date.now();
    let next = 1;
    // Numbered in send order; a few senders at a time, so seq follows the number closely.
    await Promise.all(
      Array.from({ length: SENDERS }, async () => {
        while (next <= COUNT) {
          const n = next++;
          await api(baseUrl, n % 2 === 0 ? samia : sarah, 'POST', '/api/chat/messages', {
            session_id: sessionId,
            content: `History message #${n}`,
          });
        }
      }),
    );
    console.log(
      `[e2e] seeded ${COUNT} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
    const context = await browser.newContext({ viewport: { width: 1200, height: 780 } });
    page = await context.newPage();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('opens at the newest message with a bounded DOM', async () => {
    await signInAs(page, baseUrl, 'Sarah Johnson');
    const started = Date.now();
    await page.getByTestId('session-item').filter({ hasText: `History message #` }).first().click();
    await page.locator('[data-testid="message"][data-seq]').first().waitFor();
    const rows = await storedMessages(page);
    const opened = Date.now() - started;
    console.log(
      `[e2e] opened a ${COUNT}-message chat in ${opened} ms with ${rows.length} rows in the DOM`,
    );
    expect(Math.max(...rows.map((r) => r.seq))).toBe(COUNT);
    expect(rows.length).toBeLessThan(80);
    await screenshot(page, 'long-history');
  });

  it('pages backwards without jumping, duplicating or skipping', async () => {
    const scroller = page.getByRole('region', { name: 'Message history' });
    const onScreen = () =>
      scroller.evaluate((el) => {
        const box = el.getBoundingClientRect();
        return [...el.querySelectorAll('[data-seq]')]
          .filter((row) => {
            const r = row.getBoundingClientRect();
            return r.bottom > box.top && r.top < box.bottom;
          })
          .map((row) => Number(row.getAttribute('data-seq')));
      });
    let oldest = COUNT;
    const rounds = Math.min(6, Math.ceil(COUNT / PAGE) - 1);
    for (let round = 0; round < rounds; round++) {
      // Pages are 50 messages: the newest page, then one older page per trip to the top.
      const top = COUNT - PAGE * (round + 1) + 1;
      await scroller.evaluate((el) => {
        el.scrollTop = 0;
      });
      oldest = await eventually(
        async () => {
          const min = Math.min(...(await storedMessages(page)).map((r) => r.seq));
          return min < top ? min : false;
        },
        { what: `an older page (round ${round + 1})` },
      );
      // The row that was at the top is still on screen: the view did not jump to the new top.
      await eventually(async () => (await onScreen()).includes(top), {
        what: `row ${top} to stay on screen`,
        timeoutMs: 5_000,
      });
    }
    const rows = await storedMessages(page);
    const seqs = rows.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect((seqs.at(-1) ?? 0) - (seqs[0] ?? 0) + 1).toBe(seqs.length);
    expect(rows.length).toBeLessThan(120);
    expect(oldest).toBeLessThan(COUNT - PAGE * rounds + 1);
  });

  it('scrolls smoothly through loaded history', async () => {
    const scroller = page.getByRole('region', { name: 'Message history' });
    const frames = await scroller.evaluate(async (el) => {
      const gaps: number[] = [];
      let last = performance.now();
      for (let i = 0; i < 90; i++) {
        el.scrollTop += 120;
        await new Promise(requestAnimationFrame);
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      gaps.sort((a, b) => a - b);
      return {
        median: gaps[Math.floor(gaps.length / 2)] ?? 0,
        p95: gaps[Math.floor(gaps.length * 0.95)] ?? 0,
      };
    });
    console.log(
      `[e2e] scrolling frames: median ${frames.median.toFixed(1)} ms, p95 ${frames.p95.toFixed(1)} ms`,
    );
    // Generous: a 2-core machine running other suites; a list rendering 10,000 rows would take seconds.
    expect(frames.p95).toBeLessThan(250);
    expect((await storedMessages(page)).length).toBeLessThan(120);
  });

  it('jumps back to the newest message, and a new one arrives live', async () => {
    await page.getByRole('button', { name: '↓ Latest' }).click();
    await messageWithText(page, `History message #${COUNT}`).waitFor();
    const samia = await devToken(baseUrl, DEMO.samia);
    await api(baseUrl, samia, 'POST', '/api/chat/messages', {
      session_id: sessionId,
      content: 'And one more, live',
    });
    await messageWithText(page, 'And one more, live').waitFor();
  });
});
