import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { createBenchDatabase, seedBookingSessions } from '../lib/db.js';
import { LoadGenerator } from '../lib/processes.js';
import type { BenchOutput, Target } from '../lib/report.js';
import { type ChatServer, COMPARE, signToken, startChatServer } from '../lib/server.js';
import { fmt, log, pcts, ratio, round, type Summary } from '../lib/util.js';
import type { HttpCase, HttpCaseResult } from '../loadgen/http.js';

const quick = process.env.BENCH_QUICK === '1';
const BIG = Number(process.env.BENCH_HISTORY_MESSAGES ?? (quick ? 200_000 : 1_000_000));
const SMALL = 1_000;
const LIST_SESSIONS = 1_000;
const PAGE = 50;
const SAMPLES = quick ? 200 : 1_000;
const OFFSET_SAMPLES = quick ? 10 : 40;

/** `count` messages in one session, alternating senders, straight into the table. */
async function bulkMessages(
  pool: pg.Pool,
  sessionId: string,
  a: string,
  b: string,
  count: number,
): Promise<void> {
  await pool.query(
    `INSERT INTO chat_messages (id, session_id, seq, sender_id, type, content, metadata, created_at)
     SELECT gen_random_uuid(), $1::uuid, g, CASE WHEN g % 2 = 0 THEN $2::uuid ELSE $3::uuid END, 'text',
            'history message number ' || g || ', of a typical chat length for a booking conversation',
            '{}'::jsonb, now() - make_interval(secs => $4::int - g)
     FROM generate_series(1, $4::int) AS g`,
    [sessionId, a, b, count],
  );
  await pool.query(
    `UPDATE chat_sessions SET last_seq = $2, last_message_at = now(), activity_at = now() WHERE id = $1`,
    [sessionId, count],
  );
  // The reader has read all but the last 10.
  await pool.query(`UPDATE chat_participants SET last_read_seq = $2 WHERE session_id = $1`, [
    sessionId,
    count - 10,
  ]);
}

/** A user in `count` sessions (each with a different counterpart, 5 messages, 3 unread). */
async function seedManySessions(pool: pg.Pool, count: number): Promise<string> {
  const user = randomUUID();
  await pool.query(
    `INSERT INTO profiles (id, first_name, last_name, role) VALUES ($1, 'Busy', 'Reader', 'reader')`,
    [user],
  );
  await pool.query(
    `WITH n AS (SELECT g, gen_random_uuid() AS other, gen_random_uuid() AS booking, gen_random_uuid() AS session
                FROM generate_series(1, $2::int) g),
          p AS (INSERT INTO profiles (id, first_name, last_name, role)
                SELECT other, 'Client', 'n' || g, 'client' FROM n),
          b AS (INSERT INTO bookings (id, client_id, reader_id, status)
                SELECT booking, other, $1::uuid, 'confirmed' FROM n),
          s AS (INSERT INTO chat_sessions (id, booking_id, session_type, status, last_seq, last_message_at, activity_at, created_by)
                SELECT session, booking, 'booking', 'active', 5, now() - make_interval(mins => g), now() - make_interval(mins => g), other FROM n),
          cp AS (INSERT INTO chat_participants (session_id, user_id, last_read_seq)
                 SELECT session, other, 5 FROM n UNION ALL SELECT session, $1::uuid, 2 FROM n)
     INSERT INTO chat_messages (id, session_id, seq, sender_id, type, content, metadata, created_at)
     SELECT gen_random_uuid(), session, k, CASE WHEN k <= 2 THEN $1::uuid ELSE other END, 'text', 'message ' || k, '{}'::jsonb,
            now() - make_interval(mins => g) - make_interval(secs => 5 - k)
     FROM n, generate_series(1, 5) AS k`,
    [user, count],
  );
  return user;
}

async function messageIdAt(pool: pg.Pool, sessionId: string, seq: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    'SELECT id FROM chat_messages WHERE session_id = $1 AND seq = $2',
    [sessionId, seq],
  );
  const id = rows[0]?.id;
  if (!id) throw new Error(`no message at seq ${seq}`);
  return id;
}

/**
 * `history`: a session with 1,000,000 messages against one with 1,000: the newest page, a
 * `before_message_id` page near the top and one 900,000 deep, and `page=N` at that depth;
 * and the session list (with unread counts) of a user in 1,000 sessions. Sequential requests,
 * cases interleaved round-robin.
 */
