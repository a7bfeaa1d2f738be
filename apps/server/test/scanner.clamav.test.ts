import { readdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createClamavScanner } from '../src/media/scanner.js';
import type { Readiness } from '../src/transport/rest/health.routes.js';
import { eicar, form, pdfDocument, wavOf } from './support/media-fixtures.js';
import { expectStatus, type MessageListAnswer, upload } from './support/rest.js';
import { eventually, multipartHead, openConnectionsTo, stalledRequest } from './support/stalled.js';
import { requiredServiceUrl, startTestApp, useTestApp } from './support/test-app.js';

const clamHost = requiredServiceUrl('CLAMAV_HOST');
const clamPort = process.env.CLAMAV_PORT ?? '3310';

const t = useTestApp({ CLAMAV_HOST: clamHost, CLAMAV_PORT: clamPort });

/** A real PDF with the EICAR string inside it: the type check passes, the scan must catch it. */
function infectedPdf(): Buffer {
  const pdf = pdfDocument();
  return Buffer.concat([
    pdf.subarray(0, 9),
    Buffer.from('% '),
    eicar(),
    Buffer.from('\n'),
    pdf.subarray(9),
  ]);
}

describe('clamd INSTREAM scanner', () => {
  it('finds the EICAR string anywhere in a file and passes a clean one', async () => {
    const scanner = createClamavScanner({ host: clamHost, port: Number(clamPort) });
    const infected = join(tmpdir(), `eicar-${process.pid}.bin`);
    const clean = join(tmpdir(), `clean-${process.pid}.bin`);
    await writeFile(infected, infectedPdf());
    await writeFile(clean, pdfDocument());
    const found = await scanner.scan(infected);
    expect(found.infected).toBe(true);
    expect(found.infected && found.signature).toContain('EICAR');
    expect(await scanner.scan(clean)).toEqual({ infected: false });
    await expect(scanner.ping()).resolves.toBeUndefined();
  });
});

describe('clamd INSTREAM scanner fed while the upload arrives', () => {
  it('finds the EICAR string split across chunks, and passes a clean stream', async () => {
    const scanner = createClamavScanner({ host: clamHost, port: Number(clamPort) });
    const dirty = infectedPdf();
    const split = dirty.indexOf('EICAR');
    const scan = scanner.begin();
    await scan.write(dirty.subarray(0, split));
    await scan.write(dirty.subarray(split));
    scan.end();
    const found = await scan.result();
    expect(found.infected && found.signature).toContain('EICAR');
    const cleanScan = scanner.begin();
    await cleanScan.write(pdfDocument());
    expect(await cleanScan.result()).toEqual({ infected: false });
  });

  it('a scanner that cannot be reached fails closed, and writes never hang', async () => {
    const scan = createClamavScanner({ host: '127.0.0.1', port: 1 }).begin();
    await scan.write(Buffer.alloc(256 * 1024));
    await scan.write(Buffer.alloc(256 * 1024));
    await expect(scan.result()).rejects.toMatchObject({ code: 'SCANNER_UNAVAILABLE' });
  });
});

describe('uploads with the scanner on', () => {
  it('an infected PDF is FILE_INFECTED and nothing is stored', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const res = await upload(
      t.baseUrl,
      client,
      '/api/chat/files',
      form({ session_id: sessionId }, { field: 'file', name: 'reading.pdf', data: infectedPdf() }),
    );
    expectStatus(res, 422);
    expect(res.body).toEqual(expect.objectContaining({ success: false, code: 'FILE_INFECTED' }));
    const list = await t.app.inject({
      method: 'GET',
      url: `/api/chat/messages?session_id=${sessionId}`,
      headers: client.auth,
    });
    expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
    expect(await readdir(join(t.config.dataDir, 'files', sessionId)).catch(() => [])).toEqual([]);
    expect(await readdir(join(t.config.dataDir, 'tmp', 'uploads'))).toEqual([]);
  });

  it('an infected voice note is refused too; a clean one goes through', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const dirty = Buffer.concat([wavOf(1), eicar()]);
    const bad = await upload(
      t.baseUrl,
      client,
      '/api/chat/voice-notes',
      form({ session_id: sessionId }, { field: 'voice_note', name: 'note.wav', data: dirty }),
    );
    expectStatus(bad, 422);
    const good = await upload(
      t.baseUrl,
      client,
      '/api/chat/voice-notes',
      form({ session_id: sessionId }, { field: 'voice_note', name: 'note.wav', data: wavOf(1) }),
    );
    expectStatus(good, 201);
  });

  it('/readyz reports the scanner', async () => {
    const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json<Readiness>().checks.scanner).toBe('ok');
  });
});

