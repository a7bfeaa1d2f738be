// Issue 13's size rules, read from the syntax tree (the repo's own TypeScript compiler):
//   - no function, method or arrow in apps/server/src or apps/web/src (tests aside) longer than
//     80 lines, counted from its first line to its last;
//   - no REST route handler, tRPC resolver or Socket.IO handler in apps/server/src over 15 lines
//     of code (its body's lines holding code: blank and comment-only lines do not count, and
//     the route's schema is not part of the handler).
// A handler is the function passed last to `X.get/post/put/patch/delete(path, ...)`, to
// `.query(`/`.mutation(`, to `socket.on(`/`io.on(` or to `connection.handle('event', ...)` (the
// socket's registration with its schema). Socket handlers are looked for where the transports
// live (src/transport, src/plugins): a TCP socket's `on('data')` elsewhere is no Socket.IO handler.
// Fails listing every offender; with --report it lists them and exits 0. A function's lines are
// those outside the functions nested in it: a factory's methods are measured one by one.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
// The root's devDependency; resolved from the repo root, not from wherever node was started.
const ts = createRequire(join(root, 'package.json'))('typescript');

const FUNCTION_MAX_LINES = 80;
const HANDLER_MAX_CODE_LINES = 15;
const FUNCTION_ROOTS = ['apps/server/src', 'apps/web/src'];
const HANDLER_ROOTS = ['apps/server/src'];
const SOCKET_DIRS = ['apps/server/src/transport/', 'apps/server/src/plugins/'];
const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
const TRPC_RESOLVERS = new Set(['query', 'mutation', 'subscription']);

const reportOnly = process.argv.includes('--report');

function sourceFiles(dir) {
  const found = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== '__tests__')
        found.push(...sourceFiles(path));
    } else if (/\.tsx?$/.test(entry.name) && !/\.(test|spec)\.tsx?$|\.d\.ts$/.test(entry.name)) {
      found.push(path);
    }
  }
  return found;
}

const isFunction = (node) =>
  ts.isFunctionDeclaration(node) ||
  ts.isFunctionExpression(node) ||
  ts.isArrowFunction(node) ||
  ts.isMethodDeclaration(node) ||
  ts.isConstructorDeclaration(node) ||
  ts.isGetAccessorDeclaration(node) ||
  ts.isSetAccessorDeclaration(node);

const lineOf = (file, pos) => file.getLineAndCharacterOfPosition(pos).line;

/** Lines holding at least one token of `node` (so neither blank nor comment-only lines). */
function codeLines(file, node, lines = new Set()) {
  if (node.kind >= ts.SyntaxKind.FirstJSDocNode && node.kind <= ts.SyntaxKind.LastJSDocNode) {
    return lines;
  }
  const children = node.getChildren(file);
  if (children.length === 0) {
    const first = lineOf(file, node.getStart(file));
    const last = lineOf(file, node.getEnd());
    for (let line = first; line <= last; line += 1) lines.add(line);
    return lines;
  }
  for (const child of children) codeLines(file, child, lines);
  return lines;
}

/** A handler's code lines: a block's statements (not its braces), or an arrow's expression. */
function handlerCodeLines(file, handler) {
  const { body } = handler;
  if (!ts.isBlock(body)) return codeLines(file, body).size;
  const lines = new Set();
  for (const statement of body.statements) codeLines(file, statement, lines);
  return lines.size;
}

/** What a reader would search for to find the function. */
function nameOf(file, node) {
  if (node.name) return node.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent)) {
    return parent.name.getText(file);
  }
  if (ts.isCallExpression(parent)) return `${parent.expression.getText(file)}(…) callback`;
  return '(anonymous)';
}

const lastIdentifier = (expression) =>
  ts.isPropertyAccessExpression(expression)
    ? expression.name.text
    : ts.isIdentifier(expression)
      ? expression.text
      : '';

