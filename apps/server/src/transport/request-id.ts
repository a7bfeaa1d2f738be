/** Longest X-Request-Id kept from a caller (a UUID is 36; trace ids up to 64). */
const MAX_REQUEST_ID_LENGTH = 128;

/** A caller's request id is kept when it is 1 to 128 of `A-Z a-z 0-9 - _ . :`; else undefined. */
export function acceptedRequestId(value: string | string[] | undefined): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_REQUEST_ID_LENGTH) {
    return undefined;
  }
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    const allowed =
      (c >= 48 && c <= 58) || // 0-9 and ':'
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      c === 45 || // -
      c === 46 || // .
      c === 95; // _
    if (!allowed) return undefined;
  }
  return value;
}
