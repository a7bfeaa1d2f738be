import { it } from 'vitest';
import { connectClient } from './support/sockets.js';
import { startTestApp } from './support/test-app.js';
it('x', async () => {
  const t = await startTestApp({});
  const url = await t.listen();
  const chat = await t.factory.bookingChat();
  const s = await connectClient(url, chat.client.token);
  const payloads: unknown[] = [
    { "valueOf": false, "t": 1e308, "": null, "message_id": 1e308, "reaction": "0000001a-ae8d-3b4c-8000-0004a696da1b", "session_id": chat.sessionId },
    { "message_id": [9007199254740992], "reaction": "❤️", "session_id": { "g4K*>8": 843852875 } },
  ];
  for (const p of payloads) console.log(JSON.stringify(await s.timeout(3000).emitWithAck('message_reaction' as any, p as any)));
  console.log(JSON.stringify(await s.timeout(3000).emitWithAck('send_message' as any, { "ps{3cJ`": null, "OEmO=5Q>": 1e308, "session_id": 9007199254740992, "message": null } as any)));
  s.disconnect();
  await t.close();
});
