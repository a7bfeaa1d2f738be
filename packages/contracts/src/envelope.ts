import { z } from 'zod';
import { ERROR_CODES } from './errors.js';

/** `{ success: true, data, message? }`: every successful REST answer. */
export function successEnvelope<T extends z.ZodType>(data: T) {
  return z.object({ success: z.literal(true), data, message: z.string().optional() });
}

/** `{ success: true, message }` for answers that carry no data in the reference. */
export const ZMessageOnlyEnvelope = z.object({
  success: z.literal(true),
  message: z.string(),
});

/** `{ success: false, error, code, details }`: every failed REST answer. */
export const ZErrorEnvelope = z.object({
  success: z.literal(false),
  error: z.string(),
  code: z.enum(ERROR_CODES),
  details: z.array(z.string()),
});
export type TErrorEnvelope = z.infer<typeof ZErrorEnvelope>;
