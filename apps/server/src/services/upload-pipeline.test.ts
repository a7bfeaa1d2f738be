import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatError } from '../errors.js';
import type { BlobStore } from '../media/blob-store.js';
import type { SniffedKind } from '../media/file-kind.js';
import type { Scanner, ScanResult, StreamScan } from '../media/scanner.js';
import {
  inspectUpload,
  persistUpload,
  planFileMessage,
  type SpooledUpload,
  scanVerdict,
} from './upload-pipeline.js';

const SESSION = '00000000-0000-4000-8000-0000000000a1';
const ID = '00000000-0000-4000-8000-0000000000f1';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n');
const pdfKind: SniffedKind = { family: 'pdf', format: 'pdf', mime: 'application/pdf' };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'upload-pipeline-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function spooled(overrides: Partial<SpooledUpload> = {}): SpooledUpload {
  return {
    tempPath: join(dir, 'none.upload'),
    written: Promise.resolve(),
    content: PDF,
    originalName: 'terms.pdf',
    fields: { session_id: SESSION, id: ID },
    scan: null,
    ...overrides,
  };
}

/** A scanner whose file scan answers `verdict`, counting the paths it was asked about. */
function fileScanner(verdict: ScanResult) {
  const scanned: string[] = [];
  const scanner = {
    kind: 'clamav',
    scan: async (path: string) => {
      scanned.push(path);
      return verdict;
    },
  } as unknown as Scanner;
  return { scanner, scanned };
}

const streamScan = (result: () => Promise<ScanResult>): StreamScan => ({
  write: async () => {},
  end: () => {},
  result,
  abort: () => {},
});

/** A blob store that keeps the keys it was given, and fails the puts `failing` names. */
function recordingStore(failing: string[] = []) {
  const put: string[] = [];
  const deleted: string[][] = [];
  const store = {
    kind: 'local',
    put: async (key: string) => {
      if (failing.some((end) => key.endsWith(end))) throw new Error('disk full');
      put.push(key);
    },
    delete: async (keys: readonly string[]) => {
      deleted.push([...keys]);
    },
  } as unknown as BlobStore;
  return { store, put, deleted };
}

describe('inspect: type, verdict', () => {
  it('the verdict of the scan fed during the upload is the verdict; the file is not read again', async () => {
    const { scanner, scanned } = fileScanner({ infected: false });
    const upload = spooled({ scan: streamScan(async () => ({ infected: true, signature: 'X' })) });
    expect(await scanVerdict(scanner, upload)).toEqual({ infected: true, signature: 'X' });
    expect(scanned).toEqual([]);
  });

  it('a stream scan that failed (clamd gave up on a slow client) is repeated once from the spooled file', async () => {
    const { scanner, scanned } = fileScanner({ infected: false });
    const upload = spooled({
      scan: streamScan(async () => {
        throw new ChatError('SCANNER_UNAVAILABLE');
      }),
    });
    expect(await scanVerdict(scanner, upload)).toEqual({ infected: false });
    expect(scanned).toEqual([upload.tempPath]);
  });

  it('any other failure of the stream scan is not repeated', async () => {
    const { scanner, scanned } = fileScanner({ infected: false });
    const upload = spooled({
      scan: streamScan(async () => {
        throw new Error('boom');
      }),
    });
    await expect(scanVerdict(scanner, upload)).rejects.toThrow('boom');
    expect(scanned).toEqual([]);
  });

  it('an infected file is FILE_INFECTED naming what was found', async () => {
    const { scanner } = fileScanner({ infected: true, signature: 'Eicar-Test-Signature' });
    const refused = await inspectUpload(scanner, spooled(), 'file').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChatError);
    expect(refused).toMatchObject({
      code: 'FILE_INFECTED',
      details: ['Detected: Eicar-Test-Signature'],
    });
  });

  it('a clean file comes out with the type its bytes say (no duration but for audio)', async () => {
    const { scanner } = fileScanner({ infected: false });
    const inspection = await inspectUpload(scanner, spooled(), 'file');
    expect(inspection).toEqual({ kind: pdfKind, duration: null });
  });
});

describe('plan: the message an upload becomes', () => {
  it('a file’s content is its trimmed caption (or nothing); its key is session/id/ASCII name', () => {
    const upload = spooled({ originalName: 'Bedingungen für Mai.pdf' });
    expect(planFileMessage(upload, 'file', pdfKind)).toEqual({
      id: ID,
      sessionId: SESSION,
      type: 'file',
      content: null,
      fileName: 'Bedingungen für Mai.pdf',
      storageKey: `${SESSION}/${ID}/Bedingungen-fu-r-Mai.pdf`,
      mimeType: 'application/pdf',
    });
    const captioned = spooled({ fields: { session_id: SESSION, caption: ' see p. 2 ' } });
    const plan = planFileMessage(captioned, 'file', pdfKind);
    expect(plan.content).toBe('see p. 2');
    expect(plan.id).not.toBe(ID);
  });

  it('a voice note says so; a name with nothing left after cleaning gets the endpoint’s own', () => {
    const webm = { family: 'audio', format: 'webm', mime: 'audio/webm' } as const;
    const plan = planFileMessage(spooled({ originalName: '\u202e' }), 'voice', webm);
    expect(plan).toMatchObject({
      type: 'voice',
      content: 'Voice message',
      fileName: 'voice_note.webm',
    });
  });
});

describe('persist: into the blob store, or nothing', () => {
  it('a PDF is moved in under its key with its size', async () => {
    const { store, put } = recordingStore();
    const persisted = await persistUpload(
      store,
      spooled(),
      { kind: pdfKind, duration: null },
      'k/a.pdf',
    );
    expect(persisted).toEqual({ fileSize: PDF.length, metadata: {}, storedKeys: ['k/a.pdf'] });
    expect(put).toEqual(['k/a.pdf']);
  });

  it('audio keeps the duration its header declares, else the client’s hint', async () => {
    const { store } = recordingStore();
    const wav = { family: 'audio', format: 'wav', mime: 'audio/wav' } as const;
    const hinted = spooled({ fields: { session_id: SESSION, duration: 3.5 } });
    const fromHint = await persistUpload(
      store,
      hinted,
      { kind: wav, duration: Promise.resolve(null) },
      'k/v.wav',
    );
    expect(fromHint.metadata).toEqual({ duration: 3.5, audio_format: 'wav' });
    const declared = await persistUpload(
      store,
      hinted,
      { kind: wav, duration: Promise.resolve(2) },
      'k/v.wav',
    );
    expect(declared.metadata).toEqual({ duration: 2, audio_format: 'wav' });
  });

  it('a put that fails half way is removed too', async () => {
    const { store, deleted } = recordingStore(['a.pdf']);
    await expect(
      persistUpload(store, spooled(), { kind: pdfKind, duration: null }, 'k/a.pdf'),
    ).rejects.toThrow('disk full');
    expect(deleted).toEqual([['k/a.pdf']]);
  });

  it('an image the decoder cannot read is UNSUPPORTED_FILE_TYPE and stores nothing', async () => {
    const tempPath = join(dir, 'broken.upload');
    await writeFile(tempPath, Buffer.from('\x89PNG\r\n\x1a\n not really'));
    const { store, put } = recordingStore();
    const png = { family: 'image', format: 'png', mime: 'image/png' } as const;
    const refused = await persistUpload(
      store,
      spooled({ tempPath, content: null }),
      { kind: png, duration: null },
      'k/i.png',
    ).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'UNSUPPORTED_FILE_TYPE' });
    expect(put).toEqual([]);
  });
});
