import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { onExit } from './processes.js';
import { log } from './util.js';

/** The machine's PostgreSQL (trust auth on loopback); BENCH_PG_URL overrides the admin URL. */
export const PG_ADMIN_URL =
  process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface BenchDatabase {
  name: string;
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

const withDatabase = (adminUrl: string, name: string) => {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
};

/**
 * A fresh database for one benchmark run, dropped at the end (BENCH_KEEP_DB=1 keeps it).
 * The server applies its own migrations into it when it starts.
 */
export async function createBenchDatabase(benchName: string): Promise<BenchDatabase> {
  const stamp = new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const name = `chat_bench_${benchName}_${stamp}_${randomUUID().slice(0, 6)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(PG_ADMIN_URL, name);
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  pool.on('error', () => {});
  let dropped = false;
  const dropNow = async () => {
    if (dropped) return;
    dropped = true;
    await pool.end().catch(() => {});
    if (process.env.BENCH_KEEP_DB === '1') {
      log(`kept database ${name} (BENCH_KEEP_DB=1)`);
      return;
    }
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
  onExit(() => {
    if (!dropped)
      log(
        `database ${name} was left behind (the run ended early); drop it with: dropdb -h 127.0.0.1 -U postgres ${name}`,
      );
  });
  log(`database ${name} created`);
  return { name, url, pool, drop: dropNow };
}

export async function postgresVersion(): Promise<string | null> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  try {
    await client.connect();
    const { rows } = await client.query<{ v: string }>(
      `SELECT current_setting('server_version') AS v`,
    );
    return rows[0]?.v ?? null;
  } catch {
    return null;
  } finally {
    await client.end().catch(() => {});
  }
}

export interface SeededPair {
  sessionId: string;
  bookingId: string;
  clientId: string;
  readerId: string;
}

/**
 * `count` bookings with their chat sessions (client and reader, both participants), inserted
 * with SQL directly: setup, not what is measured.
 */
export async function seedBookingSessions(
  pool: pg.Pool,
  count: number,
  prefix = 'Bench',
): Promise<SeededPair[]> {
  const pairs: SeededPair[] = Array.from({ length: count }, () => ({
    sessionId: randomUUID(),
    bookingId: randomUUID(),
    clientId: randomUUID(),
    readerId: randomUUID(),
  }));
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const chunk = 5_000;
    for (let i = 0; i < pairs.length; i += chunk) {
      const part = pairs.slice(i, i + chunk);
      const clients = part.map((p) => p.clientId);
      const readers = part.map((p) => p.readerId);
      const bookings = part.map((p) => p.bookingId);
      const sessions = part.map((p) => p.sessionId);
      await client.query(
        `INSERT INTO profiles (id, first_name, last_name, role)
         SELECT u, $2, 'Client ' || ord, 'client' FROM unnest($1::uuid[]) WITH ORDINALITY AS t(u, ord)
         UNION ALL
         SELECT u, $2, 'Reader ' || ord, 'reader' FROM unnest($3::uuid[]) WITH ORDINALITY AS t(u, ord)`,
        [clients, prefix, readers],
      );
      await client.query(
        `INSERT INTO bookings (id, client_id, reader_id, status)
         SELECT b, c, r, 'confirmed' FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(b, c, r)`,
        [bookings, clients, readers],
      );
      await client.query(
        `INSERT INTO chat_sessions (id, booking_id, session_type, status, created_by)
         SELECT s, b, 'booking', 'active', c FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS t(s, b, c)`,
        [sessions, bookings, clients],
      );
      await client.query(
        `INSERT INTO chat_participants (session_id, user_id)
         SELECT s, c FROM unnest($1::uuid[], $2::uuid[]) AS t(s, c)
         UNION ALL
         SELECT s, r FROM unnest($1::uuid[], $3::uuid[]) AS t(s, r)`,
        [sessions, clients, readers],
      );
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await pool.query('ANALYZE');
  return pairs;
}
