import { stat } from 'node:fs/promises';
import { parseBuffer, parseFile } from 'music-metadata';
import sharp from 'sharp';
import type { UploadBytes } from './file-kind.js';

/** Longest side of a stored image, and of its thumbnail. */
export const MAX_IMAGE_SIDE = 2048;
export const THUMBNAIL_SIDE = 320;

export interface ProcessedImage {
  path: string;
  size: number;
  width: number;
  height: number;
  thumbnail: { path: string; width: number; height: number };
}

/**
 * Re-encodes an image: orientation applied, every metadata block (EXIF with GPS, XMP, ICC
 * comments) dropped, longest side at most 2,048 px, plus a WebP thumbnail. A file the decoder
 * cannot read is not an image after all.
 */
export async function reencodeImage(
  input: string,
  output: string,
  format: string,
): Promise<ProcessedImage> {
  const animated = format === 'gif' || format === 'webp';
  const pipeline = sharp(input, { animated, limitInputPixels: 100_000_000 }).rotate().resize({
    width: MAX_IMAGE_SIDE,
    height: MAX_IMAGE_SIDE,
    fit: 'inside',
    withoutEnlargement: true,
  });
  const encoded =
    format === 'jpg'
      ? pipeline.jpeg({ quality: 85, mozjpeg: true })
      : format === 'png'
        ? pipeline.png()
        : format === 'gif'
          ? pipeline.gif()
          : pipeline.webp({ quality: 85 });
  const info = await encoded.toFile(output);
  const thumbnailPath = `${output}.thumb.webp`;
  const thumb = await sharp(output, { animated: false })
    .resize({
      width: THUMBNAIL_SIDE,
      height: THUMBNAIL_SIDE,
      fit: 'inside',
      withoutEnlargement: true,
    })
    .webp({ quality: 75 })
    .toFile(thumbnailPath);
  return {
    path: output,
    size: (await stat(output)).size,
    width: info.width,
    height: info.pageHeight ?? info.height,
    thumbnail: { path: thumbnailPath, width: thumb.width, height: thumb.height },
  };
}

/** Seconds of audio, read from the file itself; null when the container does not say. */
export async function audioDuration(bytes: UploadBytes): Promise<number | null> {
  try {
    const options = { duration: true, skipCovers: true };
    const metadata = bytes.content
      ? await parseBuffer(bytes.content, undefined, options)
      : await parseFile(bytes.path, options);
    const seconds = metadata.format.duration;
    return seconds !== undefined && Number.isFinite(seconds) ? Math.round(seconds * 10) / 10 : null;
  } catch {
    return null;
  }
}
