import type { AsyncApiDocument, AsyncApiMessage, AsyncApiOperation, Ref } from './asyncapi.js';

/** Links the page shows at its top (the REST docs, the document itself) and its stylesheet. */
export interface PageLinks {
  restDocs: string;
  document: string;
  stylesheet: string;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** The little Markdown the document's texts use: `code`, **strong**, one level of `- ` lists. */
function inline(text: string): string {
  return escapeHtml(text)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

function markdown(text: string): string {
  return text
    .split(/\n\n+/)
    .map((block) => {
      const lines = block.split('\n');
      if (lines.every((line) => line.startsWith('- '))) {
        return `<ul>${lines.map((line) => `<li>${inline(line.slice(2))}</li>`).join('')}</ul>`;
      }
      return `<p>${inline(block)}</p>`;
    })
    .join('\n');
}

/** Follows a local `$ref` (and the references it lands on) through the document. */
function resolve(document: AsyncApiDocument, ref: Ref): AsyncApiMessage {
  let node: unknown = document;
  for (const key of ref.$ref.replace(/^#\//, '').split('/')) {
    node = (node as Record<string, unknown>)[key];
  }
  const target = node as AsyncApiMessage | Ref;
  return '$ref' in target ? resolve(document, target) : target;
}

function schemaBlock(title: string, message: AsyncApiMessage): string {
  const json = JSON.stringify(message.payload, null, 2);
  return `<h4>${escapeHtml(title)}</h4>\n<pre><code>${escapeHtml(json)}</code></pre>`;
}

function operationSection(document: AsyncApiDocument, operation: AsyncApiOperation): string {
  const [messageRef] = operation.messages;
  const message = messageRef ? resolve(document, messageRef) : undefined;
  const replyRef = operation.reply?.messages[0];
  const reply = replyRef ? resolve(document, replyRef) : undefined;
  return [
    `<article id="${escapeHtml(operation.title)}">`,
    `<h3><code>${escapeHtml(operation.title)}</code></h3>`,
    markdown(operation.summary),
    message ? schemaBlock('Payload', message) : '',
    reply ? schemaBlock('Ack', reply) : '',
    '</article>',
  ].join('\n');
}

function eventList(operations: AsyncApiOperation[]): string {
  const items = operations.map(
    (o) => `<li><a href="#${escapeHtml(o.title)}"><code>${escapeHtml(o.title)}</code></a></li>`,
  );
  return `<ul class="events">${items.join('')}</ul>`;
}

/**
 * The AsyncAPI document as one static page, written on the server: no script at all, so it works
 * under the strict Content-Security-Policy every answer carries (no CDN, no inline code).
 */
export function renderAsyncApiPage(document: AsyncApiDocument, links: PageLinks): string {
  const all = Object.values(document.operations);
  const sections = [
    { id: 'client-events', title: 'Events a client emits', action: 'receive' },
    { id: 'server-events', title: 'Events the server emits', action: 'send' },
  ].map((section) => ({ ...section, operations: all.filter((o) => o.action === section.action) }));
  const title = `${document.info.title} ${document.info.version}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="stylesheet" href="${escapeHtml(links.stylesheet)}">
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p>AsyncAPI ${escapeHtml(document.asyncapi)} · <a href="${escapeHtml(links.document)}">the document (JSON)</a> · <a href="${escapeHtml(links.restDocs)}">the REST API (OpenAPI)</a></p>
</header>
<main>
${markdown(document.info.description)}
<nav>${sections.map((s) => `<h2><a href="#${s.id}">${s.title}</a></h2>${eventList(s.operations)}`).join('\n')}</nav>
${sections
  .map(
    (s) =>
      `<section id="${s.id}">\n<h2>${s.title}</h2>\n${s.operations.map((o) => operationSection(document, o)).join('\n')}\n</section>`,
  )
  .join('\n')}
</main>
</body>
</html>
`;
}

/** The page's stylesheet, served from this origin (`style-src 'self'`). */
export const ASYNCAPI_PAGE_CSS = `body { font-family: system-ui, sans-serif; margin: 0; color: #1f2328; line-height: 1.5; }
header { background: #1b1b1b; color: #fff; padding: 1rem 2rem; }
header a { color: #8ec5ff; }
h1 { margin: 0 0 0.25rem; font-size: 1.5rem; }
main { max-width: 60rem; margin: 0 auto; padding: 1rem 2rem 4rem; }
nav h2 { font-size: 1.1rem; margin-bottom: 0.25rem; }
ul.events { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; padding: 0; }
section > h2 { border-bottom: 1px solid #d0d7de; padding-bottom: 0.25rem; margin-top: 2.5rem; }
article { border: 1px solid #d0d7de; border-radius: 6px; padding: 0 1rem 0.5rem; margin: 1rem 0; }
h3 { font-size: 1.1rem; }
h4 { margin: 0.75rem 0 0.25rem; font-size: 0.9rem; text-transform: uppercase; color: #57606a; }
code { background: #f6f8fa; padding: 0.1rem 0.3rem; border-radius: 4px; font-size: 0.9em; }
header code { background: none; }
pre { background: #f6f8fa; padding: 0.75rem; border-radius: 6px; overflow-x: auto; font-size: 0.85rem; }
pre code { background: none; padding: 0; }
`;
