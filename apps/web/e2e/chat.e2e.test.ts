import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { api } from './support/api';
import { launchChromium } from './support/browser';
import {
  eventually,
  messageWithText,
  screenshot,
  send,
  signInAs,
  storedMessages,
  tokenOf,
} from './support/chat';
import { collectCspViolations } from './support/csp';

const ADA = '33333333-3333-4333-8333-333333333333';

/** A 480×300 PNG drawn by the browser's canvas: three cards on a night sky. */
async function drawPicture(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(() => {
    const canvas = document.createElement('canvas');
    canvas.width = 480;
    canvas.height = 300;
    const g = canvas.getContext('2d');
    if (!g) throw new Error('no 2d canvas');
    const sky = g.createLinearGradient(0, 0, 480, 300);
    sky.addColorStop(0, '#1e1b4b');
    sky.addColorStop(1, '#5b4bdb');
    g.fillStyle = sky;
    g.fillRect(0, 0, 480, 300);
    g.fillStyle = 'rgba(255,255,255,0.8)';
    for (let i = 0; i < 60; i++) g.fillRect((i * 97) % 480, (i * 53) % 300, 2, 2);
    const names = ['The Tower', 'The Star', 'The Sun'];
    names.forEach((name, i) => {
      const x = 40 + i * 140;
      g.fillStyle = '#fdf6e3';
      g.beginPath();
      g.roundRect(x, 60, 120, 180, 12);
      g.fill();
      g.strokeStyle = '#d4a72c';
      g.lineWidth = 4;
      g.stroke();
      g.fillStyle = '#d4a72c';
      g.beginPath();
      g.arc(x + 60, 130, 28, 0, Math.PI * 2);
      g.fill();
      g.fillStyle = '#1e1b4b';
      g.font = 'bold 16px sans-serif';
      g.textAlign = 'center';
      g.fillText(name, x + 60, 210);
    });
    return canvas.toDataURL('image/png').split(',')[1] ?? '';
  });
  return Buffer.from(base64, 'base64');
}

/**
 * The client (Sarah) and the reader (Samia) in two browser contexts of one headless Chromium,
 * against the built server and client: the conversation a newcomer has after `pnpm start`.
 * Each step builds on the one before.
 */
