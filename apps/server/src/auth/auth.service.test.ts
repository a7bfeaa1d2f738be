import { describe, expect, it } from 'vitest';
import type { ProfileRow } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { ProfilesRepository } from '../repositories/profiles.repository.js';
import { createAuthService, PROFILE_CACHE_TTL_MS } from './auth.service.js';
import type { TokenVerifier } from './token-verifier.js';

const USER = '00000000-0000-4000-8000-00000000000a';

/** A clock the test moves by hand. */
function clock(start = Date.UTC(2025, 0, 1)) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

/** A profiles table the test edits, counting reads. */
function profilesTable(rows: ProfileRow[]) {
  const table = new Map(rows.map((r) => [r.id, { ...r }]));
  let reads = 0;
  const repo = {
    findById: async (id: string) => {
      reads += 1;
      const row = table.get(id);
      return row ? { ...row } : null;
    },
  } as unknown as ProfilesRepository;
  return { table, repo, reads: () => reads };
}

const passThrough: TokenVerifier = {
  verify: async (token) => ({ userId: token, expiresAt: undefined }),
};

const profile = (role: ProfileRow['role']): ProfileRow => ({
  id: USER,
  firstName: 'Sam',
  lastName: null,
  avatarUrl: null,
  role,
});

describe('authentication profile cache', () => {
  it('a role change takes effect once the profile cache time has passed, not later', async () => {
    const time = clock();
    const profiles = profilesTable([profile('admin')]);
    const auth = createAuthService(passThrough, profiles.repo, { now: time.now });

    expect((await auth.authenticate(USER)).actor.role).toBe('admin');
    expect((await auth.authenticate(USER)).actor.role).toBe('admin');
    expect(profiles.reads()).toBe(1);

    const demoted = profiles.table.get(USER);
    if (demoted) demoted.role = 'client';
    time.advance(PROFILE_CACHE_TTL_MS - 1);
    expect((await auth.authenticate(USER)).actor.role).toBe('admin');
    time.advance(1);
    expect((await auth.authenticate(USER)).actor.role).toBe('client');
    expect(profiles.reads()).toBe(2);
  });

  it('a deleted profile is refused once the cache time has passed; unknown users are never cached', async () => {
    const time = clock();
    const profiles = profilesTable([]);
    const auth = createAuthService(passThrough, profiles.repo, { now: time.now });
    await expect(auth.authenticate(USER)).rejects.toThrow('Unknown user');
    profiles.table.set(USER, profile('reader'));
    expect((await auth.authenticate(USER)).actor.role).toBe('reader');

    profiles.table.delete(USER);
    time.advance(PROFILE_CACHE_TTL_MS);
    await expect(auth.authenticate(USER)).rejects.toThrow('Unknown user');
  });

  it('every request still verifies its token: a refused token is refused with a cached profile', async () => {
    const profiles = profilesTable([profile('client')]);
    const verifier: TokenVerifier = {
      verify: async (token) => {
        if (token !== 'good') throw new ChatError('AUTHENTICATION_REQUIRED', 'Invalid token');
        return { userId: USER, expiresAt: undefined };
      },
    };
    const auth = createAuthService(verifier, profiles.repo);
    await auth.authenticate('good');
    await expect(auth.authenticate('forged')).rejects.toThrow('Invalid token');
  });

  it('a change the database announced is read at the next request, inside the cache time', async () => {
    const time = clock();
    const profiles = profilesTable([profile('admin')]);
    const auth = createAuthService(passThrough, profiles.repo, { now: time.now });
    expect((await auth.authenticate(USER)).actor.role).toBe('admin');

    const demoted = profiles.table.get(USER);
    if (demoted) demoted.role = 'client';
    auth.forget(USER.toUpperCase());
    expect((await auth.authenticate(USER)).actor.role).toBe('client');

    profiles.table.delete(USER);
    auth.forgetAll();
    await expect(auth.authenticate(USER)).rejects.toThrow('Unknown user');
  });

  it('a profile read under way when a change is announced serves its request but is not kept', async () => {
    const profiles = profilesTable([profile('admin')]);
    // Each read answers the row as it was when the read started, once the test lets it.
    const reads: Array<() => void> = [];
    let started: () => void = () => {};
    const slow = {
      findById: async (id: string) => {
        const row = await profiles.repo.findById(id);
        await new Promise<void>((resolve) => {
          reads.push(resolve);
          started();
        });
        return row;
      },
    } as unknown as ProfilesRepository;
    const readStarted = () => new Promise<void>((resolve) => (started = resolve));
    const auth = createAuthService(passThrough, slow);

    let reading = readStarted();
    const first = auth.authenticate(USER);
    await reading;
    const demoted = profiles.table.get(USER);
    if (demoted) demoted.role = 'client';
    auth.forget(USER);
    reads.shift()?.();
    expect((await first).actor.role).toBe('admin');

    reading = readStarted();
    const second = auth.authenticate(USER);
    await reading;
    reads.shift()?.();
    expect((await second).actor.role).toBe('client');
    expect(profiles.reads()).toBe(2);
  });

  it('profileCacheTtlMs 0 reads the profile on every request', async () => {
    const profiles = profilesTable([profile('client')]);
    const auth = createAuthService(passThrough, profiles.repo, { profileCacheTtlMs: 0 });
    await auth.authenticate(USER);
    await auth.authenticate(USER);
    expect(profiles.reads()).toBe(2);
  });
});

describe('profile reads in flight', () => {
  it('a user’s sockets re-reading at once share one read; a change heard meanwhile starts a new one', async () => {
    const profiles = profilesTable([profile('admin')]);
    const auth = createAuthService(passThrough, profiles.repo, { profileCacheTtlMs: 0 });
    const together = await Promise.all([auth.reload(USER), auth.reload(USER), auth.reload(USER)]);
    expect(together.map((a) => a.role)).toEqual(['admin', 'admin', 'admin']);
    expect(profiles.reads()).toBe(1);

    const first = auth.reload(USER);
    const demoted = profiles.table.get(USER);
    if (demoted) demoted.role = 'client';
    auth.forget(USER);
    // Began after the change was heard: not the read in flight, which may hold the old row.
    expect((await auth.reload(USER)).role).toBe('client');
    await first;
    expect(profiles.reads()).toBe(3);
  });
});
