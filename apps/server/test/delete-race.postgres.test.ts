import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from './support/rest.js';
import { requiredServiceUrl, startTestApp, type TestApp } from './support/test-app.js';

/**
 * A sender's delete racing an admin's close (issue 12, finding 10a): the close being committed
 * wins, so the evidence stays. Needs a second connection holding the close open: PostgreSQL.
 */
describe('deleting while the session is being closed', () => {
  let t: TestApp;
  let closer: pg.Client;
  beforeAll(async () => {
    t = await startTestApp();
    closer = new pg.Client({ connectionString: requiredServiceUrl('DATABASE_URL') });
    await closer.connect();
  });
  afterAll(async () => {
    await closer?.end();
    await t?.close();
  });

  it('a sender’s delete that arrives while a close is being committed waits for it and is refused', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const message = await t.factory.message(client, sessionId, 'call me on my number');
    await closer.query('BEGIN');
    await closer.query(`UPDATE chat_sessions SET status = 'closed' WHERE id = $1`, [sessionId]);
    let settled = false;
    const deleting = t.app
      .inject({ method: 'DELETE', url: `/api/chat/messages/${message.id}`, headers: client.auth })
      .finally(() => {
        settled = true;
      });
    // The delete waits on the session's row while the close is not committed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    await closer.query('COMMIT');
    expectError(await deleting, 'SESSION_INACTIVE');
    const { rows } = await closer.query(
      'SELECT deleted_at, content FROM chat_messages WHERE id = $1',
      [message.id],
    );
    expect(rows[0]).toEqual({ deleted_at: null, content: 'call me on my number' });
  });
});
