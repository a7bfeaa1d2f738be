import { performance } from 'node:perf_hooks';
import { type MemberSpec, now, progress, SocketGroup } from './sockets.js';

const groups = new Map<string, SocketGroup>();
const marks = new Map<string, { at: number; joins: number[] }>();

/** Milliseconds since the epoch, comparable with the orchestrator's Date.now(). */
const epoch = () => performance.timeOrigin + performance.now();

export async function connOpen(args: {
  key: string;
  url: string;
  specs: MemberSpec[];
  reconnection: boolean;
  concurrency: number;
  label: string;
}) {
  let group = groups.get(args.key);
  if (!group) {
    group = new SocketGroup({
      url: args.url,
      reconnection: args.reconnection,
      concurrency: args.concurrency,
      label: args.label,
    });
    groups.set(args.key, group);
  }
  const opened = await group.openAll(args.specs);
  return { sockets: group.members.length, ms: opened.ms, joinErrors: group.joinErrors };
}

/** Notes each socket's join count now: a later join is a rejoin after the restart. */
export async function connMark(args: { key: string }) {
  const group = groups.get(args.key);
  if (!group) throw new Error(`no socket group ${args.key}`);
  marks.set(args.key, { at: epoch(), joins: group.members.map((m) => m.joins) });
  return { at: epoch() };
}

export interface Expected {
  sessionId: string;
  senderId: string;
  id: string;
}

/**
 * Waits (bounded) until every socket has rejoined since the mark and holds every expected
 * message of its session sent by someone else; reports when that happened, on the epoch clock.
 */
export async function connAwait(args: {
  key: string;
  expected: Expected[];
  timeoutMs: number;
  label: string;
}) {
  const group = groups.get(args.key);
  const mark = marks.get(args.key);
  if (!group || !mark) throw new Error(`no socket group or mark for ${args.key}`);
  const bySession = new Map<string, Expected[]>();
  for (const e of args.expected)
    bySession.set(e.sessionId, [...(bySession.get(e.sessionId) ?? []), e]);
  const members = group.members;
  const backAt = new Array<number>(members.length).fill(0);
  const caughtUpAt = new Array<number>(members.length).fill(0);
  const deadline = now() + args.timeoutMs;
  let lastReport = 0;
  let back = 0;
  let caughtUp = 0;
  for (;;) {
    back = 0;
    caughtUp = 0;
    const t = epoch();
    for (const m of members) {
      const isBack = m.joins > (mark.joins[m.index] ?? 0) && m.socket.connected;
      if (isBack) {
        back++;
        if (backAt[m.index] === 0) backAt[m.index] = performance.timeOrigin + m.joinedAt;
      }
      const wanted = (bySession.get(m.sessionId) ?? []).filter((e) => e.senderId !== m.userId);
      const hasAll = wanted.every((e) => m.received.has(e.id));
      if (isBack && hasAll) {
        caughtUp++;
        if (caughtUpAt[m.index] === 0) caughtUpAt[m.index] = t;
      }
    }
    if (caughtUp === members.length || now() > deadline) break;
    if (now() - lastReport > 2_000) {
      lastReport = now();
      progress(`${args.label}: ${back}/${members.length} back, ${caughtUp} caught up`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  let missing = 0;
  for (const m of members) {
    for (const e of bySession.get(m.sessionId) ?? []) {
      if (e.senderId !== m.userId && !m.received.has(e.id)) missing++;
    }
  }
  const reconnects = members.map((m) => m.connects);
  return {
    markAt: mark.at,
    sockets: members.length,
    back,
    caughtUp,
    missing,
    duplicatesDropped: group.duplicates,
    joinErrors: group.joinErrors,
    joinErrorCodes: Object.fromEntries(group.joinErrorCodes),
    authErrorCodes: Object.fromEntries(group.authErrorCodes),
    resyncRequired: members.filter((m) => m.resyncRequired).length,
    lastBackAt: Math.max(...backAt),
    lastCaughtUpAt: Math.max(...caughtUpAt),
    firstBackAt: Math.min(...backAt.filter((v) => v > 0)),
    maxConnects: Math.max(...reconnects),
  };
}

export async function connClose(args: { key: string }) {
  groups.get(args.key)?.closeAll();
  groups.delete(args.key);
  marks.delete(args.key);
  return null;
}
