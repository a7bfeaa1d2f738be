import { MAX_UPLOAD_BYTES } from '@chat/contracts';

/** What the attach button offers: the image and document types the server accepts. */
export const ATTACHABLE_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'application/pdf',
];
const ATTACHABLE_EXTENSIONS = /\.(jpe?g|png|gif|webp|pdf)$/i;

/**
 * A quick check before uploading, so an obviously refused file is explained at once. The
 * server decides from the bytes; this only reads the size, the declared type and the name.
 */
export function precheckFile(file: Pick<File, 'name' | 'size' | 'type'>): string | null {
  if (file.size > MAX_UPLOAD_BYTES) {
    return `“${file.name}” is larger than 10 MB, the most a file may be.`;
  }
  if (file.size === 0) return `“${file.name}” is empty.`;
  const typeKnown = ATTACHABLE_TYPES.includes(file.type);
  if (!typeKnown && !ATTACHABLE_EXTENSIONS.test(file.name)) {
    return `“${file.name}” cannot be sent: only images (JPG, PNG, GIF, WebP) and PDFs can be attached.`;
  }
  return null;
}

export function isImageType(mime: string | null | undefined): boolean {
  return typeof mime === 'string' && mime.startsWith('image/');
}
