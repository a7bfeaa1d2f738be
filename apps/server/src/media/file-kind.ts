import { extname } from 'node:path';
import { MULTIPART_FIELDS } from '@chat/contracts';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';
import { ChatError } from '../errors.js';

export type UploadEndpoint = 'voice' | 'file';

/**
 * An upload's bytes: always the spooled file, and the whole content in memory too when it is
 * small (see `SMALL_UPLOAD_BYTES`). Readers use the memory copy when there is one: the same
 * bytes, without opening the file again.
 */
export interface UploadBytes {
  path: string;
  content: Buffer | null;
}

/**
 * Uploads up to this size are also kept in memory while they are spooled (a voice note of
 * a minute or so). Only whole files are read from memory: a prefix could make the sniffer
 * answer differently than the whole file (an ID3 tag longer than the prefix reads as MP3).
 */
export const SMALL_UPLOAD_BYTES = 512 * 1024;

/** What the bytes are, and how the service treats them. */
export interface SniffedKind {
  family: 'audio' | 'image' | 'pdf';
  /** The canonical extension: mp3, wav, ogg, webm, jpg, png, gif, webp, pdf. */
  format: string;
  mime: string;
}

const BY_MIME: Record<string, SniffedKind> = {
  'audio/mpeg': { family: 'audio', format: 'mp3', mime: 'audio/mpeg' },
  'audio/wav': { family: 'audio', format: 'wav', mime: 'audio/wav' },
  'audio/vnd.wave': { family: 'audio', format: 'wav', mime: 'audio/wav' },
  'audio/x-wav': { family: 'audio', format: 'wav', mime: 'audio/wav' },
  'audio/ogg': { family: 'audio', format: 'ogg', mime: 'audio/ogg' },
  'audio/opus': { family: 'audio', format: 'ogg', mime: 'audio/ogg' },
  'audio/x-opus+ogg': { family: 'audio', format: 'ogg', mime: 'audio/ogg' },
  'application/ogg': { family: 'audio', format: 'ogg', mime: 'audio/ogg' },
  'audio/webm': { family: 'audio', format: 'webm', mime: 'audio/webm' },
  // MediaRecorder's WebM is a Matroska container; the sniffer calls it video even with audio only.
  'video/webm': { family: 'audio', format: 'webm', mime: 'audio/webm' },
  'image/jpeg': { family: 'image', format: 'jpg', mime: 'image/jpeg' },
  'image/png': { family: 'image', format: 'png', mime: 'image/png' },
  'image/gif': { family: 'image', format: 'gif', mime: 'image/gif' },
  'image/webp': { family: 'image', format: 'webp', mime: 'image/webp' },
  'application/pdf': { family: 'pdf', format: 'pdf', mime: 'application/pdf' },
};

const EXTENSION_FAMILY: Record<string, SniffedKind['family']> = {
  mp3: 'audio',
  wav: 'audio',
  wave: 'audio',
  ogg: 'audio',
  oga: 'audio',
  opus: 'audio',
  webm: 'audio',
  weba: 'audio',
  jpg: 'image',
  jpeg: 'image',
  jfif: 'image',
  png: 'image',
  gif: 'image',
  webp: 'image',
  pdf: 'pdf',
};

/**
 * Decides the type from the bytes (magic numbers), never from the name or the declared type.
 * Refused: bytes of no allowed type, bytes that do not fit the endpoint (audio to voice notes;
 * images and PDFs to files), and a name whose extension says another kind of file (an HTML page
 * named `.jpg`). Within audio, a different container than the name says is accepted: browsers'
 * MediaRecorder records WebM/Ogg, and the reference's own recorder names it `voice_note.wav`.
 */
export async function sniffUpload(
  bytes: UploadBytes,
  originalName: string,
  endpoint: UploadEndpoint,
): Promise<SniffedKind> {
  const detected = bytes.content
    ? await fileTypeFromBuffer(bytes.content)
    : await fileTypeFromFile(bytes.path);
  const kind = detected ? BY_MIME[detected.mime] : undefined;
  if (!kind) {
    throw new ChatError('UNSUPPORTED_FILE_TYPE', undefined, {
      details: ['Allowed: audio mp3, wav, ogg, webm; images jpg, png, gif, webp; pdf'],
    });
  }
  const expected = endpoint === 'voice' ? ['audio'] : ['image', 'pdf'];
  if (!expected.includes(kind.family)) {
    throw new ChatError('UNSUPPORTED_FILE_TYPE', undefined, {
      details: [
        endpoint === 'voice'
          ? `${MULTIPART_FIELDS.voiceNote}: expected audio (mp3, wav, ogg, webm), got ${kind.format}`
          : `${MULTIPART_FIELDS.file}: expected an image (jpg, png, gif, webp) or pdf, got ${kind.format}`,
      ],
    });
  }
  const extension = extname(originalName).slice(1).toLowerCase();
  const named = EXTENSION_FAMILY[extension];
  if (extension && named !== kind.family) {
    throw new ChatError('UNSUPPORTED_FILE_TYPE', 'File content does not match its name', {
      details: [`name says .${extension}, content is ${kind.format}`],
    });
  }
  return kind;
}

const MAX_NAME_BYTES = 255;

/**
 * The name shown to users: the original's last path part, letters of any script and spaces
 * kept, control and bidi-override characters dropped (NUL among them) and unpaired surrogates
 * too, so it is text PostgreSQL stores as shown; at most 255 bytes of UTF-8.
 */
export function displayFileName(original: string, fallback: string): string {
  const lastPart = original.split(/[/\\]/).pop() ?? '';
  const cleaned = lastPart
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Cs}\u2028\u2029]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+/, '');
  const name = cleaned.length > 0 ? cleaned : fallback;
  return truncateUtf8(name, MAX_NAME_BYTES);
}

/** The storage key's last part: ASCII only, so every store and URL takes it as it is. */
export function storageFileName(display: string, format: string): string {
  const dot = display.lastIndexOf('.');
  const base = (dot >= 0 ? display.slice(0, dot) : display)
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_-]+/g, '-');
  return `${trimDashes(base).slice(0, 80) || 'file'}.${format}`;
}

/** Drops leading and trailing `-` (a pattern anchored at the end backtracks on long runs). */
function trimDashes(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && value.charCodeAt(start) === 45) start += 1;
  while (end > start && value.charCodeAt(end - 1) === 45) end -= 1;
  return value.slice(start, end);
}

/** Cuts to at most `maxBytes` of UTF-8, keeping a short extension and whole characters. */
function truncateUtf8(value: string, maxBytes: number): string {
  if (Buffer.byteLength(value) <= maxBytes) return value;
  const dot = value.lastIndexOf('.');
  const extension =
    dot >= 0 && value.length - dot >= 2 && value.length - dot <= 11 ? value.slice(dot) : '';
  const room = maxBytes - Buffer.byteLength(extension);
  // One pass over the characters (a loop that dropped one character and re-measured the whole
  // name was quadratic in the name's length).
  let stem = '';
  let bytes = 0;
  for (const char of value.slice(0, value.length - extension.length)) {
    const size = Buffer.byteLength(char);
    if (bytes + size > room) break;
    stem += char;
    bytes += size;
  }
  return stem + extension;
}
