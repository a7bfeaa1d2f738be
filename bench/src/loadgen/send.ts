import { writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Summary, summarize } from '../lib/util.js';
import { type Member, type MemberSpec, now, progress, SocketGroup } from './sockets.js';

interface Rec {
  sender: Member;
  recipient: Member;
  sentAt: number;
  ackAt: number;
  deliveredAt: number;
  id: string | null;
  error: string | null;
}

interface SendState {
  group: SocketGroup;
  /** Keyed by the message text, which is unique per message (the id is the server's). */
  records: Map<string, Rec>;
  counter: number;
  partner: Map<Member, Member>;
}

const states = new Map<string, SendState>();

export async function sendOpen(args: {
  key: string;
  url: string;
  specs: MemberSpec[];
  label: string;
}) {
  const group = new SocketGroup({
    url: args.url,
    reconnection: false,
    concurrency: 50,
    label: args.label,
  });
  const opened = await group.openAll(args.specs);
  const bySession = new Map<string, Member[]>();
  for (const m of group.members)
    bySession.set(m.sessionId, [...(bySession.get(m.sessionId) ?? []), m]);
  const partner = new Map<Member, Member>();
  for (const [sessionId, pair] of bySession) {
    const [a, b] = pair;
    if (!a || !b || pair.length !== 2)
      throw new Error(`session ${sessionId} has ${pair.length} sockets, expected 2`);
    partner.set(a, b);
    partner.set(b, a);
  }
  const state: SendState = { group, records: new Map(), counter: 0, partner };
  for (const m of group.members) {
    m.onMessage = (member, message, at) => {
      if (message.sender_id === member.userId || message.content === null) return;
      const rec = state.records.get(message.content);
      if (rec && rec.recipient === member && rec.deliveredAt === 0) rec.deliveredAt = at;
    };
  }
  states.set(args.key, state);
  return { sockets: group.members.length, ms: opened.ms, joinErrors: group.joinErrors };
}

export interface TrialResult {
  mode: string;
  targetRate: number | null;
  durationS: number;
  sent: number;
  ackedPerS: number;
  deliveredPerS: number;
  ackMs: Summary;
  deliveryMs: Summary;
  errors: number;
  errorCodes: Record<string, number>;
  undelivered: number;
  loadgenCpuPct: number;
  loadgenLoopDelayP99Ms: number;
}

/**
 * One trial. closed: every socket sends, one message in flight each (the next on the ack).
 * open: `rate` messages/s in total, spread over the sockets, sent on schedule whatever is in flight.
 * Figures count the window after `warmupMs`; the trial then drains (bounded) so nothing is cut off.
 */
