import type { TProfile } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { displayName, parseDevUsers } from './api';

const sarah: TProfile = {
  id: '11111111-1111-4111-8111-111111111111',
  first_name: 'Sarah',
  last_name: 'Johnson',
  avatar_url: null,
  role: 'client',
};

describe('parseDevUsers', () => {
  it('returns the demo users of a well-formed answer', () => {
    const users = parseDevUsers({ success: true, data: { users: [sarah] } });
    expect(users).toEqual([sarah]);
    expect(users.map(displayName)).toEqual(['Sarah Johnson']);
  });

  it('refuses an answer whose users do not match the contract', () => {
    expect(() =>
      parseDevUsers({ success: true, data: { users: [{ ...sarah, role: 'superuser' }] } }),
    ).toThrow(/data\.users\.0\.role/);
  });

  it('names a user without a name by id', () => {
    expect(displayName({ ...sarah, first_name: null, last_name: null })).toBe(sarah.id);
  });

  it('refuses an error envelope', () => {
    expect(() =>
      parseDevUsers({ success: false, error: 'Route not found', code: 'NOT_FOUND', details: [] }),
    ).toThrow(/Unexpected/);
  });
});
