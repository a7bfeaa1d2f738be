import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { form, pdfDocument } from './support/media-fixtures.js';
import { expectStatus, type MessageListAnswer, upload } from './support/rest.js';
import { type ClientSocket, connectClient } from './support/sockets.js';
import { eventually, multipartHead, multipartTail, stalledRequest } from './support/stalled.js';
import { useTestApp } from './support/test-app.js';

/**
 * Issue 12, finding 9: a body that stopped half way was held forever (still open after 330 s),
 * an upload with its spool file and scan with it. Timeouts are lowered here so the waits stay
 * short; every wait is bounded.
 */
const REQUEST_TIMEOUT_MS = 2_000;
const UPLOAD_IDLE_TIMEOUT_MS = 500;

let port: number;
const sockets: ClientSocket[] = [];
const t = useTestApp(
  {
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    UPLOAD_IDLE_TIMEOUT_MS: String(UPLOAD_IDLE_TIMEOUT_MS),
    // One upload a minute: a stalled upload that kept its budget would leave none.
    RATE_LIMIT_FILES_PER_MINUTE: '1',
    // Longer than the request timeout: a long-poll is held that long waiting for its answer.
    SOCKET_PING_INTERVAL_MS: String(REQUEST_TIMEOUT_MS + 1_000),
  },
  { sockets },
);
beforeAll(async () => {
  port = (t.app.server.address() as AddressInfo).port;
});

/** Longest a test waits for the server to close a stalled request (the timeout, Node's check, slack). */
const REQUEST_CUT_BOUND_MS = REQUEST_TIMEOUT_MS * 2 + 1_000;

const spoolDir = () => join(t.config.dataDir, 'tmp', 'uploads');

describe('a request body that stops arriving', () => {
  it('a JSON body that stops half way is cut off after REQUEST_TIMEOUT_MS (408, connection closed), not held', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const body = JSON.stringify({ session_id: sessionId, content: 'never finished' });
    const half = body.slice(0, Math.floor(body.length / 2));
    const outcome = await stalledRequest(
      port,
      Buffer.from(
        `POST /api/chat/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${client.auth.authorization}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${half}`,
      ),
      REQUEST_CUT_BOUND_MS,
    );
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
  });

  it('headers that never finish are cut off too', async () => {
    const outcome = await stalledRequest(
      port,
      Buffer.from('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: '),
      REQUEST_CUT_BOUND_MS,
    );
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('an upload that stops mid-file is abandoned after UPLOAD_IDLE_TIMEOUT_MS: connection closed, no message, no file, no spool file, and its budget given back', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const boundary = `----stall${randomUUID()}`;
    const file = Buffer.concat([pdfDocument(), Buffer.alloc(256 * 1024, 0x20)]);
    const head = multipartHead({
      path: '/api/chat/files',
      authorization: client.auth.authorization,
      boundary,
      fields: { session_id: sessionId },
      fileField: 'file',
      fileName: 'stalled.pdf',
      fileLength: file.length,
    });
    let spooling = false;
    const outcome = await stalledRequest(
      port,
      Buffer.concat([head, file.subarray(0, 64 * 1024)]),
      REQUEST_CUT_BOUND_MS,
      async () => {
        // The upload got as far as its spool file before it stalled.
        spooling = await eventually(
          async () => (await readdir(spoolDir()).catch(() => [])).length === 1,
          UPLOAD_IDLE_TIMEOUT_MS,
        );
      },
    );
    expect(spooling).toBe(true);
    expect(outcome.closedByServer).toBe(true);
    // Closed by the idle watch, not by the request timeout (that one answers 408).
    expect(outcome.answer).toBe('');
    expect(await eventually(async () => (await readdir(spoolDir())).length === 0, 2_000)).toBe(
      true,
    );
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
    expect(await readdir(join(t.config.dataDir, 'files', sessionId)).catch(() => [])).toEqual([]);

    // The budget is one upload a minute: the stalled one gave its turn back.
    const next = await upload(
      t.baseUrl,
      client,
      '/api/chat/files',
      form({ session_id: sessionId }, { field: 'file', name: 'done.pdf', data: pdfDocument() }),
    );
    expectStatus(next, 201);
  });

  it('an upload that trickles without end (never idle for long) is cut at REQUEST_TIMEOUT_MS and leaves nothing', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const boundary = `----trickle${randomUUID()}`;
    const file = Buffer.concat([pdfDocument(), Buffer.alloc(1024 * 1024, 0x20)]);
    const head = multipartHead({
      path: '/api/chat/files',
      authorization: client.auth.authorization,
      boundary,
      fields: { session_id: sessionId },
      fileField: 'file',
      fileName: 'trickle.pdf',
      fileLength: file.length,
    });
    let sent = 0;
    const outcome = await stalledRequest(port, head, REQUEST_CUT_BOUND_MS, async (socket) => {
      // A few bytes at a time, each pause well within the idle timeout, until the server hangs up.
      while (!socket.destroyed && sent < file.length) {
        socket.write(file.subarray(sent, sent + 512));
        sent += 512;
        await new Promise((resolve) => setTimeout(resolve, UPLOAD_IDLE_TIMEOUT_MS / 5));
      }
    });
    expect(sent).toBeLessThan(file.length);
    expect(outcome.closedByServer).toBe(true);
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(await eventually(async () => (await readdir(spoolDir())).length === 0, 2_000)).toBe(
      true,
    );
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
  });

  it('a slow upload that keeps sending (each pause shorter than the idle timeout) is stored', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const boundary = `----slow${randomUUID()}`;
    const file = pdfDocument();
    const pieces = 6;
    const step = Math.ceil(file.length / pieces);
    const head = multipartHead({
      path: '/api/chat/files',
      authorization: client.auth.authorization,
      boundary,
      fields: { session_id: sessionId },
      fileField: 'file',
      fileName: 'slow.pdf',
      fileLength: file.length,
    });
    const outcome = await stalledRequest(port, head, REQUEST_CUT_BOUND_MS, async (socket) => {
      // Longer in all than the idle timeout, each pause well within it.
      for (let i = 0; i < pieces; i++) {
        await new Promise((resolve) => setTimeout(resolve, UPLOAD_IDLE_TIMEOUT_MS / 3));
        socket.write(file.subarray(i * step, (i + 1) * step));
      }
      socket.write(multipartTail(boundary));
    });
    expect(outcome.answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(outcome.answer).toContain('"file_name":"slow.pdf"');
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toHaveLength(1);
  });
});

describe('what the request timeout leaves alone', () => {
  it('a long-polling and a WebSocket client stay connected past REQUEST_TIMEOUT_MS', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const polling = await connectClient(t.baseUrl, client.token, { transports: ['polling'] });
    const websocket = await connectClient(t.baseUrl, client.token);
    sockets.push(polling, websocket);
    const dropped: string[] = [];
    polling.on('disconnect', (reason) => dropped.push(`polling: ${reason}`));
    websocket.on('disconnect', (reason) => dropped.push(`websocket: ${reason}`));
    // A poll is held until the next ping, longer than the request timeout.
    await new Promise((resolve) => setTimeout(resolve, REQUEST_TIMEOUT_MS * 2 + 500));
    expect(dropped).toEqual([]);
    for (const socket of [polling, websocket]) {
      const ack = await socket.timeout(5_000).emitWithAck('join_chat', { session_id: sessionId });
      expect(ack.ok).toBe(true);
    }
  });
});
