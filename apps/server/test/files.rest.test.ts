import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_UPLOAD_BYTES, type TChatMessage, type TListMessagesResponse } from '@chat/contracts';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { eicar, form, jpegWithGps, pdfDocument, pngOf, wavOf } from './support/media-fixtures.js';
import { expectStatus, readAnswer, type Success, upload } from './support/rest.js';
import { startTestApp, type TestUser, useTestApp } from './support/test-app.js';

const t = useTestApp({
  RATE_LIMIT_VOICE_NOTES_PER_MINUTE: '1000',
  RATE_LIMIT_FILES_PER_MINUTE: '1000',
});

/** Posts one file to `/api/chat/files`: `session_id` (and a caption) before it, unless `fileFirst`. */
function sendFile(
  user: TestUser,
  sessionId: string,
  name: string,
  data: Buffer,
  options: { type?: string; caption?: string; fileFirst?: boolean } = {},
) {
  const { type, caption, fileFirst } = options;
  const fields: Record<string, string> = { session_id: sessionId };
  if (caption !== undefined) fields.caption = caption;
  return upload(
    t.baseUrl,
    user,
    '/api/chat/files',
    form(fields, { field: 'file', name, data, type }, fileFirst),
  );
}

/** The ids of the session's messages as `user` lists them over REST, oldest first. */
async function messageIds(sessionId: string, user: TestUser): Promise<string[]> {
  const list = await t.app.inject({
    method: 'GET',
    url: `/api/chat/messages?session_id=${sessionId}`,
    headers: user.auth,
  });
  return list.json<Success<TListMessagesResponse>>().data.messages.map((m) => m.id);
}

/** The signed link of a stored upload (only a deleted message has none). */
function fileUrlOf(message: TChatMessage): string {
  if (message.file_url === null) throw new Error(`message ${message.id} has no file_url`);
  return message.file_url;
}

async function storedNothing(sessionId: string, user: TestUser) {
  const messages = await messageIds(sessionId, user);
  const tmp = await readdir(join(t.config.dataDir, 'tmp', 'uploads')).catch(() => []);
  const files = await readdir(join(t.config.dataDir, 'files', sessionId)).catch(() => []);
  return messages.length === 0 && tmp.length === 0 && files.length === 0;
}

