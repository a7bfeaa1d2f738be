import type { FastifyReply } from 'fastify';
import { ChatError } from '../../errors.js';
import type { FileDownload } from '../../services/files.service.js';

/**
 * Answers a download: a redirect to the store's own short-lived link, or the bytes (one range
 * when asked, for audio seeking) with headers that keep a browser from running them.
 */
export async function sendDownload(
  reply: FastifyReply,
  download: FileDownload,
  rangeHeader: string | undefined,
): Promise<FastifyReply> {
  if (download.redirectUrl) return reply.redirect(download.redirectUrl, 302);

  const size = await download.size();
  if (size === null) throw new ChatError('MESSAGE_NOT_FOUND');
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') {
    return reply.code(416).header('Content-Range', `bytes */${size}`).send();
  }
  const opened = await download.open(range ?? undefined);
  if (!opened) throw new ChatError('MESSAGE_NOT_FOUND');

  reply
    .header('Content-Type', download.mimeType)
    .header('X-Content-Type-Options', 'nosniff')
    .header('Content-Security-Policy', "default-src 'none'; sandbox")
    .header('Accept-Ranges', 'bytes')
    .header('Cache-Control', 'private, max-age=300')
    .header('Content-Disposition', contentDisposition(download.disposition, download.fileName));
  if (range) {
    reply
      .code(206)
      .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
      .header('Content-Length', String(range.end - range.start + 1));
  } else {
    reply.header('Content-Length', String(size));
  }
  return reply.send(opened.stream);
}

/** One `bytes=` range (what audio and video elements ask for); several ranges get the whole file. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'unsatisfiable' {
  // A real range header is a few dozen characters; a longer one is served the whole file.
  if (!header || header.length > 200) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null;
  const [, from, to] = match;
  let start: number;
  let end: number;
  if (from === '' && to === '') return null;
  if (from === '') {
    start = Math.max(0, size - Number(to));
    end = size - 1;
  } else {
    start = Number(from);
    end = to === '' ? size - 1 : Math.min(Number(to), size - 1);
  }
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
