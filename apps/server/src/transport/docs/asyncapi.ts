import { CLIENT_EVENTS, SERVER_EVENTS } from '@chat/contracts';
import { z } from 'zod';

/** A local reference (`#/components/...`), the only kind the document uses. */
export interface Ref {
  $ref: string;
}

export interface AsyncApiMessage {
  name: string;
  title: string;
  summary: string;
  payload: Record<string, unknown>;
}

export interface AsyncApiOperation {
  action: 'send' | 'receive';
  channel: Ref;
  title: string;
  summary: string;
  messages: Ref[];
  reply?: { channel: Ref; messages: Ref[] };
}

/** The parts of an AsyncAPI 3.0 document this service writes. */
export interface AsyncApiDocument {
  asyncapi: '3.0.0';
  info: { title: string; version: string; description: string };
  defaultContentType: string;
  channels: Record<string, { address: string; title: string; messages: Record<string, Ref> }>;
  operations: Record<string, AsyncApiOperation>;
  components: { messages: Record<string, AsyncApiMessage> };
}

const CHANNEL = 'chat';
const channelRef: Ref = { $ref: `#/channels/${CHANNEL}` };

const DESCRIPTION = `The booking chat's real-time events, over Socket.IO 4 (path \`/socket.io/\`, the default namespace \`/\`), on the same origin as the REST API.

- **Sign in** with the access token in the handshake: \`io(url, { auth: { token } })\` (or an \`Authorization: Bearer\` header). The server answers \`authenticated\`, or \`auth_error\` and disconnects. Events emitted before that wait for it.
- **Acks.** Every client event takes an optional ack callback, which receives \`{ ok: true, data }\` or \`{ ok: false, error: { code, message, details? } }\`; a failure is also sent as an \`error\` event. Error codes are those of the REST API.
- **Catch-up** after a reconnection: \`join_chat\` with \`since_seq\`, the highest \`seq\` seen.

In this document the application is the server: it **receives** what a client emits and **sends** what a client listens to.`;

/** A schema as the document writes it: JSON Schema draft-07 (AsyncAPI's default format). */
function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io });
  return rest;
}

const messageRef = (name: string): Ref => ({ $ref: `#/channels/${CHANNEL}/messages/${name}` });

function operationOf(
  name: string,
  action: AsyncApiOperation['action'],
  summary: string,
  reply?: string,
): AsyncApiOperation {
  return {
    action,
    channel: channelRef,
    title: name,
    summary,
    messages: [messageRef(name)],
    ...(reply ? { reply: { channel: channelRef, messages: [messageRef(reply)] } } : {}),
  };
}

/**
 * The AsyncAPI 3.0 document of the Socket.IO events, from the contracts' event maps
 * (`CLIENT_EVENTS`, `SERVER_EVENTS`): one message per event and per ack, one operation per event
 * (a client event's ack is its reply).
 */
export function buildAsyncApiDocument(version: string): AsyncApiDocument {
  const messages: Record<string, AsyncApiMessage> = {};
  const operations: Record<string, AsyncApiOperation> = {};
  for (const [event, { summary, payload, ack }] of Object.entries(CLIENT_EVENTS)) {
    const reply = `${event}_ack`;
    messages[event] = { name: event, title: event, summary, payload: jsonSchema(payload, 'input') };
    messages[reply] = {
      name: reply,
      title: `${event} ack`,
      summary: `What the ack callback of \`${event}\` receives.`,
      payload: jsonSchema(ack, 'output'),
    };
    operations[event] = operationOf(event, 'receive', summary, reply);
  }
  for (const [event, { summary, payload }] of Object.entries(SERVER_EVENTS)) {
    messages[event] = {
      name: event,
      title: event,
      summary,
      payload: jsonSchema(payload, 'output'),
    };
    operations[event] = operationOf(event, 'send', summary);
  }
  return {
    asyncapi: '3.0.0',
    info: { title: 'Booking chat real-time API', version, description: DESCRIPTION },
    defaultContentType: 'application/json',
    channels: {
      [CHANNEL]: {
        address: '/',
        title: 'Socket.IO default namespace',
        messages: Object.fromEntries(
          Object.keys(messages).map((name) => [name, { $ref: `#/components/messages/${name}` }]),
        ),
      },
    },
    operations,
    components: { messages },
  };
}