describe('voice notes', () => {
  it('stores a WAV voice note with the duration read from the audio, and the reader plays it', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    // The reference's recorder sends the file before session_id; the client's duration is a hint only.
    const body = form(
      { session_id: sessionId, duration: '99' },
      { field: 'voice_note', name: 'my note.wav', data: wavOf(2.5), type: 'audio/wav' },
      true,
    );
    const res = await upload(t.baseUrl, client, '/api/chat/voice-notes', body);
    expectStatus(res, 201);
    expect(res.body.message).toBe('Voice note uploaded successfully');
    expect(res.body.data).toEqual(
      expect.objectContaining({
        type: 'voice',
        content: 'Voice message',
        file_name: 'my note.wav',
        file_size: wavOf(2.5).length,
        metadata: { duration: 2.5, audio_format: 'wav' },
      }),
    );
    const fileUrl = fileUrlOf(res.body.data);
    expect(fileUrl.startsWith(`${t.baseUrl}/api/chat/files/${res.body.data.id}?`)).toBe(true);
    // The reader's <audio src> needs no header, and asks for ranges.
    const ranged = await fetch(fileUrl, { headers: { range: 'bytes=0-43' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 0-43/${wavOf(2.5).length}`);
    expect(ranged.headers.get('content-type')).toBe('audio/wav');
    expect(ranged.headers.get('x-content-type-options')).toBe('nosniff');
    expect(
      Buffer.from(await ranged.arrayBuffer())
        .subarray(0, 4)
        .toString(),
    ).toBe('RIFF');
    expect((await messageIds(sessionId, reader))[0]).toBe(res.body.data.id);
  });

  it('an upload sent again with the same client id answers 200 with the stored message; one file, one message', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const id = crypto.randomUUID();
    const send = () =>
      upload(
        t.baseUrl,
        client,
        '/api/chat/voice-notes',
        form(
          { id, session_id: sessionId },
          { field: 'voice_note', name: 'note.wav', data: wavOf(1), type: 'audio/wav' },
        ),
      );
    const first = await send();
    expectStatus(first, 201);
    expect(first.body.data.id).toBe(id);
    // The answer was lost; the client sends it again, twice at once.
    const retries = await Promise.all([send(), send()]);
    for (const retry of retries) {
      expectStatus(retry, 200);
      expect(retry.body.data).toEqual(
        expect.objectContaining({ id, seq: first.body.data.seq, type: 'voice' }),
      );
    }
    expect(await messageIds(sessionId, reader)).toEqual([id]);
    const stored = await readdir(join(t.config.dataDir, 'files', sessionId));
    expect(stored).toEqual([id]);
    const tmp = await readdir(join(t.config.dataDir, 'tmp', 'uploads')).catch(() => []);
    expect(tmp).toEqual([]);

    // Someone else's id is refused, and nothing of their upload is kept.
    const other = await t.factory.bookingChat();
    const taken = await upload(
      t.baseUrl,
      other.client,
      '/api/chat/files',
      form(
        { id, session_id: other.sessionId },
        { field: 'file', name: 'doc.pdf', data: pdfDocument(), type: 'application/pdf' },
      ),
    );
    expectStatus(taken, 400);
    expect(taken.body.code).toBe('VALIDATION_ERROR');
    expect(await storedNothing(other.sessionId, other.client)).toBe(true);
  });

  it('refuses a PDF sent as a voice note, and audio sent as a file', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const a = await upload(
      t.baseUrl,
      client,
      '/api/chat/voice-notes',
      form({ session_id: sessionId }, { field: 'voice_note', name: 'x.mp3', data: pdfDocument() }),
    );
    expectStatus(a, 415);
    expect(a.body.code).toBe('UNSUPPORTED_FILE_TYPE');
    const b = await sendFile(client, sessionId, 'x.wav', wavOf(1));
    expectStatus(b, 415);
    expect(await storedNothing(sessionId, client)).toBe(true);
  });
});

describe('images and PDFs', () => {
  it('re-encodes an image: orientation applied, GPS gone, thumbnail made', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const original = await jpegWithGps(600, 400);
    const before = await sharp(original).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.includes(Buffer.from('TestCam'))).toBe(true);
    const res = await sendFile(client, sessionId, 'IMG_0001.jpg', original, {
      type: 'image/jpeg',
      caption: 'My cards',
    });
    expectStatus(res, 201);
    expect(res.body.message).toBe('File uploaded successfully');
    expect(res.body.data).toEqual(
      expect.objectContaining({
        type: 'image',
        content: 'My cards',
        mime_type: 'image/jpeg',
        file_name: 'IMG_0001.jpg',
      }),
    );
    // Orientation 6 means the camera was turned: the stored image is upright, 400 x 600.
    expect(res.body.data.metadata).toEqual(expect.objectContaining({ width: 400, height: 600 }));
    const stored = Buffer.from(await (await fetch(fileUrlOf(res.body.data))).arrayBuffer());
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([400, 600]);
    const thumbnailUrl = res.body.data.metadata.thumbnail_url;
    if (typeof thumbnailUrl !== 'string') throw new Error('no thumbnail_url in the metadata');
    const thumb = await fetch(thumbnailUrl);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const thumbMeta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(Math.max(thumbMeta.width ?? 0, thumbMeta.height ?? 0)).toBe(320);
  });

  it('bounds the longest side at 2048 px', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const res = await sendFile(client, sessionId, 'wide.png', await pngOf(3000, 1000));
    expectStatus(res, 201);
    expect(res.body.data.metadata).toEqual(expect.objectContaining({ width: 2048, height: 683 }));
  });

  it('serves a PDF as an attachment with its original name', async () => {
    const { client, reader, sessionId } = await t.factory.bookingChat();
    const res = await sendFile(client, sessionId, 'Tarot reading – résumé.pdf', pdfDocument());
    expectStatus(res, 201);
    expect(res.body.data.type).toBe('file');
    // Downloading with a bearer token instead of the signed link works for participants.
    const download = await fetch(`${t.baseUrl}/api/chat/files/${res.body.data.id}`, {
      headers: reader.auth,
    });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/pdf');
    expect(download.headers.get('content-disposition')).toContain(
      `attachment; filename="Tarot reading _ r_sum_.pdf"; filename*=UTF-8''${encodeURIComponent('Tarot reading – résumé.pdf')}`,
    );
  });
});

describe('refusals leave nothing behind', () => {
  it('10 MB + 1 byte is FILE_TOO_LARGE', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const big = Buffer.alloc(MAX_UPLOAD_BYTES + 1);
    pdfDocument().copy(big);
    const res = await sendFile(client, sessionId, 'big.pdf', big);
    expectStatus(res, 413);
    expect(res.body.code).toBe('FILE_TOO_LARGE');
    expect(await storedNothing(sessionId, client)).toBe(true);
  });

  it('exactly 10 MB is accepted', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const exact = Buffer.alloc(MAX_UPLOAD_BYTES, 0x20);
    pdfDocument().copy(exact);
    const res = await sendFile(client, sessionId, 'exact.pdf', exact);
    expectStatus(res, 201);
    expect(res.body.data.file_size).toBe(MAX_UPLOAD_BYTES);
  });

  it('HTML or SVG named .jpg is UNSUPPORTED_FILE_TYPE', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    for (const data of [
      '<html><script>alert(1)</script></html>',
      '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    ]) {
      const res = await sendFile(client, sessionId, 'cute.jpg', Buffer.from(data), {
        type: 'image/jpeg',
      });
      expectStatus(res, 415);
      expect(res.body.code).toBe('UNSUPPORTED_FILE_TYPE');
    }
    expect(await storedNothing(sessionId, client)).toBe(true);
  });

  it('a PNG named .pdf contradicts its name', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const res = await sendFile(client, sessionId, 'invoice.pdf', await pngOf(10, 10));
    expectStatus(res, 415);
    expect(res.body.error).toBe('File content does not match its name');
  });

  it('path-traversal names are cleaned', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const res = await sendFile(
      client,
      sessionId,
      '../../etc/\u202Epasswd.png',
      await pngOf(10, 10),
    );
    expectStatus(res, 201);
    expect(res.body.data.file_name).toBe('passwd.png');
    const files = await readdir(join(t.config.dataDir, 'files', sessionId, res.body.data.id));
    expect(files.sort()).toEqual(['passwd.png', 'thumbnail.webp']);
  });

  it('an outsider is refused before the file is read, and a file sent first is removed', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const outsider = await t.factory.user('client');
    const fieldFirst = await sendFile(outsider, sessionId, 'a.png', await pngOf(10, 10));
    expectStatus(fieldFirst, 403);
    const fileFirst = await sendFile(outsider, sessionId, 'a.png', await pngOf(10, 10), {
      fileFirst: true,
    });
    expectStatus(fileFirst, 403);
    expect(fileFirst.body.code).toBe('CHAT_ACCESS_DENIED');
    expect(await storedNothing(sessionId, client)).toBe(true);
  });

  it('a NUL in a caption is a VALIDATION_ERROR, not a 500, before or after the file; nothing is kept', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    for (const fileFirst of [false, true]) {
      const res = await sendFile(client, sessionId, 'a.png', await pngOf(10, 10), {
        caption: 'look\u0000here',
        fileFirst,
      });
      expectStatus(res, 400);
      expect(res.body.code).toBe('VALIDATION_ERROR');
      expect(res.body.details).toEqual(['caption: caption must not contain NUL characters']);
    }
    expect(await storedNothing(sessionId, client)).toBe(true);
  });

  it('a caption of 4000 emoji is stored whole and 4001 are refused (over 8 KB it was cut short and stored)', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const whole = await sendFile(client, sessionId, 'a.png', await pngOf(10, 10), {
      caption: '🔮'.repeat(4_000),
    });
    expectStatus(whole, 201);
    expect(whole.body.data.content).toBe('🔮'.repeat(4_000));
    const over = await sendFile(client, sessionId, 'b.png', await pngOf(10, 10), {
      caption: '🔮'.repeat(4_001),
    });
    expectStatus(over, 400);
    expect(over.body.code).toBe('VALIDATION_ERROR');
    expect(await messageIds(sessionId, client)).toEqual([whole.body.data.id]);
  });

  it('without the signature or a token, a file link is refused; an outsider with a token too', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const outsider = await t.factory.user('client');
    const res = await sendFile(client, sessionId, 'a.png', await pngOf(10, 10));
    expectStatus(res, 201);
    const bare = await fetch(`${t.baseUrl}/api/chat/files/${res.body.data.id}`);
    expect(bare.status).toBe(401);
    const tampered = await fetch(
      fileUrlOf(res.body.data).replace(/signature=[^&]+/, 'signature=AAAA'),
    );
    expect(tampered.status).toBe(401);
    const asOutsider = await fetch(`${t.baseUrl}/api/chat/files/${res.body.data.id}`, {
      headers: outsider.auth,
    });
    expect(asOutsider.status).toBe(403);
  });
});

void eicar;

describe('budgets, deletes and broken uploads', () => {
  it('the 11th voice note in a minute is RATE_LIMIT_EXCEEDED with Retry-After', async () => {
    const limited = await startTestApp({ RATE_LIMIT_VOICE_NOTES_PER_MINUTE: '10' });
    try {
      const url = await limited.listen();
      const { client, sessionId } = await limited.factory.bookingChat();
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 11; i++) {
        last = await fetch(`${url}/api/chat/voice-notes`, {
          method: 'POST',
          headers: client.auth,
          body: form(
            { session_id: sessionId },
            { field: 'voice_note', name: 'n.wav', data: wavOf(0.2) },
          ),
        });
        statuses.push(last.status);
      }
      expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
      expect(statuses[10]).toBe(429);
      if (!last) throw new Error('no response');
      expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
      const refused = await readAnswer(last);
      expectStatus(refused, 429);
      expect(refused.body.code).toBe('RATE_LIMIT_EXCEEDED');
    } finally {
      await limited.close();
    }
  });

  it('a retried upload is answered 200 with the stored message even out of budget; a new one is 429 and leaves nothing', async () => {
    const limited = await startTestApp({ RATE_LIMIT_VOICE_NOTES_PER_MINUTE: '2' });
    try {
      const url = await limited.listen();
      const { client, reader, sessionId } = await limited.factory.bookingChat();
      const note = { field: 'voice_note', name: 'note.wav', data: wavOf(0.5), type: 'audio/wav' };
      const post = (body: FormData) => upload(url, client, '/api/chat/voice-notes', body);
      const stored = async () => {
        const list = await limited.app.inject({
          method: 'GET',
          url: `/api/chat/messages?session_id=${sessionId}`,
          headers: reader.auth,
        });
        return {
          messages: list.json<Success<TListMessagesResponse>>().data.messages.map((m) => m.id),
          files: await readdir(join(limited.config.dataDir, 'files', sessionId)).catch(() => []),
          tmp: await readdir(join(limited.config.dataDir, 'tmp', 'uploads')).catch(() => []),
        };
      };

      const first = crypto.randomUUID();
      const second = crypto.randomUUID();
      expect((await post(form({ id: first, session_id: sessionId }, note))).status).toBe(201);
      // A retry costs nothing: the second upload still fits in the budget of two.
      expect((await post(form({ id: first, session_id: sessionId }, note))).status).toBe(200);
      expect((await post(form({ id: second, session_id: sessionId }, note))).status).toBe(201);

      // Out of budget now. The answers were lost: the client sends each again, id before the
      // file (the web client's order), or after session_id, or everything after the file.
      for (const [id, body] of [
        [first, form({ id: first, session_id: sessionId }, note)],
        [second, form({ session_id: sessionId, id: second }, note)],
        [first, form({ session_id: sessionId, id: first }, note, true)],
      ] as const) {
        const retry = await post(body);
        expectStatus(retry, 200);
        expect(retry.body.data).toEqual(expect.objectContaining({ id, type: 'voice' }));
        expect(retry.body.data.file_url).toEqual(expect.any(String));
      }

      // A new upload out of budget is refused and leaves no file, row or temporary file.
      const fresh = await post(form({ id: crypto.randomUUID(), session_id: sessionId }, note));
      expectStatus(fresh, 429);
      expect(fresh.body.code).toBe('RATE_LIMIT_EXCEEDED');
      const fileFirst = await post(
        form({ id: crypto.randomUUID(), session_id: sessionId }, note, true),
      );
      expectStatus(fileFirst, 429);
      const after = await stored();
      expect(after.messages).toEqual([first, second]);
      expect([...after.files].sort()).toEqual([first, second].sort());
      expect(after.tmp).toEqual([]);
    } finally {
      await limited.close();
    }
  });

  it('deleting a file message removes its file and its link', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const res = await sendFile(client, sessionId, 'a.png', await pngOf(10, 10));
    expectStatus(res, 201);
    const del = await t.app.inject({
      method: 'DELETE',
      url: `/api/chat/messages/${res.body.data.id}`,
      headers: client.auth,
    });
    expect(del.statusCode).toBe(200);
    expect(del.json<Success<TChatMessage>>().data).toEqual(
      expect.objectContaining({ file_url: null, deleted_at: expect.any(String) }),
    );
    expect((await fetch(fileUrlOf(res.body.data))).status).toBe(404);
    expect(await readdir(join(t.config.dataDir, 'files', sessionId)).catch(() => [])).toEqual([]);
  });

  it('a connection dropped mid-upload leaves no message, no file and no temporary file', async () => {
    const { client, sessionId } = await t.factory.bookingChat();
    const { request } = await import('node:http');
    const boundary = '----chat-test-boundary';
    const head = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="session_id"\r\n\r\n${sessionId}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="half.pdf"\r\nContent-Type: application/pdf\r\n\r\n`,
    );
    const url = new URL(`${t.baseUrl}/api/chat/files`);
    await new Promise<void>((resolve) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          ...client.auth,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': String(head.length + 2_000_000),
        },
      });
      req.on('error', () => resolve());
      req.write(head);
      req.write(Buffer.concat([pdfDocument(), Buffer.alloc(500_000)]), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
    });
    // Give the server a moment to notice the dropped connection and clean up.
    for (let i = 0; i < 40 && !(await storedNothing(sessionId, client)); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await storedNothing(sessionId, client)).toBe(true);
  });
});
