import { describe, expect, it } from 'vitest';
import { authRetryDelayMs } from './connection.js';
import { uuid } from './uuid.js';

describe('uuid', () => {
  it('makes v4 UUIDs', () => {
    expect(uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('authRetryDelayMs', () => {
  it('a busy server is tried again with growing, jittered delays up to 30 s', () => {
    expect(authRetryDelayMs('SERVICE_UNAVAILABLE', 0, () => 0)).toBe(500);
    expect(authRetryDelayMs('SERVICE_UNAVAILABLE', 0, () => 1)).toBe(1_000);
    expect(authRetryDelayMs('SERVICE_UNAVAILABLE', 3, () => 0.5)).toBe(6_000);
    expect(authRetryDelayMs('RATE_LIMIT_EXCEEDED', 1, () => 0)).toBe(1_000);
    expect(authRetryDelayMs('SERVICE_UNAVAILABLE', 20, () => 1)).toBe(30_000);
  });

  it('a refused token is final', () => {
    expect(authRetryDelayMs('AUTHENTICATION_REQUIRED', 0)).toBeNull();
    expect(authRetryDelayMs('INVALID_TOKEN', 2)).toBeNull();
    expect(authRetryDelayMs(undefined, 0)).toBeNull();
  });
});
