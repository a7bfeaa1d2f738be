import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs with no settings at all: development sign-in, PGlite under ./data, port 5000', () => {
    const config = loadConfig({});
    expect(config.env).toBe('development');
    expect(config.auth).toEqual({ kind: 'dev' });
    expect(config.port).toBe(5000);
    expect(config.dataDir).toBe('./data');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.redisUrl).toBeUndefined();
    expect(config.allowedOrigins).toEqual(['http://localhost:3000']);
    expect(config.rateLimits.messagesPerMinute).toBe(100);
    expect(config.rateLimits.voiceNotesPerMinute).toBe(10);
  });

  it('refuses production without a JWT setting, naming JWT_SECRET', () => {
    const start = () => loadConfig({ NODE_ENV: 'production', ALLOW_UNSCANNED_UPLOADS: 'true' });
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/JWT_SECRET/);
  });

  it('uses JWT_SECRET, or its alias SUPABASE_JWT_SECRET, even outside production', () => {
    expect(loadConfig({ JWT_SECRET: 's3cret' }).auth).toEqual({ kind: 'secret', secret: 's3cret' });
    expect(loadConfig({ SUPABASE_JWT_SECRET: 'alias' }).auth).toEqual({
      kind: 'secret',
      secret: 'alias',
    });
    expect(loadConfig({ NODE_ENV: 'test', JWT_SECRET: 'x' }).auth.kind).toBe('secret');
  });

  it('derives the JWKS URL from SUPABASE_URL', () => {
    expect(loadConfig({ SUPABASE_URL: 'https://abcd.supabase.co' }).auth).toEqual({
      kind: 'jwks',
      url: 'https://abcd.supabase.co/auth/v1/.well-known/jwks.json',
    });
    // An explicit JWKS_URL wins over the derived one.
    expect(
      loadConfig({
        SUPABASE_URL: 'https://abcd.supabase.co',
        JWKS_URL: 'https://keys.example/jwks.json',
      }).auth,
    ).toEqual({ kind: 'jwks', url: 'https://keys.example/jwks.json' });
  });

  it('takes FRONTEND_URL as a comma-separated list, trimmed, without trailing slashes', () => {
    const config = loadConfig({
      FRONTEND_URL: 'https://app.example/, http://localhost:3000 ,,https://admin.example',
    });
    expect(config.allowedOrigins).toEqual([
      'https://app.example',
      'http://localhost:3000',
      'https://admin.example',
    ]);
  });

  it('reads the rate limits and the database settings', () => {
    const config = loadConfig({
      RATE_LIMIT_MESSAGES_PER_MINUTE: '3',
      DATABASE_URL: 'postgres://u@db/chat',
      DATABASE_POOL_SIZE: '7',
      REDIS_URL: 'redis://cache:6379',
      PORT: '8080',
    });
    expect(config.rateLimits.messagesPerMinute).toBe(3);
    expect(config.databaseUrl).toBe('postgres://u@db/chat');
    expect(config.databasePoolSize).toBe(7);
    expect(config.redisUrl).toBe('redis://cache:6379');
    expect(config.port).toBe(8080);
  });

  it('fails fast with the name of a malformed variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ RATE_LIMIT_MESSAGES_PER_MINUTE: '0' })).toThrow(
      /RATE_LIMIT_MESSAGES_PER_MINUTE/,
    );
    expect(() => loadConfig({ SUPABASE_URL: 'not a url' })).toThrow(/SUPABASE_URL/);
    expect(() => loadConfig({ NODE_ENV: 'staging' })).toThrow(/NODE_ENV/);
  });

  it('reads the socket heartbeat, the per-connection event budget and the statement timeout', () => {
    const defaults = loadConfig({});
    expect(defaults.socketPingIntervalMs).toBe(25_000);
    expect(defaults.socketPingTimeoutMs).toBe(20_000);
    expect(defaults.socketEventsPer10s).toBe(300);
    expect(defaults.databaseStatementTimeoutMs).toBe(15_000);
    const config = loadConfig({
      SOCKET_PING_INTERVAL_MS: '1000',
      SOCKET_PING_TIMEOUT_MS: '500',
      SOCKET_EVENTS_PER_10S: '20',
      DATABASE_STATEMENT_TIMEOUT_MS: '2000',
    });
    expect(config.socketPingIntervalMs).toBe(1_000);
    expect(config.socketPingTimeoutMs).toBe(500);
    expect(config.socketEventsPer10s).toBe(20);
    expect(config.databaseStatementTimeoutMs).toBe(2_000);
    expect(() => loadConfig({ SOCKET_EVENTS_PER_10S: '0' })).toThrow(/SOCKET_EVENTS_PER_10S/);
  });

  it('binds to loopback outside production unless HOST says otherwise', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
  });
});
