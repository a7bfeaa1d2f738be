import { chromium } from 'playwright-core';
import { api, DEMO, devToken } from './e2e/support/api';
const base = 'http://127.0.0.1:5123';
const [ada, sarahT, samiaT] = await Promise.all([devToken(base, DEMO.ada), devToken(base, DEMO.sarah), devToken(base, DEMO.samia)]);
const s = await api<{ id: string }>(base, ada, 'POST', '/api/chat/sessions', { participant_ids: [DEMO.sarah, DEMO.samia], session_type: 'general' });
let next = 1;
await Promise.all(Array.from({ length: 8 }, async () => { while (next <= 400) { const n = next++; await api(base, n % 2 ? sarahT : samiaT, 'POST', '/api/chat/messages', { session_id: s.id, content: `History message #${n}` }); } }));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, chromiumSandbox: false, args: ['--disable-gpu'] });
const page = await (await browser.newContext({ viewport: { width: 1200, height: 780 } })).newPage();
await page.goto(`${base}`);
await page.getByRole('button', { name: /^Sign in as Sarah/ }).click();
await page.getByTestId('session-item').filter({ hasText: 'History message #' }).first().click();
await page.locator('[data-testid="message"][data-seq]').first().waitFor();
const seqs = () => page.$$eval('[data-testid="message"][data-seq]', (rows) => rows.map((r) => Number(r.getAttribute('data-seq'))));
const scroller = page.getByRole('region', { name: 'Message history' });
const top = () => scroller.evaluate((el) => { const r = el.getBoundingClientRect(); const rows = [...el.querySelectorAll('[data-seq]')].filter((x) => { const b = x.getBoundingClientRect(); return b.bottom > r.top && b.top < r.bottom; }); return { scrollTop: el.scrollTop, firstVisible: rows[0]?.getAttribute('data-seq') }; });
await page.waitForTimeout(500);
let d = await seqs(); console.log('initial', d[0], d.at(-1), d.length, await top());
for (let round = 0; round < 3; round++) {
  await scroller.evaluate((el) => { el.scrollTop = 0; });
  for (let i = 0; i < 8; i++) { await page.waitForTimeout(150); d = await seqs(); console.log(round, i, d[0], d.at(-1), d.length, JSON.stringify(await top())); }
}
await browser.close();