describe('an upload that stalls with its scan open', () => {
  it('is abandoned after UPLOAD_IDLE_TIMEOUT_MS, and its clamd connection is closed with it (it was held open)', async () => {
    const idleMs = 500;
    const stalling = await startTestApp(
      { CLAMAV_HOST: clamHost, CLAMAV_PORT: clamPort, UPLOAD_IDLE_TIMEOUT_MS: String(idleMs) },
      { database: t.database },
    );
    try {
      await stalling.listen();
      const port = (stalling.app.server.address() as AddressInfo).port;
      const clamd = Number(clamPort);
      const { client, sessionId } = await stalling.factory.bookingChat();
      const file = Buffer.concat([pdfDocument(), Buffer.alloc(256 * 1024, 0x20)]);
      const head = multipartHead({
        path: '/api/chat/files',
        authorization: client.auth.authorization,
        boundary: '----stalled-scan',
        fields: { session_id: sessionId },
        fileField: 'file',
        fileName: 'stalled.pdf',
        fileLength: file.length,
      });
      let scanOpen = false;
      const outcome = await stalledRequest(
        port,
        Buffer.concat([head, file.subarray(0, 64 * 1024)]),
        // The request timeout (120 s) is far away: only the idle watch can close it this soon.
        idleMs * 10,
        async () => {
          scanOpen = await eventually(async () => (await openConnectionsTo(clamd)) === 1, idleMs);
        },
      );
      expect(scanOpen).toBe(true);
      expect(outcome.closedByServer).toBe(true);
      expect(await eventually(async () => (await openConnectionsTo(clamd)) === 0, 2_000)).toBe(
        true,
      );
      expect(
        await eventually(
          async () => (await readdir(join(stalling.config.dataDir, 'tmp', 'uploads'))).length === 0,
          2_000,
        ),
      ).toBe(true);
      const list = await stalling.app.inject({
        method: 'GET',
        url: `/api/chat/messages?session_id=${sessionId}`,
        headers: client.auth,
      });
      expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
    } finally {
      await stalling.close();
    }
  });
});

describe('scanner configured but unreachable', () => {
  it('uploads fail closed with SCANNER_UNAVAILABLE; messages still work; /readyz says so', async () => {
    const down = await startTestApp({ CLAMAV_HOST: '127.0.0.1', CLAMAV_PORT: '1' });
    try {
      const url = await down.listen();
      const { client, sessionId } = await down.factory.bookingChat();
      const res = await upload(
        url,
        client,
        '/api/chat/files',
        form({ session_id: sessionId }, { field: 'file', name: 'a.pdf', data: pdfDocument() }),
      );
      expectStatus(res, 503);
      expect(res.body.code).toBe('SCANNER_UNAVAILABLE');
      const list = await down.app.inject({
        method: 'GET',
        url: `/api/chat/messages?session_id=${sessionId}`,
        headers: client.auth,
      });
      expect(list.json<MessageListAnswer>().data.messages).toEqual([]);
      await down.factory.message(client, sessionId, 'text still works');
      const ready = await down.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json<Readiness>().checks.scanner).not.toBe('ok');
    } finally {
      await down.close();
    }
  });
});