describe.sequential('booking chat in a real browser', () => {
  const baseUrl = inject('baseUrl');
  let browser: Browser;
  let sarahContext: BrowserContext;
  let samiaContext: BrowserContext;
  let sarah: Page;
  let samia: Page;
  let sessionId = '';
  const pageErrors: string[] = [];
  const cspViolations: string[] = [];

  async function newPage(context: BrowserContext, who: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
    await collectCspViolations(page, who, cspViolations);
    return page;
  }

  beforeAll(async () => {
    browser = await launchChromium();
    const options = { viewport: { width: 1200, height: 780 }, permissions: ['microphone'] };
    sarahContext = await browser.newContext(options);
    samiaContext = await browser.newContext(options);
    sarah = await newPage(sarahContext, 'sarah');
    samia = await newPage(samiaContext, 'samia');
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('signs both sides in with the demo picker and opens the booking chat', async () => {
    await sarah.goto(baseUrl);
    await sarah.getByRole('button', { name: /^Sign in as Samia Reader/ }).waitFor();
    await screenshot(sarah, 'sign-in');

    await signInAs(sarah, baseUrl, 'Sarah Johnson');
    await sarah.getByRole('button', { name: 'Open the demo booking chat' }).click();
    await sarah.getByRole('heading', { name: 'Samia Reader', level: 2 }).waitFor();
    await sarah.getByText('Full Tarot Reading').first().waitFor();
    sessionId = await eventually(() => /#\/chat\/([0-9a-f-]{36})/.exec(sarah.url())?.[1] ?? false, {
      what: 'the chat in the address',
    });

    await signInAs(samia, baseUrl, 'Samia Reader');
    const item = samia.getByTestId('session-item').filter({ hasText: 'Sarah Johnson' });
    await item.filter({ hasText: 'Full Tarot Reading' }).waitFor();
    await item.click();
    await samia.getByRole('heading', { name: 'Sarah Johnson', level: 2 }).waitFor();
    // Sarah is told that Samia came into the chat.
    await sarah
      .getByTestId('presence-notice')
      .filter({ hasText: 'Samia Reader joined the chat' })
      .waitFor();
  });

  it('exchanges messages, both ways, live', async () => {
    await send(sarah, 'Hello Samia, I have a question about my reading');
    await messageWithText(samia, 'Hello Samia, I have a question about my reading').waitFor();

    await send(samia, 'Hi Sarah! Of course, ask away.');
    await messageWithText(sarah, 'Hi Sarah! Of course, ask away.').waitFor();

    // Shift+Enter is a new line, Enter sends.
    const field = sarah.getByLabel('Message', { exact: true });
    await field.fill('');
    await field.type('The cards were:');
    await field.press('Shift+Enter');
    await field.type('The Tower, The Star');
    await field.press('Enter');
    const multiline = messageWithText(samia, 'The Tower, The Star');
    await multiline.waitFor();
    expect((await multiline.locator('.text').textContent()) ?? '').toBe(
      'The cards were:\nThe Tower, The Star',
    );
    expect(await field.inputValue()).toBe('');
  });

  it('shows the other side typing, and stops when the message is sent', async () => {
    const indicator = sarah.getByTestId('typing-indicator');
    const field = samia.getByLabel('Message', { exact: true });
    await field.click();
    await field.type('Let me look at the spread', { delay: 20 });
    await eventually(async () => ((await indicator.textContent()) ?? '') === 'Samia is typing...', {
      what: '"Samia is typing..." on Sarah’s side',
    });
    await screenshot(sarah, 'typing');
    await field.press('Enter');
    await messageWithText(sarah, 'Let me look at the spread').waitFor();
    await eventually(async () => ((await indicator.textContent()) ?? '') === '', {
      what: 'the typing line to clear',
    });
  });

  it('shows sent, then read ticks, and live unread badges in the list', async () => {
    // Samia steps out of the chat (back to the list); Sarah writes.
    await samia.evaluate(() => {
      window.location.hash = '';
    });
    await samia.getByText('Pick a chat to start talking.').waitFor();
    await sarah
      .getByTestId('presence-notice')
      .filter({ hasText: 'Samia Reader left the chat' })
      .waitFor();
    await send(sarah, 'Are you still there?');
    const mine = messageWithText(sarah, 'Are you still there?');
    await eventually(
      async () => (await mine.getByTestId('tick').getAttribute('data-tick')) === 'sent',
      {
        what: 'the sent tick',
      },
    );

    const badge = samia
      .getByTestId('session-item')
      .filter({ hasText: 'Sarah Johnson' })
      .getByTestId('unread-badge');
    await eventually(async () => (await badge.getAttribute('data-count')) === '1', {
      what: 'an unread badge of 1',
    });
    await send(sarah, 'Just checking in.');
    await eventually(async () => (await badge.getAttribute('data-count')) === '2', {
      what: 'the badge to count 2',
    });
    await eventually(
      async () =>
        ((await samia.getByTestId('session-item').first().textContent()) ?? '').includes(
          'Just checking in.',
        ),
      { what: 'the last message in the list preview' },
    );
    await screenshot(samia, 'session-list-unread');

    // Samia opens the chat: Sarah's ticks turn to read, the badge goes away.
    await samia.getByTestId('session-item').filter({ hasText: 'Sarah Johnson' }).click();
    await messageWithText(samia, 'Just checking in.').waitFor();
    await eventually(
      async () =>
        (await messageWithText(sarah, 'Just checking in.')
          .getByTestId('tick')
          .getAttribute('data-tick')) === 'read',
      { what: 'the read tick' },
    );
    expect(await mine.getByTestId('tick').getAttribute('data-tick')).toBe('read');
    await eventually(async () => (await badge.count()) === 0, { what: 'the badge to clear' });
  });

  it('reacts with the picker, counts reactions and names who reacted', async () => {
    const target = messageWithText(samia, 'Just checking in.');
    await target.hover();
    await target.getByRole('button', { name: 'Add reaction' }).click();
    await samia.getByRole('button', { name: 'React with ❤️' }).click();

    const chipOnSarah = messageWithText(sarah, 'Just checking in.').getByTestId('reaction-chip');
    await eventually(
      async () => (await chipOnSarah.getAttribute('aria-label')) === '❤️ 1: Samia Reader',
      {
        what: 'Samia’s reaction on Sarah’s side',
      },
    );
    // Sarah adds the same one (toggle on), then takes it back (toggle off).
    await chipOnSarah.click();
    await eventually(
      async () => (await chipOnSarah.getAttribute('aria-label')) === '❤️ 2: Samia Reader, You',
      {
        what: 'a count of 2',
      },
    );
    const chipOnSamia = messageWithText(samia, 'Just checking in.').getByTestId('reaction-chip');
    await eventually(
      async () => (await chipOnSamia.getAttribute('aria-label')) === '❤️ 2: You, Sarah Johnson',
      {
        what: 'the count of 2 on Samia’s side',
      },
    );
    await chipOnSarah.click();
    await eventually(async () => (await chipOnSamia.getAttribute('aria-label')) === '❤️ 1: You', {
      what: 'the count back to 1',
    });

    // The keyboard reaches the picker too.
    const other = messageWithText(sarah, 'Hi Sarah! Of course, ask away.');
    await other.getByRole('button', { name: 'Add reaction' }).focus();
    await sarah.keyboard.press('Enter');
    await sarah.keyboard.press('ArrowRight');
    await sarah.keyboard.press('Enter');
    await eventually(
      async () =>
        (await messageWithText(samia, 'Hi Sarah! Of course, ask away.')
          .getByTestId('reaction-chip')
          .getAttribute('aria-label')) === '❤️ 1: Sarah Johnson',
      { what: 'a reaction chosen with the keyboard' },
    );
  });

  it('uploads an image with progress; the other side opens it full size', async () => {
    const png = await drawPicture(sarah);
    await sarah
      .getByTestId('file-input')
      .setInputFiles({ name: 'my spread.png', mimeType: 'image/png', buffer: png });

    const image = samia.getByRole('img', { name: 'my spread.png' }).first();
    await image.waitFor();
    await eventually(
      () => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0),
      {
        what: 'the thumbnail to load',
      },
    );
    await samia.getByRole('button', { name: 'Open image my spread.png full size' }).click();
    const dialog = samia.getByRole('dialog', { name: 'my spread.png' });
    await dialog.waitFor();
    const full = dialog.getByRole('img', { name: 'my spread.png' });
    await eventually(
      () => full.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth === 480),
      {
        what: 'the full-size image',
      },
    );
    await screenshot(samia, 'image-full-size');
    await samia.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    // The sender saw its own upload arrive once.
    await sarah.getByRole('img', { name: 'my spread.png' }).first().waitFor();
    expect(await sarah.locator('[data-type="image"][data-seq]').count()).toBe(1);
  });

  it('sends a PDF as a download card and explains refused files', async () => {
    const pdf = Buffer.from(
      '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
    );
    await samia
      .getByTestId('file-input')
      .setInputFiles({ name: 'reading notes.pdf', mimeType: 'application/pdf', buffer: pdf });
    const card = sarah.getByRole('link', { name: /reading notes\.pdf/ });
    await card.waitFor();
    const href = await card.getAttribute('href');
    expect(href).toContain('/api/chat/files/');
    const download = await sarah.evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, start: (await response.text()).slice(0, 8) };
    }, href ?? '');
    expect(download).toEqual({ status: 200, start: '%PDF-1.4' });

    // Refused before uploading: not an image or a PDF.
    await sarah
      .getByTestId('file-input')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hi') });
    await sarah.getByTestId('chat-alert').filter({ hasText: 'only images' }).waitFor();
    // Refused by the server: the bytes are not what the name says.
    await sarah.getByTestId('file-input').setInputFiles({
      name: 'not really.png',
      mimeType: 'image/png',
      buffer: Buffer.from('just some text, not a picture'),
    });
    await sarah
      .getByTestId('chat-alert')
      .filter({ hasText: /not really\.png.*Only images/ })
      .waitFor();
    await screenshot(sarah, 'refused-file');
    const dismiss = sarah.getByRole('button', { name: 'Dismiss' });
    while ((await dismiss.count()) > 0) await dismiss.first().click();
    await sarah.getByRole('button', { name: 'Discard' }).first().click();
  });

  it('records a voice note with the fake microphone; the other side plays it', async () => {
    // Cancel sends nothing.
    await sarah.getByRole('button', { name: 'Record a voice note' }).click();
    await sarah.getByTestId('recorder').waitFor();
    await sarah.getByRole('button', { name: 'Cancel' }).click();
    await sarah.getByRole('button', { name: 'Record a voice note' }).waitFor();

    await sarah.getByRole('button', { name: 'Record a voice note' }).click();
    const timer = sarah.getByRole('timer', { name: 'Recording time' });
    await eventually(async () => ((await timer.textContent()) ?? '').startsWith('0:02'), {
      what: 'the recording timer to reach 2 s',
    });
    await screenshot(sarah, 'recording');
    await sarah.getByRole('button', { name: 'Send voice note' }).click();

    const player = samia.getByTestId('voice-player').last();
    await player.waitFor();
    expect(await samia.locator('[data-type="voice"][data-seq]').count()).toBe(1);
    const shown = await player.getByTestId('voice-duration').textContent();
    expect(shown).toMatch(/^0:0[1-4]$/);

    const audio = player.locator('audio');
    await eventually(() => audio.evaluate((a: HTMLAudioElement) => a.readyState >= 1), {
      what: 'the audio metadata to load',
    });
    await player.getByRole('button', { name: 'Play voice note' }).click();
    const played = await eventually(
      () =>
        audio.evaluate((a: HTMLAudioElement) =>
          a.currentTime > 0.2 || a.ended
            ? { time: a.currentTime, duration: a.duration, error: a.error }
            : false,
        ),
      { what: 'the voice note to play' },
    );
    expect(played.error).toBeNull();
    expect(played.duration).toBeGreaterThan(0);

    // Named by its real container.
    const token = await tokenOf(sarah);
    const stored = await sarah.evaluate(
      async ({ token, sessionId }) => {
        const response = await fetch(`/api/chat/messages?session_id=${sessionId}&limit=5`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        const body = (await response.json()) as {
          data: {
            messages: Array<{ type: string; file_name: string; metadata: Record<string, unknown> }>;
          };
        };
        return body.data.messages.filter((m) => m.type === 'voice');
      },
      { token, sessionId },
    );
    expect(stored).toHaveLength(1);
    expect(stored[0]?.file_name).toMatch(/\.webm$/);
    expect(stored[0]?.metadata.audio_format).toBe('webm');
    await screenshot(samia, 'chat-reader');
    await screenshot(sarah, 'chat-client');
  });

  it('catches up after being offline: everything missed, nothing twice', async () => {
    await samiaContext.setOffline(true);
    await samia.getByTestId('network-banner').filter({ hasText: 'offline' }).waitFor();
    await screenshot(samia, 'offline');

    await send(sarah, 'Missed one');
    await send(sarah, 'Missed two');
    await send(sarah, 'Missed three');
    await messageWithText(sarah, 'Missed three').waitFor();
    // Samia writes while offline: it waits, then goes out by itself once online.
    await send(samia, 'Written while offline');
    await eventually(
      async () =>
        ['sending', 'failed'].includes(
          (await messageWithText(samia, 'Written while offline')
            .getByTestId('tick')
            .getAttribute('data-tick')) ?? '',
        ),
      { what: 'the offline message to wait' },
    );
    expect(await messageWithText(samia, 'Missed one').count()).toBe(0);

    await samiaContext.setOffline(false);
    await messageWithText(samia, 'Missed three').waitFor({ timeout: 30_000 });
    await messageWithText(sarah, 'Written while offline').waitFor({ timeout: 30_000 });
    await samia.getByTestId('network-banner').filter({ hasText: 'Back online' }).waitFor();

    for (const text of ['Missed one', 'Missed two', 'Missed three']) {
      expect(await messageWithText(samia, text).count()).toBe(1);
    }
    await eventually(
      async () => (await messageWithText(samia, 'Written while offline').count()) === 1 && true,
    );
    await eventually(
      async () => (await messageWithText(sarah, 'Written while offline').count()) === 1 && true,
    );
    const rows = await storedMessages(samia);
    const seqs = rows.map((r) => r.seq);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Contiguous: nothing missing in what is shown.
    expect((seqs.at(-1) ?? 0) - (seqs[0] ?? 0) + 1).toBe(seqs.length);
  });

  it('retries a send whose answer was lost without storing it twice', async () => {
    let dropped = false;
    await sarah.route('**/api/chat/messages', async (route) => {
      if (route.request().method() !== 'POST' || dropped) return route.fallback();
      dropped = true;
      await route.fetch(); // The server stores it...
      await route.abort('connectionreset'); // ...but the answer never reaches the page.
    });
    await send(sarah, 'Did this arrive?');
    const mine = messageWithText(sarah, 'Did this arrive?');
    await eventually(
      async () => (await mine.getByTestId('tick').getAttribute('data-tick')) !== 'sending',
      {
        what: 'the send to settle',
      },
    );
    await messageWithText(samia, 'Did this arrive?').waitFor();
    const retry = mine.getByRole('button', { name: 'Retry' });
    if ((await retry.count()) > 0) await retry.click();
    await eventually(
      async () => (await mine.getByTestId('tick').getAttribute('data-tick')) === 'read',
      {
        what: 'the retried message to be stored and read',
      },
    );
    await sarah.unroute('**/api/chat/messages');
    expect(await messageWithText(sarah, 'Did this arrive?').count()).toBe(1);
    expect(await messageWithText(samia, 'Did this arrive?').count()).toBe(1);
  });

  it('explains a rate limit and sends on retry', async () => {
    let limited = false;
    await sarah.route('**/api/chat/messages', async (route) => {
      if (route.request().method() !== 'POST' || limited) return route.fallback();
      limited = true;
      await route.fulfill({
        status: 429,
        headers: { 'Retry-After': '7', 'Content-Type': 'application/json' },
        body: JSON.stringify({
          success: false,
          error: 'Too many requests, please slow down',
          code: 'RATE_LIMIT_EXCEEDED',
          details: [],
        }),
      });
    });
    await send(sarah, 'Slow down test');
    await sarah
      .getByTestId('chat-alert')
      .filter({ hasText: 'You are sending too fast. Try again in 7 s.' })
      .waitFor();
    const mine = messageWithText(sarah, 'Slow down test');
    await mine.getByRole('button', { name: 'Retry' }).click();
    await messageWithText(samia, 'Slow down test').waitFor();
    await sarah.unroute('**/api/chat/messages');
    expect(await messageWithText(samia, 'Slow down test').count()).toBe(1);
  });

  it('shows a closed session, an admin notice, a deletion, and announces new messages', async () => {
    const live = samia.getByTestId('live-region');
    await send(sarah, 'Thank you for the reading!');
    await eventually(
      async () =>
        ((await live.textContent()) ?? '') === 'Sarah Johnson: Thank you for the reading!',
      {
        what: 'the live region announcement',
      },
    );

    // An admin closes the session over REST (no browser Origin: a server-side call).
    const signIn = await fetch(`${baseUrl}/api/dev/sign-in`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ user_id: ADA }),
    });
    const { data } = (await signIn.json()) as { data: { token: string } };
    const closed = await fetch(`${baseUrl}/api/chat/sessions/${sessionId}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${data.token}` },
      body: JSON.stringify({ status: 'closed' }),
    });
    expect(closed.status).toBe(200);
    await sarah.getByText('This chat is closed: no new messages can be sent.').waitFor();
    await samia.getByText('This chat is closed: no new messages can be sent.').waitFor();
    await screenshot(sarah, 'closed');

    const reopened = await fetch(`${baseUrl}/api/chat/sessions/${sessionId}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${data.token}` },
      body: JSON.stringify({ status: 'active' }),
    });
    expect(reopened.status).toBe(200);
    await sarah.getByLabel('Message', { exact: true }).waitFor();

    // The admin's notice stands apart from the conversation; a removed message leaves a tombstone.
    await api(baseUrl, data.token, 'POST', '/api/chat/messages', {
      session_id: sessionId,
      type: 'system',
      content: 'This chat was reopened by the moderation team.',
    });
    const notice = samia
      .getByTestId('system-message')
      .filter({ hasText: 'reopened by the moderation team' });
    await notice.waitFor();
    expect(await notice.locator('[data-testid="tick"]').count()).toBe(0);

    const doomed = await api<{ id: string }>(
      baseUrl,
      await tokenOf(sarah),
      'POST',
      '/api/chat/messages',
      {
        session_id: sessionId,
        content: 'A message the admin removes',
      },
    );
    await messageWithText(samia, 'A message the admin removes').waitFor();
    await api(baseUrl, data.token, 'DELETE', `/api/chat/messages/${doomed.id}`);
    await samia
      .locator(`[data-message-id="${doomed.id}"]`)
      .getByText('This message was deleted.')
      .waitFor();
    expect(await messageWithText(samia, 'A message the admin removes').count()).toBe(0);
  });

  it('fits a phone: the list, then the chat with a way back', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 760 },
      isMobile: true,
      hasTouch: true,
    });
    const page = await newPage(phone, 'phone');
    await signInAs(page, baseUrl, 'Sarah Johnson');
    await page.getByTestId('session-item').filter({ hasText: 'Samia Reader' }).click();
    await messageWithText(page, 'Thank you for the reading!').waitFor();
    expect(await page.getByRole('navigation', { name: 'Chats' }).isVisible()).toBe(false);
    await screenshot(page, 'phone-chat');
    await page.getByRole('button', { name: 'Back to chats' }).click();
    await page.getByRole('navigation', { name: 'Chats' }).waitFor();
    await phone.close();
  });

  it('Swagger UI at /docs still renders and tries a call under its own policy', async () => {
    const docs = await browser.newContext({ viewport: { width: 1200, height: 780 } });
    const page = await newPage(docs, 'docs');
    await page.goto(`${baseUrl}/docs`);
    await page.getByText('/api/chat/sessions').first().click();
    await page.getByRole('button', { name: 'Try it out' }).first().click();
    await page.getByRole('button', { name: 'Execute' }).first().click();
    // Anonymous: the call goes out and its refusal is shown.
    await page
      .locator('.response .response-col_status')
      .filter({ hasText: '401' })
      .first()
      .waitFor();
    await docs.close();
  });

  it('ran without page errors', () => {
    expect(pageErrors).toEqual([]);
  });

  it('ran the whole chat under a strict Content-Security-Policy without a single violation (issue 12)', async () => {
    const page = await fetch(baseUrl);
    const policy = page.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/(^|;)\s*script-src 'self'\s*(;|$)/);
    expect(policy).toMatch(/(^|;)\s*style-src 'self'\s*(;|$)/);
    expect(policy).toMatch(/(^|;)\s*frame-ancestors 'none'\s*(;|$)/);
    expect(cspViolations).toEqual([]);
  });
});
