import { createHmac, timingSafeEqual } from 'node:crypto';

export type FileVariant = 'original' | 'thumbnail';

/**
 * Signs download links so `<audio src>` and `<img src>` work without headers, and a leaked
 * link stops working after its lifetime.
 */
export function createFileUrlSigner(secret: string, ttlSeconds: number) {
  const sign = (messageId: string, variant: FileVariant, expires: number) =>
    createHmac('sha256', secret).update(`${messageId}:${variant}:${expires}`).digest('base64url');

  return {
    ttlSeconds,
    /** Query string of a signed link, valid for `ttlSeconds` from now. */
    query(messageId: string, variant: FileVariant, now = Date.now()): string {
      // Rounded to the minute, so the same message lists the same URL for a while (browser cache).
      const expires = Math.ceil((now / 1000 + ttlSeconds) / 60) * 60;
      const params = new URLSearchParams({
        expires: String(expires),
        signature: sign(messageId, variant, expires),
      });
      if (variant !== 'original') params.set('variant', variant);
      return params.toString();
    },
    verify(
      messageId: string,
      variant: FileVariant,
      expires: number,
      signature: string,
      now = Date.now(),
    ): boolean {
      if (!Number.isSafeInteger(expires) || expires * 1000 < now) return false;
      const expected = Buffer.from(sign(messageId, variant, expires));
      const given = Buffer.from(signature);
      return expected.length === given.length && timingSafeEqual(expected, given);
    },
  };
}
export type FileUrlSigner = ReturnType<typeof createFileUrlSigner>;
