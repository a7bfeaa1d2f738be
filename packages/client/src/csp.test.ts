import { afterEach, describe, expect, it, vi } from 'vitest';
import { config } from 'zod';
import { message, SESSION } from './test/factories.js';
import { fakeFetch, ok } from './test/fakes.js';

/**
 * A strict Content-Security-Policy (no 'unsafe-eval') refuses `new Function`, and the browser
 * reports every refused try, caught or not. Here `Function` counts and refuses constructions
 * while the SDK (and the contracts' schemas) load and parse a REST answer.
 */
async function functionsBuiltWhileParsing(): Promise<number> {
  let built = 0;
  const refuse = () => {
    built += 1;
    throw new EvalError('Refused to evaluate a string as JavaScript (CSP)');
  };
  vi.stubGlobal('Function', new Proxy(Function, { construct: refuse, apply: refuse }));
  try {
    vi.resetModules();
    const { createRestClient } = await import('./rest.js');
    const { fetch } = fakeFetch(() => ok({ messages: [message(1)], has_more: false }));
    const page = await createRestClient({ token: 't', fetch }).listMessages({
      session_id: SESSION,
    });
    expect(page.messages).toHaveLength(1);
  } finally {
    vi.unstubAllGlobals();
  }
  return built;
}

describe('under a strict CSP', () => {
  afterEach(() => {
    config({ jitless: false });
  });

  it('with zod jitless, the SDK loads and parses answers without ever building a Function', async () => {
    config({ jitless: true });
    expect(await functionsBuiltWhileParsing()).toBe(0);
  });

  it('zod left to itself tries `new Function` (what the CSP would report)', async () => {
    config({ jitless: false });
    expect(await functionsBuiltWhileParsing()).toBeGreaterThan(0);
  });
});
