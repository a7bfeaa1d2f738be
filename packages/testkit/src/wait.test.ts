import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePort } from './ports.js';
import { waitUntil } from './wait.js';

describe('waitUntil', () => {
  it('gives false once the time is up, a check that throws counting as not yet', async () => {
    const started = Date.now();
    const ok = await waitUntil(
      () => {
        throw new Error('not up');
      },
      200,
      20,
    );
    expect(ok).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
  });

  it('gives true as soon as the check passes', async () => {
    let calls = 0;
    expect(await waitUntil(() => ++calls === 3, 5_000, 10)).toBe(true);
    expect(calls).toBe(3);
  });
});

describe('freePort', () => {
  it('gives a loopback port that can be listened on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((resolve) => server.close(resolve));
  });
});
