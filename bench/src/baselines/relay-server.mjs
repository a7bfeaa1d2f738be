// The bare Socket.IO baseline: the same event names, payloads and room shape as the chat server,
// and nothing else (no auth, no persistence, no validation). Plain JavaScript, so nothing but
// Node and socket.io is in the process whose memory is measured.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';

const port = Number(process.env.PORT ?? 0);
/**
 * RELAY_SHAPE=contract: still no auth, no validation, no persistence, but the traffic the API
 * contract asks for: `new_message` in the service's full shape (the REST message fields plus
 * `sender` and `timestamp`), and `message_sent` to the sender besides the ack. What the
 * contract's frames cost, apart from what the service does.
 */
const contract = process.env.RELAY_SHAPE === 'contract';
const http = createServer((request, response) => {
  if (request.url === '/memory') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(process.memoryUsage()));
    return;
  }
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
    return;
  }
  response.writeHead(404);
  response.end();
});
// The chat server's settings that shape a connection's cost.
const io = new Server(http, {
  maxHttpBufferSize: 64 * 1024,
  pingInterval: 25_000,
  pingTimeout: 20_000,
});
const seqs = new Map();

io.on('connection', (socket) => {
  const userId =
    typeof socket.handshake.auth?.user_id === 'string' ? socket.handshake.auth.user_id : null;
  socket.emit('authenticated', { user: { id: userId } });

  socket.on('join_chat', (payload, ack) => {
    const room = `session:${payload?.session_id}`;
    socket.join(room);
    const data = {
      session_id: payload?.session_id,
      last_seq: seqs.get(room) ?? 0,
      messages: [],
      resync_required: false,
    };
    if (typeof ack === 'function') ack({ ok: true, data });
  });

  socket.on('send_message', (payload, ack) => {
    const room = `session:${payload?.session_id}`;
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    const created_at = new Date().toISOString();
    const message = contract
      ? contractMessage(payload, userId, seq, created_at)
      : {
          ...payload?.message,
          id: randomUUID(),
          session_id: payload?.session_id,
          sender_id: userId,
          seq,
          created_at,
        };
    io.to(room).emit('new_message', message);
    const sent = { message_id: message.id, session_id: message.session_id, seq, created_at };
    if (contract) socket.emit('message_sent', sent);
    if (typeof ack === 'function') ack({ ok: true, data: sent });
  });
});

/** `new_message` as the service sends a text message (see toChatMessage / toSocketMessage). */
function contractMessage(payload, userId, seq, created_at) {
  const first_name = 'Bench';
  const last_name = `User ${String(userId).slice(0, 8)}`;
  return {
    id: randomUUID(),
    session_id: payload?.session_id,
    sender_id: userId,
    seq,
    content: typeof payload?.message?.content === 'string' ? payload.message.content : null,
    type: payload?.message?.type ?? 'text',
    file_url: null,
    file_name: null,
    file_size: null,
    mime_type: null,
    metadata: payload?.message?.metadata ?? {},
    is_read: false,
    created_at,
    edited_at: null,
    deleted_at: null,
    profiles: { id: userId, first_name, last_name, avatar_url: null },
    message_reactions: [],
    sender: { id: userId, name: `${first_name} ${last_name}`, avatar: null },
    timestamp: created_at,
  };
}

http.listen(port, '127.0.0.1');
const stop = () => {
  void io.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
