import { z } from 'zod';
import { ZId, ZProfile } from './common.js';

/** Development sign-in (only when the server runs without a JWT setting, never in production). */
export const ZDevSignInRequest = z.object({ user_id: ZId });
export const ZDevSignInResponse = z.object({
  token: z.string(),
  expires_at: z.string(),
  user: ZProfile,
});
export const ZDevUsersResponse = z.object({ users: z.array(ZProfile) });
