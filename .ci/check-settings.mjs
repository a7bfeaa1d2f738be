// Every setting the server reads (the keys of ZEnv in apps/server/src/config.ts) must pass
// through turbo (turbo.json globalPassThroughEnv) and be documented in README.md.
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const read = (path) => readFileSync(new URL(path, root), 'utf8');

const config = read('apps/server/src/config.ts');
const zenv = /const ZEnv = z\.object\(\{([\s\S]*?)\n\}\);/.exec(config);
if (!zenv) {
  console.error('check-settings: could not find `const ZEnv = z.object({...})` in config.ts');
  process.exit(1);
}
const settings = [...zenv[1].matchAll(/^\s+([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]);
const passThrough = new Set(JSON.parse(read('turbo.json')).globalPassThroughEnv);
const readme = read('README.md');

const problems = [];
for (const name of settings) {
  if (!passThrough.has(name)) problems.push(`${name} is not in turbo.json globalPassThroughEnv`);
  if (!readme.includes(`\`${name}\``)) problems.push(`${name} is not documented in README.md`);
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`check-settings: ${problem}`);
  process.exit(1);
}
console.log(`check-settings: ${settings.length} settings pass through turbo and are documented`);
