import { api, DEMO, devToken } from './e2e/support/api';
const base = 'http://127.0.0.1:5123';
const [ada, sarahT, samiaT] = await Promise.all([devToken(base, DEMO.ada), devToken(base, DEMO.sarah), devToken(base, DEMO.samia)]);
for (const conc of [8, 32]) {
  const s = await api<{ id: string }>(base, ada, 'POST', '/api/chat/sessions', { participant_ids: [DEMO.sarah, DEMO.samia], session_type: 'general' });
  let next = 1; const t = Date.now();
  await Promise.all(Array.from({ length: conc }, async () => { while (next <= 600) { const n = next++; await api(base, n % 2 ? sarahT : samiaT, 'POST', '/api/chat/messages', { session_id: s.id, content: `m${n}` }); } }));
  console.log(conc, (600 / ((Date.now() - t) / 1000)).toFixed(0), 'msg/s');
}
