import { randomUUID } from 'node:crypto';
import { type Summary, summarize } from '../lib/util.js';
import { now, progress } from './sockets.js';

export interface HttpCase {
  name: string;
  url: string;
  token: string;
  count: number;
  /** Each answer is checked with this many items (messages or sessions) when given. */
  expectItems?: number;
  /** Not an API envelope (e.g. /healthz): a 2xx answer is enough. */
  plain?: boolean;
}

export interface HttpCaseResult {
  name: string;
  ms: Summary;
  errors: number;
  wrongShape: number;
}

async function once(c: HttpCase): Promise<{ ms: number; ok: boolean; shapeOk: boolean }> {
  const t = now();
  const response = await fetch(c.url, {
    headers: { authorization: `Bearer ${c.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  const body = (await response.json()) as {
    success?: boolean;
    data?: { messages?: unknown[]; sessions?: unknown[] };
  };
  const ms = now() - t;
  const items = body.data?.messages ?? body.data?.sessions;
  return {
    ms,
    ok: response.ok && (c.plain === true || body.success === true),
    shapeOk:
      c.expectItems === undefined || (Array.isArray(items) && items.length === c.expectItems),
  };
}

/**
 * Sequential GETs (one at a time, one kept-alive connection): `warmup` rounds unmeasured, then
 * the cases interleaved round-robin so that noise on the machine hits every case alike.
 */
export async function httpCases(args: {
  cases: HttpCase[];
  warmup: number;
  label: string;
}): Promise<HttpCaseResult[]> {
  for (let i = 0; i < args.warmup; i++) for (const c of args.cases) await once(c);
  const samples = args.cases.map(() => [] as number[]);
  const errors = args.cases.map(() => 0);
  const wrong = args.cases.map(() => 0);
  const rounds = Math.max(...args.cases.map((c) => c.count));
  let lastReport = now();
  for (let round = 0; round < rounds; round++) {
    for (const [i, c] of args.cases.entries()) {
      if (round >= c.count) continue;
      try {
        const r = await once(c);
        if (!r.ok) errors[i] = (errors[i] ?? 0) + 1;
        else samples[i]?.push(r.ms);
        if (!r.shapeOk) wrong[i] = (wrong[i] ?? 0) + 1;
      } catch {
        errors[i] = (errors[i] ?? 0) + 1;
      }
    }
    if (now() - lastReport > 2_000) {
      lastReport = now();
      progress(`${args.label}: round ${round + 1}/${rounds}`);
    }
  }
  return args.cases.map((c, i) => ({
    name: c.name,
    ms: summarize(samples[i] ?? []),
    errors: errors[i] ?? 0,
    wrongShape: wrong[i] ?? 0,
  }));
}

export interface RestMessage {
  token: string;
  sessionId: string;
  senderId: string;
  content: string;
}

/** POST /api/chat/messages for each, `concurrency` at a time; returns the stored ids (null when refused). */
export async function restSend(args: {
  url: string;
  messages: RestMessage[];
  concurrency: number;
}) {
  const out: Array<{ sessionId: string; senderId: string; id: string | null; status: number }> = [];
  let next = 0;
  let retries = 0;
  const worker = async () => {
    for (;;) {
      const m = args.messages[next++];
      if (!m) return;
      let status = 0;
      let id: string | null = null;
      // The client's own id makes a retry safe (a repeated id returns the stored message).
      const clientId = randomUUID();
      // 503 (the server shedding load) and network errors are retried, as a client would.
      for (let attempt = 0; attempt < 10; attempt++) {
        try {
          const response = await fetch(`${args.url}/api/chat/messages`, {
            method: 'POST',
            headers: { authorization: `Bearer ${m.token}`, 'content-type': 'application/json' },
            body: JSON.stringify({ id: clientId, session_id: m.sessionId, content: m.content }),
            signal: AbortSignal.timeout(60_000),
          });
          status = response.status;
          const body = (await response.json()) as { success?: boolean; data?: { id?: string } };
          if (body.success && body.data?.id) id = body.data.id;
        } catch {
          status = -1;
        }
        if (id !== null || (status !== 503 && status !== -1)) break;
        retries++;
        await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 2_000));
      }
      out.push({ sessionId: m.sessionId, senderId: m.senderId, id, status });
    }
  };
  await Promise.all(Array.from({ length: args.concurrency }, worker));
  if (retries > 0) progress(`REST sends: ${retries} retries after 503 or a network error`);
  return out;
}
