import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { startTestApp, useTestApp } from './support/test-app.js';

/** `Content-Security-Policy` as { directive: [sources] }. */
function policy(response: LightMyRequestResponse): Record<string, string[]> {
  const header = response.headers['content-security-policy'];
  expect(typeof header, 'a Content-Security-Policy header').toBe('string');
  return Object.fromEntries(
    String(header)
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** The headers issue 12 asks of every page and answer, whatever the policy. */
function expectHardened(response: LightMyRequestResponse): void {
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  expect(response.headers['x-frame-options']).toBe('DENY');
  expect(response.headers['referrer-policy']).toBe('same-origin');
  expect(policy(response)['frame-ancestors']).toEqual(["'none'"]);
}

const webDist = mkdtempSync(join(tmpdir(), 'chat-web-dist-'));
writeFileSync(
  join(webDist, 'index.html'),
  '<!doctype html><div id="root"></div><script type="module" src="/assets/index.js"></script>',
);
// Registered before the app's: after-hooks run last-registered first, so this runs after close.
afterAll(() => rmSync(webDist, { recursive: true, force: true }));
const t = useTestApp({ WEB_DIST_DIR: webDist, PUBLIC_URL: 'https://chat.example' });

describe('security headers (issue 12)', () => {
  it('the web page can no longer run inline or foreign script, be framed, or be sniffed: strict CSP, nosniff, Referrer-Policy, HSTS on https', async () => {
    const page = await t.app.inject({
      method: 'GET',
      url: '/',
      headers: { host: 'chat.internal:5000' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expectHardened(page);
    expect(page.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
    const csp = policy(page);
    expect(csp['default-src']).toEqual(["'self'"]);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['script-src-attr']).toEqual(["'none'"]);
    expect(csp['style-src']).toEqual(["'self'"]);
    expect(csp['object-src']).toEqual(["'none'"]);
    expect(csp['base-uri']).toEqual(["'none'"]);
    expect(csp['form-action']).toEqual(["'self'"]);
    for (const sources of Object.values(csp)) {
      expect(sources).not.toContain("'unsafe-inline'");
      expect(sources).not.toContain("'unsafe-eval'");
      expect(sources).not.toContain('*');
    }
    // The socket: the page's own host and PUBLIC_URL's, over ws and wss.
    expect(csp['connect-src']).toEqual(
      expect.arrayContaining([
        "'self'",
        'https://chat.example',
        'wss://chat.example',
        'ws://chat.internal:5000',
        'wss://chat.internal:5000',
      ]),
    );
    expect(csp['media-src']).toEqual(["'self'", 'blob:', 'https://chat.example']);
  });

  it('a Host header cannot write itself into the policy', async () => {
    const page = await t.app.inject({
      method: 'GET',
      url: '/',
      headers: { host: "evil.example; script-src 'unsafe-inline'" },
    });
    const csp = policy(page);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(String(page.headers['content-security-policy'])).not.toContain('evil.example');
  });

  it('API answers carry nosniff and refuse framing too, errors included', async () => {
    expectHardened(await t.app.inject({ method: 'GET', url: '/healthz' }));
    expectHardened(await t.app.inject({ method: 'GET', url: '/api/chat/sessions' }));
    expectHardened(await t.app.inject({ method: 'GET', url: '/no/such/route' }));
  });

  it('/docs keeps working: its own policy allows its inline styles, never inline script', async () => {
    const docs = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    const csp = policy(docs);
    expect(csp['script-src']).toEqual(["'self'"]);
    expect(csp['style-src']).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp['frame-ancestors']).toEqual(["'none'"]);
    expect(docs.headers['x-content-type-options']).toBe('nosniff');
  });

  it('no HSTS when PUBLIC_URL is plain http (a loopback or internal deployment)', async () => {
    const plain = await startTestApp(
      { WEB_DIST_DIR: webDist, PUBLIC_URL: 'http://127.0.0.1:5000' },
      { database: t.database },
    );
    try {
      const page = await plain.app.inject({ method: 'GET', url: '/' });
      expectHardened(page);
      expect(page.headers['strict-transport-security']).toBeUndefined();
      expect(policy(page)['connect-src']).toEqual(
        expect.arrayContaining(['http://127.0.0.1:5000', 'ws://127.0.0.1:5000']),
      );
    } finally {
      await plain.close();
    }
  });
});
