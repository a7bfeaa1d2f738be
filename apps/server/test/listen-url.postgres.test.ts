import { waitUntil } from '@chat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Database, openDatabase, sql } from '../src/db/database.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { requiredServiceUrl } from './support/test-app.js';

/**
 * DATABASE_LISTEN_URL: with DATABASE_URL on a transaction-mode pooler (which accepts LISTEN and
 * then delivers nothing), the one listening connection goes elsewhere, and only it. A proxy in
 * front of PostgreSQL stands for that other address: what passes through it is the listener's.
 */
describe('the listening connection goes to DATABASE_LISTEN_URL, the pool to DATABASE_URL', () => {
  let proxy: TcpProxy;
  let database: Database;
  const heard: string[] = [];
  const events: string[] = [];

  beforeAll(async () => {
    const direct = new URL(requiredServiceUrl('DATABASE_URL'));
    proxy = await TcpProxy.start([{ host: direct.hostname, port: Number(direct.port || 5432) }]);
    const throughProxy = new URL(direct.href);
    throughProxy.host = `127.0.0.1:${proxy.port}`;
    database = await openDatabase({
      kind: 'postgres',
      url: direct.href,
      poolSize: 2,
      listenUrl: throughProxy.href,
    });
    await database.listen('chat_listen_url_test', {
      notify: (payload) => heard.push(payload),
      missed: () => events.push('missed'),
      lost: () => events.push('lost'),
    });
  });
  afterAll(async () => {
    await database?.close();
    await proxy?.close();
  });

  it('hears a NOTIFY through the listen URL while the pool never goes there', async () => {
    for (let i = 0; i < 5; i += 1) await database.ping();
    await database.db.execute(sql`SELECT pg_notify('chat_listen_url_test', 'hello')`);
    expect(await waitUntil(async () => heard.includes('hello'), 5_000, 50)).toBe(true);
    expect(proxy.accepted).toBe(1);
  });

  it('losing the listen URL cuts the listener only; it listens again and says it may have missed some', async () => {
    proxy.refuse();
    expect(await waitUntil(async () => events.includes('lost'), 10_000, 50)).toBe(true);
    await database.ping();
    proxy.forward();
    expect(await waitUntil(async () => events.includes('missed'), 15_000, 100)).toBe(true);
    await database.db.execute(sql`SELECT pg_notify('chat_listen_url_test', 'again')`);
    expect(await waitUntil(async () => heard.includes('again'), 5_000, 50)).toBe(true);
  });
});