export async function runHistory(): Promise<BenchOutput> {
  const db = await createBenchDatabase('history');
  const lg = new LoadGenerator();
  let server: ChatServer | undefined;
  let compare: ChatServer | undefined;
  try {
    server = await startChatServer({ name: 'history', databaseUrl: db.url });
    const [big, small] = await seedBookingSessions(db.pool, 2);
    if (!big || !small) throw new Error('seed failed');
    log(`history: inserting ${BIG.toLocaleString('en-US')} messages with generate_series`);
    let t = Date.now();
    await bulkMessages(db.pool, big.sessionId, big.clientId, big.readerId, BIG);
    log(`history: ${BIG.toLocaleString('en-US')} rows in ${fmt((Date.now() - t) / 1000, 1)} s`);
    await bulkMessages(db.pool, small.sessionId, small.clientId, small.readerId, SMALL);
    t = Date.now();
    const busy = await seedManySessions(db.pool, LIST_SESSIONS);
    log(
      `history: a user in ${LIST_SESSIONS} sessions seeded in ${fmt((Date.now() - t) / 1000, 1)} s; VACUUM ANALYZE`,
    );
    await db.pool.query('VACUUM ANALYZE');

    const depth = Math.floor(BIG * 0.9);
    const anchors = {
      bigShallow: await messageIdAt(db.pool, big.sessionId, BIG - PAGE + 1),
      bigDeep: await messageIdAt(db.pool, big.sessionId, BIG - depth + 1),
      smallShallow: await messageIdAt(db.pool, small.sessionId, SMALL - PAGE + 1),
      smallDeep: await messageIdAt(db.pool, small.sessionId, SMALL - Math.floor(SMALL * 0.9) + 1),
    };
    const token = signToken(big.readerId);
    const smallToken = signToken(small.readerId);
    const busyToken = signToken(busy);
    const url = (sessionId: string, query: string) =>
      `${server?.url}/api/chat/messages?session_id=${sessionId}&limit=${PAGE}${query}`;
    const cases: HttpCase[] = [
      {
        name: 'newest 1k',
        url: url(small.sessionId, ''),
        token: smallToken,
        count: SAMPLES,
        expectItems: PAGE,
      },
      { name: 'newest 1M', url: url(big.sessionId, ''), token, count: SAMPLES, expectItems: PAGE },
      {
        name: 'keyset shallow 1k',
        url: url(small.sessionId, `&before_message_id=${anchors.smallShallow}`),
        token: smallToken,
        count: SAMPLES,
        expectItems: PAGE,
      },
      {
        name: 'keyset shallow 1M',
        url: url(big.sessionId, `&before_message_id=${anchors.bigShallow}`),
        token,
        count: SAMPLES,
        expectItems: PAGE,
      },
      {
        name: 'keyset deep 1k',
        url: url(small.sessionId, `&before_message_id=${anchors.smallDeep}`),
        token: smallToken,
        count: SAMPLES,
        expectItems: PAGE,
      },
      {
        name: 'keyset deep 1M',
        url: url(big.sessionId, `&before_message_id=${anchors.bigDeep}`),
        token,
        count: SAMPLES,
        expectItems: PAGE,
      },
      {
        name: 'page=N deep 1k',
        url: url(small.sessionId, `&page=${Math.floor(SMALL * 0.9) / PAGE + 1}`),
        token: smallToken,
        count: SAMPLES,
        expectItems: PAGE,
      },
      {
        name: 'session list (1,000 sessions)',
        url: `${server.url}/api/chat/sessions`,
        token: busyToken,
        count: SAMPLES,
        expectItems: 20,
      },
      {
        name: 'session list, limit 100',
        url: `${server.url}/api/chat/sessions?limit=100`,
        token: busyToken,
        count: SAMPLES,
        expectItems: 100,
      },
      // The floor on this machine right now: the cheapest request there is (no auth, no query).
      {
        name: 'floor: GET /healthz',
        url: `${server.url}/healthz`,
        token: busyToken,
        count: SAMPLES,
        plain: true,
      },
    ];
    if (COMPARE) {
      // The other build on the same database (same schema), its cases interleaved with these.
      compare = await startChatServer({
        name: `history-${COMPARE.label}`,
        databaseUrl: db.url,
        main: COMPARE.main,
        nodeArgs: COMPARE.nodeArgs,
      });
      const base = server.url;
      const other = compare.url;
      for (const c of [...cases]) {
        if (c.name.startsWith('floor')) continue;
        cases.push({ ...c, name: `${COMPARE.label}: ${c.name}`, url: c.url.replace(base, other) });
      }
    }
    log(`history: ${SAMPLES} requests per case, interleaved`);
    const fast = await lg.call<HttpCaseResult[]>(
      'httpCases',
      { cases, warmup: 20, label: 'history' },
      1_800_000,
    );
    log(
      `history: page=N ${depth.toLocaleString('en-US')} deep in 1M (OFFSET), ${OFFSET_SAMPLES} requests`,
    );
    const slow = await lg.call<HttpCaseResult[]>(
      'httpCases',
      {
        cases: [
          {
            name: 'page=N deep 1M',
            url: url(big.sessionId, `&page=${depth / PAGE + 1}`),
            token,
            count: OFFSET_SAMPLES,
            expectItems: PAGE,
          },
        ],
        warmup: 2,
        label: 'offset',
      },
      1_800_000,
    );
    const all = [...fast, ...slow];
    const by = (name: string): Summary => {
      const found = all.find((c) => c.name === name);
      if (!found) throw new Error(`no case ${name}`);
      return found.ms;
    };
    const failures = all.filter((c) => c.errors > 0 || c.wrongShape > 0);
    const keysetRatio = ratio(by('keyset deep 1M').p50, by('keyset shallow 1M').p50);
    const keysetRatioP99 = ratio(by('keyset deep 1M').p99, by('keyset shallow 1M').p99);
    const list = by('session list (1,000 sessions)');
    const targets: Target[] = [
      {
        name: 'deep keyset page within 1.3x of the shallow one (1M, p50)',
        met: keysetRatio <= 1.3,
        measured: `${fmt(keysetRatio, 2)}x p50 (${fmt(keysetRatioP99, 2)}x p99)`,
      },
      {
        name: 'session list of 1,000 sessions p99 < 20 ms',
        met: list.p99 < 20,
        measured: `${fmt(list.p99, 1)} ms; the machine's floor (GET /healthz) p50 ${fmt(by('floor: GET /healthz').p50, 2)}, p99 ${fmt(by('floor: GET /healthz').p99, 1)} ms`,
      },
    ];
    const notes = all.map(
      (c) =>
        `${c.name}: p50/p99/p99.9 ${pcts(c.ms, 2)} ms (n=${c.ms.n}${c.errors ? `, ${c.errors} errors` : ''}${c.wrongShape ? `, ${c.wrongShape} wrong shape` : ''})`,
    );
    if (failures.length > 0)
      notes.push(`FAILED requests in: ${failures.map((f) => f.name).join(', ')}`);
    return {
      name: 'history',
      columns: [
        'messages',
        'newest 1k / 1M p50 ms',
        'keyset shallow / deep 1M p50 ms',
        'deep/shallow',
        'keyset deep 1k / 1M p50',
        'page=N deep 1M p50 ms (vs keyset)',
        'keyset deep 1M p50/p99/p99.9',
        'session list p50/p99/p99.9 ms',
      ],
      cells: [
        BIG.toLocaleString('en-US'),
        `${fmt(by('newest 1k').p50, 2)} / ${fmt(by('newest 1M').p50, 2)}`,
        `${fmt(by('keyset shallow 1M').p50, 2)} / ${fmt(by('keyset deep 1M').p50, 2)}`,
        `${fmt(keysetRatio, 2)}x`,
        `${fmt(by('keyset deep 1k').p50, 2)} / ${fmt(by('keyset deep 1M').p50, 2)}`,
        `${fmt(by('page=N deep 1M').p50, 1)} (${fmt(ratio(by('page=N deep 1M').p50, by('keyset deep 1M').p50), 0)}x)`,
        pcts(by('keyset deep 1M'), 2),
        pcts(list, 2),
      ],
      targets,
      notes,
      figures: {
        messages: BIG,
        small: SMALL,
        pageSize: PAGE,
        depth,
        listSessions: LIST_SESSIONS,
        cases: all,
        ratios: {
          keysetDeepVsShallow1M: round(keysetRatio, 3),
          keysetDeepVsShallow1MP99: round(keysetRatioP99, 3),
          newest1MVs1k: round(ratio(by('newest 1M').p50, by('newest 1k').p50), 3),
          keysetDeep1MVs1k: round(ratio(by('keyset deep 1M').p50, by('keyset deep 1k').p50), 3),
          offsetDeepVsKeysetDeep1M: round(
            ratio(by('page=N deep 1M').p50, by('keyset deep 1M').p50),
            1,
          ),
        },
      },
    };
  } finally {
    await lg.close();
    await server?.stop();
    await compare?.stop();
    await db.drop();
  }
}
