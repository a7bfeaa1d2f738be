import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Database, queryRows, sql } from './database.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));
// Any constant works; it only has to be the same on every node so that one migrates at a time.
const MIGRATION_LOCK_KEY = 724_311_905;

/**
 * Applies every `migrations/NNNN_name.sql` not applied yet, in order, each in its own
 * transaction, under an advisory lock so several nodes starting together migrate once.
 */
export async function migrate(database: Database): Promise<string[]> {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f))
    .sort();
  const applied: string[] = [];
  await database.transaction(async (tx) => {
    await tx.execute(sql`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`CREATE TABLE IF NOT EXISTS chat_schema_migrations (
      version text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (
        await queryRows<{ version: string }>(tx, sql`SELECT version FROM chat_schema_migrations`)
      ).map((r) => r.version),
    );
    for (const file of files) {
      if (done.has(file)) continue;
      const text = readFileSync(`${MIGRATIONS_DIR}/${file}`, 'utf8');
      for (const statement of splitStatements(text)) await tx.execute(sql.raw(statement));
      await tx.execute(sql`INSERT INTO chat_schema_migrations (version) VALUES (${file})`);
      applied.push(file);
    }
  });
  return applied;
}

/**
 * One statement per `execute`: the extended query protocol (and PGlite's `query`) takes a single
 * statement. Statements end with a semicolon at the end of a line (a `-- comment` may follow it);
 * a dollar-quoted body (`$$ ... $$`, a function's) is kept whole, whatever its lines end with.
 */
export function splitStatements(text: string): string[] {
  // Bodies are set aside while splitting, so their own semicolons and `--` lines stay theirs.
  const bodies: string[] = [];
  const masked = text.replace(/\$([A-Za-z_][A-Za-z_0-9]*|)\$[\s\S]*?\$\1\$/g, (body) => {
    bodies.push(body);
    return `\uE000${bodies.length - 1}\uE000`;
  });
  return masked
    .split(/;[ \t]*(?:--[^\n]*)?(?:\r?\n|$)/)
    .map((chunk) =>
      chunk
        .split('\n')
        .filter((line) => !line.trim().startsWith('--'))
        .join('\n')
        .trim()
        .replace(/\uE000(\d+)\uE000/g, (_, index: string) => bodies[Number(index)] ?? ''),
    )
    .filter((statement) => statement.length > 0);
}
