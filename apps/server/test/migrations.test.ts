import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fullyQualifiedEmoji } from '@chat/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase, queryRows, sql } from '../src/db/database.js';
import { migrate, splitStatements } from '../src/db/migrate.js';
import { testDatabaseUrl } from './support/test-app.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('../src/db/migrations', import.meta.url));
const migrationFiles = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d{4}_.+\.sql$/.test(f))
  .sort();
const statementsOf = (file: string) =>
  splitStatements(readFileSync(`${MIGRATIONS_DIR}/${file}`, 'utf8'));

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/**
 * A database of its own: an in-memory PGlite, or on PostgreSQL a fresh schema first on the
 * search path (the shared test database is migrated already).
 */
async function scratchDatabase(): Promise<Database> {
  const url = testDatabaseUrl();
  if (!url) {
    const database = await openDatabase({ kind: 'pglite', dataDir: undefined });
    cleanups.push(() => database.close());
    return database;
  }
  const schema = `migration_test_${randomUUID().replaceAll('-', '')}`;
  const admin = await openDatabase({ kind: 'postgres', url, poolSize: 1 });
  await admin.exec(`CREATE SCHEMA ${schema}`);
  const scoped = new URL(url);
  scoped.searchParams.set('options', `-c search_path=${schema}`);
  const database = await openDatabase({ kind: 'postgres', url: scoped.toString(), poolSize: 2 });
  cleanups.push(async () => {
    await database.close();
    await admin.exec(`DROP SCHEMA ${schema} CASCADE`);
    await admin.close();
  });
  return database;
}

/** Applies the migrations before `file` as the migrator would have, and records them applied. */
async function migrateUntil(database: Database, file: string): Promise<void> {
  await database.transaction(async (tx) => {
    await tx.execute(sql`CREATE TABLE chat_schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    for (const earlier of migrationFiles.filter((f) => f < file)) {
      for (const statement of statementsOf(earlier)) await tx.execute(sql.raw(statement));
      await tx.execute(sql`INSERT INTO chat_schema_migrations (version) VALUES (${earlier})`);
    }
  });
}

const hex = (value: string) =>
  [...value].map((c) => (c.codePointAt(0) ?? 0).toString(16).toUpperCase()).join(' ');

describe('0003: reactions stored before the fully-qualified form', () => {
  it('become one reaction per emoji and user, in the form the service stores now', async () => {
    const database = await scratchDatabase();
    await migrateUntil(database, '0003_reaction_forms.sql');
    const users = Array.from({ length: 5 }, () => randomUUID());
    const messageId = randomUUID();
    const { db } = database;
    for (const id of users) await db.execute(sql`INSERT INTO profiles (id) VALUES (${id})`);
    const [session] = await queryRows<{ id: string }>(
      db,
      sql`INSERT INTO chat_sessions (session_type) VALUES ('general') RETURNING id`,
    );
    await db.execute(sql`INSERT INTO chat_messages (id, session_id, seq, type)
      VALUES (${messageId}, ${session?.id}, 1, 'text')`);
    const [a, b, c, d, e] = users;
    const at = (second: number) => new Date(Date.UTC(2025, 0, 1, 12, 0, second)).toISOString();
    const rows: Array<[string | undefined, string, string]> = [
      [a, '\u2764', at(1)], // a heart typed without VS16
      [b, '\u2764\uFE0F', at(5)], // both forms by one user: one stays, with the earlier time
      [b, '\u2764', at(2)],
      [c, '👍\uFE0F', at(3)], // a needless selector beside the plain form
      [c, '👍', at(4)],
      [d, '\u2764', at(6)], // two unqualified forms and no qualified one: the earliest stays
      [d, '\u2764\uFE0F\uFE0F', at(7)],
      [e, '1\u20E3', at(8)], // keycap, skin tone on a text-default hand, ZWJ sequence
      [e, '\u261D\uFE0F\u{1F3FD}', at(9)],
      [e, '\u{1F3F3}\u200D\u26A7', at(10)],
      [e, '🔥', at(11)], // already in its form: untouched
    ];
    for (const [userId, reaction, createdAt] of rows) {
      await db.execute(sql`INSERT INTO message_reactions (message_id, user_id, reaction, created_at)
        VALUES (${messageId}, ${userId}, ${reaction}, ${createdAt})`);
    }

    const applied = await migrate(database);
    expect(applied[0]).toBe('0003_reaction_forms.sql');

    const after = await queryRows<{ user_id: string; reaction: string; created_at: string }>(
      db,
      sql`SELECT user_id, reaction, to_char(created_at AT TIME ZONE 'UTC', 'SS') AS created_at
          FROM message_reactions ORDER BY created_at, user_id`,
    );
    expect(after.map((r) => [r.user_id, hex(r.reaction), r.created_at])).toEqual([
      [a, hex('\u2764\uFE0F'), '01'],
      [b, hex('\u2764\uFE0F'), '02'],
      [c, hex('👍'), '03'],
      [d, hex('\u2764\uFE0F'), '06'],
      [e, hex('1\uFE0F\u20E3'), '08'],
      [e, hex('\u261D\u{1F3FD}'), '09'],
      [e, hex('\u{1F3F3}\uFE0F\u200D\u26A7\uFE0F'), '10'],
      [e, hex('🔥'), '11'],
    ]);
    // The helper function was dropped with the migration.
    const left = await queryRows<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM pg_proc WHERE proname = 'fully_qualified_emoji'`,
    );
    expect(left[0]?.n).toBe(0);
  });

  it('its SQL gives the form the contracts give, for every emoji the runtime knows', async () => {
    const database = await scratchDatabase();
    const [createFunction] = statementsOf('0003_reaction_forms.sql');
    expect(createFunction).toMatch(/^CREATE FUNCTION pg_temp\.fully_qualified_emoji/);
    const inputs: string[] = [];
    const emoji = /^\p{Emoji}$/u;
    const modifierBase = /^\p{Emoji_Modifier_Base}$/u;
    for (let point = 0; point <= 0x10ffff; point++) {
      if (point >= 0xd800 && point <= 0xdfff) continue;
      const char = String.fromCodePoint(point);
      if (!emoji.test(char)) continue;
      inputs.push(char, `${char}\uFE0F`);
      if (modifierBase.test(char)) inputs.push(`${char}\u{1F3FD}`, `${char}\uFE0F\u{1F3FD}`);
      if (point < 0x80) inputs.push(`${char}\u20E3`);
    }
    inputs.push('\u{1F3C3}\u200D\u2640', '\u{1F441}\u200D\u{1F5E8}', '\u2764\u200D\u{1F525}');
    const outputs = await database.transaction(async (tx) => {
      await tx.execute(sql.raw(createFunction ?? ''));
      const rows = await queryRows<{ form: string }>(
        tx,
        sql`SELECT pg_temp.fully_qualified_emoji(x) AS form
            FROM unnest(${sql.param(inputs)}::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n`,
      );
      await tx.execute(sql`DROP FUNCTION pg_temp.fully_qualified_emoji(text)`);
      return rows.map((r) => r.form);
    });
    expect(inputs.length).toBeGreaterThan(1000);
    const differ = inputs
      .map((input, i) => ({
        input: hex(input),
        sql: hex(outputs[i] ?? ''),
        js: hex(fullyQualifiedEmoji(input)),
      }))
      .filter((r) => r.sql !== r.js);
    expect(differ).toEqual([]);
  });
});
