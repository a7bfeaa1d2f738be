import { API_PATHS, successEnvelope, type TProfile, ZDevUsersResponse } from '@chat/contracts';

/** `GET /api/dev/users` as the contract defines it: the web client breaks when the contract moves. */
const ZDevUsersEnvelope = successEnvelope(ZDevUsersResponse);

/** The demo users of a development sign-in answer, or an error naming what did not match. */
export function parseDevUsers(body: unknown): TProfile[] {
  const parsed = ZDevUsersEnvelope.safeParse(body);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw new Error(`Unexpected /api/dev/users answer (${where})`);
  }
  return parsed.data.data.users;
}

export function displayName(profile: TProfile): string {
  const name = [profile.first_name, profile.last_name].filter(Boolean).join(' ');
  return name || profile.id;
}

export type Health = 'ok' | 'down';

export async function fetchHealth(signal?: AbortSignal): Promise<Health> {
  try {
    const response = await fetch('/healthz', { signal: signal ?? null });
    return response.ok ? 'ok' : 'down';
  } catch {
    return 'down';
  }
}

/** Demo users when development sign-in is on; `null` when the server runs with real auth (404). */
export async function fetchDevUsers(signal?: AbortSignal): Promise<TProfile[] | null> {
  const response = await fetch(API_PATHS.devUsers, { signal: signal ?? null });
  if (response.status !== 200) return null;
  return parseDevUsers(await response.json());
}