/** The key a tRPC procedure is declared under (`send: authedProcedure...mutation(...)`). */
function procedureName(file, call) {
  for (let node = call.parent; node; node = node.parent) {
    if (ts.isPropertyAssignment(node)) return node.name.getText(file);
  }
  return '(unnamed)';
}

/** The kind of transport handler `fn` is, when it is the function a route, procedure or event runs. */
function handlerKind(file, fn) {
  const call = fn.parent;
  if (!ts.isCallExpression(call) || !ts.isPropertyAccessExpression(call.expression)) return null;
  if (call.arguments.at(-1) !== fn) return null;
  const method = call.expression.name.text;
  const receiver = lastIdentifier(call.expression.expression);
  const [first] = call.arguments;
  if (HTTP_METHODS.has(method) && call.arguments.length >= 2) {
    return `REST ${method.toUpperCase()} ${first.getText(file)}`;
  }
  if (TRPC_RESOLVERS.has(method) && call.arguments.length === 1) {
    return `tRPC ${method} ${procedureName(file, call)}`;
  }
  if (!SOCKET_DIRS.some((dir) => file.fileName.startsWith(dir))) return null;
  if ((method === 'on' || method === 'once') && /^(io|socket)$|Socket$/i.test(receiver)) {
    return `socket ${receiver}.${method}(${first.getText(file)})`;
  }
  if (method === 'handle' && first && ts.isStringLiteralLike(first)) {
    return `socket ${receiver}.handle(${first.getText(file)})`;
  }
  return null;
}

/** Lines of `fn` outside the functions nested in it. */
function ownLines(file, fn, first, last) {
  const nested = new Set();
  const visit = (node) => {
    if (node !== fn && isFunction(node)) {
      const from = lineOf(file, node.getStart(file));
      for (let line = from; line <= lineOf(file, node.getEnd()); line += 1) nested.add(line);
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(fn);
  let own = 0;
  for (let line = first; line <= last; line += 1) if (!nested.has(line)) own += 1;
  return own;
}

const offenders = [];
const checked = { files: 0, functions: 0, handlers: 0 };

for (const dir of FUNCTION_ROOTS) {
  const checkHandlers = HANDLER_ROOTS.includes(dir);
  for (const path of sourceFiles(dir)) {
    const text = readFileSync(join(root, path), 'utf8');
    const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true, kind);
    checked.files += 1;
    const visit = (node) => {
      if (isFunction(node) && node.body) {
        checked.functions += 1;
        const start = lineOf(file, node.getStart(file));
        const end = lineOf(file, node.getEnd());
        const length = end - start + 1;
        const where = `${relative(root, join(root, path))}:${start + 1}`;
        // A factory (`createMessagesService`) is measured by its own lines: each of the methods
        // it returns is a function of its own and measured as one.
        const own = length > FUNCTION_MAX_LINES ? ownLines(file, node, start, end) : length;
        if (own > FUNCTION_MAX_LINES) {
          offenders.push(
            `${where} ${nameOf(file, node)}: ${own} lines outside nested functions (max ${FUNCTION_MAX_LINES}; ${length} in all)`,
          );
        }
        const handler = checkHandlers ? handlerKind(file, node) : null;
        if (handler) {
          checked.handlers += 1;
          const code = handlerCodeLines(file, node);
          if (code > HANDLER_MAX_CODE_LINES) {
            offenders.push(
              `${where} ${handler}: ${code} lines of code (max ${HANDLER_MAX_CODE_LINES})`,
            );
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
}

const summary = `${checked.files} files, ${checked.functions} functions, ${checked.handlers} handlers`;
if (offenders.length === 0) {
  console.log(`check-sizes: ${summary}, none over the limits`);
  process.exit(0);
}
for (const offender of offenders) console.error(`check-sizes: ${offender}`);
console.error(`check-sizes: ${offenders.length} over the limits (${summary})`);
process.exit(reportOnly ? 0 : 1);