export async function sendTrial(args: {
  key: string;
  mode: 'closed' | 'open';
  rate?: number;
  durationMs: number;
  warmupMs: number;
  label: string;
}): Promise<TrialResult> {
  const state = states.get(args.key);
  if (!state) throw new Error(`no socket group ${args.key}`);
  const { group, records, partner } = state;
  const members = group.members;
  const trial: Rec[] = [];
  let inflight = 0;
  const t0 = now();
  const tEnd = t0 + args.durationMs;
  const windowStart = t0 + args.warmupMs;
  const cpu0 = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();

  const sendOne = (sender: Member, onAck?: () => void) => {
    const recipient = partner.get(sender);
    if (!recipient) return;
    const content = `bench ${sender.index}.${++state.counter}`;
    const rec: Rec = {
      sender,
      recipient,
      sentAt: now(),
      ackAt: 0,
      deliveredAt: 0,
      id: null,
      error: null,
    };
    records.set(content, rec);
    trial.push(rec);
    inflight++;
    sender.socket
      .timeout(30_000)
      .emit(
        'send_message',
        { session_id: sender.sessionId, message: { content } },
        (
          err: Error | null,
          ack: { ok: boolean; data?: { message_id: string }; error?: { code: string } },
        ) => {
          inflight--;
          rec.ackAt = now();
          if (err) rec.error = 'ACK_TIMEOUT';
          else if (!ack.ok) rec.error = ack.error?.code ?? 'UNKNOWN';
          else rec.id = ack.data?.message_id ?? null;
          onAck?.();
        },
      );
  };

  let ticker: NodeJS.Timeout | undefined;
  if (args.mode === 'closed') {
    for (const m of members) {
      const again = () => {
        if (now() < tEnd) sendOne(m, again);
      };
      sendOne(m, again);
    }
  } else {
    const rate = args.rate ?? 1;
    let sent = 0;
    ticker = setInterval(() => {
      const t = now();
      if (t >= tEnd) {
        clearInterval(ticker);
        return;
      }
      const due = Math.floor(((t - t0) * rate) / 1000);
      while (sent < due) {
        const sender = members[sent % members.length];
        sent++;
        if (sender) sendOne(sender);
      }
    }, 1);
  }

  // Progress while it runs, then drain: every ack, every delivery (bounded).
  let lastAcks = 0;
  let lastAt = t0;
  while (now() < tEnd) {
    await new Promise((r) => setTimeout(r, Math.min(2_000, Math.max(1, tEnd - now()))));
    const acks = trial.filter((r) => r.ackAt > 0).length;
    const t = now();
    if (t < tEnd - 100 || acks !== lastAcks) {
      progress(
        `${args.label}: ${Math.round(((acks - lastAcks) * 1000) / (t - lastAt))} acks/s, ${inflight} in flight`,
      );
    }
    lastAcks = acks;
    lastAt = t;
  }
  clearInterval(ticker);
  const cpu = process.cpuUsage(cpu0);
  const elapsedMs = now() - t0;
  const drainUntil = now() + 30_000;
  while (now() < drainUntil) {
    const pendingDelivery = trial.some((r) => r.id !== null && r.deliveredAt === 0);
    if (inflight === 0 && !pendingDelivery) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  loop.disable();

  const windowS = (tEnd - windowStart) / 1000;
  const inWindow = (t: number) => t >= windowStart && t <= tEnd;
  const ackMs: number[] = [];
  const deliveryMs: number[] = [];
  let acked = 0;
  let delivered = 0;
  let errors = 0;
  const errorCodes: Record<string, number> = {};
  for (const r of trial) {
    if (r.error) {
      errors++;
      errorCodes[r.error] = (errorCodes[r.error] ?? 0) + 1;
    }
    if (r.id !== null && inWindow(r.ackAt)) acked++;
    if (r.deliveredAt > 0 && inWindow(r.deliveredAt)) delivered++;
    if (inWindow(r.sentAt)) {
      if (r.id !== null) ackMs.push(r.ackAt - r.sentAt);
      if (r.deliveredAt > 0) deliveryMs.push(r.deliveredAt - r.sentAt);
    }
  }
  return {
    mode: args.mode,
    targetRate: args.mode === 'open' ? (args.rate ?? null) : null,
    durationS: args.durationMs / 1000,
    sent: trial.length,
    ackedPerS: acked / windowS,
    deliveredPerS: delivered / windowS,
    ackMs: summarize(ackMs),
    deliveryMs: summarize(deliveryMs),
    errors,
    errorCodes,
    undelivered: trial.filter((r) => r.id !== null && r.deliveredAt === 0).length,
    loadgenCpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    loadgenLoopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}

/**
 * Every acknowledged message: delivered exactly once to the other participant? Writes the
 * acknowledged ids (one a line) for the orchestrator's database check.
 */
export async function sendVerify(args: { key: string; idsFile: string }) {
  const state = states.get(args.key);
  if (!state) throw new Error(`no socket group ${args.key}`);
  // Late deliveries get a bounded moment to land.
  const deadline = now() + 10_000;
  const acked = () => [...state.records.values()].filter((r) => r.id !== null);
  while (
    now() < deadline &&
    acked().some((r) => (r.recipient.received.get(r.id ?? '') ?? 0) === 0)
  ) {
    await new Promise((r) => setTimeout(r, 100));
  }
  let once = 0;
  let missing = 0;
  let duplicated = 0;
  const ids: string[] = [];
  for (const r of acked()) {
    const id = r.id ?? '';
    ids.push(id);
    const count = r.recipient.received.get(id) ?? 0;
    if (count === 0) missing++;
    else if (count === 1) once++;
    else duplicated++;
  }
  const errors = [...state.records.values()].filter((r) => r.error !== null).length;
  writeFileSync(args.idsFile, `${ids.join('\n')}\n`);
  return {
    sent: state.records.size,
    acked: ids.length,
    deliveredOnce: once,
    missing,
    duplicated,
    errors,
  };
}

export async function sendClose(args: { key: string }) {
  const state = states.get(args.key);
  state?.group.closeAll();
  states.delete(args.key);
  return null;
}
