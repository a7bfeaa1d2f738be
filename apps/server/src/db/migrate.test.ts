import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { splitStatements } from './migrate.js';

describe('splitStatements', () => {
  it('splits at semicolons that end a line, trimming each statement', () => {
    const text = 'CREATE TABLE a (id int);\n\n  CREATE INDEX a_idx ON a (id);  \nSELECT 1;';
    expect(splitStatements(text)).toEqual([
      'CREATE TABLE a (id int)',
      'CREATE INDEX a_idx ON a (id)',
      'SELECT 1',
    ]);
  });

  it('keeps a statement that spans several lines whole', () => {
    const text = 'CREATE TABLE b (\n  id int,\n  name text\n);\nSELECT 2;\n';
    expect(splitStatements(text)).toEqual([
      'CREATE TABLE b (\n  id int,\n  name text\n)',
      'SELECT 2',
    ]);
  });

  it('drops comment lines, including indented ones inside a statement', () => {
    const text =
      '-- header\n-- more\nCREATE TABLE c (\n  -- why this column\n  id int\n);\n-- trailing\n';
    expect(splitStatements(text)).toEqual(['CREATE TABLE c (\n  id int\n)']);
  });

  it('splits where a comment follows the semicolon on the same line', () => {
    expect(splitStatements('SELECT 1; -- first\nSELECT 2;-- second\nSELECT 3;')).toEqual([
      'SELECT 1',
      'SELECT 2',
      'SELECT 3',
    ]);
  });

  it('keeps a semicolon inside a line (a string literal), not at its end', () => {
    expect(splitStatements("INSERT INTO t VALUES ('a;b');\nSELECT 1;")).toEqual([
      "INSERT INTO t VALUES ('a;b')",
      'SELECT 1',
    ]);
  });

  it('handles Windows line endings and a last statement without a semicolon', () => {
    expect(splitStatements('SELECT 1;\r\nSELECT 2;\r\nSELECT 3')).toEqual([
      'SELECT 1',
      'SELECT 2',
      'SELECT 3',
    ]);
  });

  it('yields nothing for empty or comment-only text', () => {
    expect(splitStatements('')).toEqual([]);
    expect(splitStatements('\n  \n-- nothing here\n;\n')).toEqual([]);
  });

  it('keeps a dollar-quoted function body whole, its semicolons and comment lines included', () => {
    const body =
      "$$\nBEGIN\n  -- why\n  PERFORM pg_notify('c', OLD.id::text);\n  RETURN NULL;\nEND\n$$";
    const tagged = '$fn$ SELECT 1; $fn$';
    const text = `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS ${body};\n-- next\nCREATE FUNCTION g() RETURNS int LANGUAGE sql AS ${tagged};\nSELECT 3;`;
    expect(splitStatements(text)).toEqual([
      `CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS ${body}`,
      `CREATE FUNCTION g() RETURNS int LANGUAGE sql AS ${tagged}`,
      'SELECT 3',
    ]);
  });

  it('leaves positional parameters ($1) alone', () => {
    expect(splitStatements('SELECT $1, $2;\nSELECT 4;')).toEqual(['SELECT $1, $2', 'SELECT 4']);
  });

  it('cuts every shipped migration into single statements', () => {
    const dir = fileURLToPath(new URL('./migrations', import.meta.url));
    const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const statements = splitStatements(readFileSync(`${dir}/${file}`, 'utf8'));
      expect(statements.length).toBeGreaterThan(0);
      for (const statement of statements) {
        // A function's body ends its lines with semicolons of its own.
        const outside = statement.replace(/\$([A-Za-z_]\w*|)\$[\s\S]*?\$\1\$/g, '');
        expect(outside).not.toMatch(/;\s*$/m);
        expect(statement).toMatch(/^(CREATE|ALTER|INSERT|UPDATE|DELETE|DROP|DO|COMMENT|SELECT)\b/i);
      }
    }
  });
});
