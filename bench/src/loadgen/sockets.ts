import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';

export const now = () => performance.now();

export function progress(text: string): void {
  process.send?.({ type: 'progress', text });
}

export interface MemberSpec {
  userId: string;
  token: string | null;
  sessionId: string;
}

/** One client socket of the load, with what it has seen. */
export interface Member extends MemberSpec {
  index: number;
  socket: Socket;
  /** Highest seq seen in its session (chat_joined, new_message, catch-up). */
  lastSeq: number;
  /** Ids of messages from others seen in its session, with how often each arrived. */
  received: Map<string, number>;
  connects: number;
  /** When the latest (re)join was answered, ms on this process's clock. */
  joinedAt: number;
  joins: number;
  resyncRequired: boolean;
  onMessage: ((member: Member, message: WireMessage, at: number) => void) | null;
}

export interface WireMessage {
  id: string;
  session_id: string;
  sender_id: string | null;
  seq: number;
  content: string | null;
}

const RETRYABLE = new Set(['SERVICE_UNAVAILABLE', 'RATE_LIMIT_EXCEEDED', 'TIMEOUT']);
const MAX_JOIN_RETRIES = 30;

type Ack<T> = { ok: true; data: T } | { ok: false; error: { code: string; message: string } };
interface Joined {
  session_id: string;
  last_seq: number;
  messages: WireMessage[];
  resync_required: boolean;
}

export interface GroupOptions {
  url: string;
  reconnection: boolean;
  /** Sockets connecting at the same time while the group is opened. */
  concurrency: number;
  label: string;
}

/** A set of sockets, each authenticated and joined to its session; rejoins with since_seq after a reconnect. */
export class SocketGroup {
  readonly members: Member[] = [];
  joinErrors = 0;
  joinErrorCodes = new Map<string, number>();
  authErrorCodes = new Map<string, number>();
  duplicates = 0;

  constructor(readonly options: GroupOptions) {}

  private record(member: Member, message: WireMessage, at: number) {
    if (message.seq > member.lastSeq) member.lastSeq = message.seq;
    if (message.sender_id === member.userId) {
      member.onMessage?.(member, message, at);
      return;
    }
    const seen = member.received.get(message.id) ?? 0;
    if (seen > 0) this.duplicates++;
    member.received.set(message.id, seen + 1);
    member.onMessage?.(member, message, at);
  }

  /**
   * join_chat, as a robust client does it: an answer that says "try again" (the server shedding
   * load: SERVICE_UNAVAILABLE, RATE_LIMIT_EXCEEDED, or no answer in time) is retried after 1 to 3 s
   * with the newest since_seq, at most MAX_JOIN_RETRIES times; each refusal is counted.
   */
  private join(member: Member, sinceSeq: number | undefined, attempt = 0): Promise<void> {
    return new Promise((resolve) => {
      member.socket
        .timeout(30_000)
        .emit(
          'join_chat',
          sinceSeq === undefined
            ? { session_id: member.sessionId }
            : { session_id: member.sessionId, since_seq: sinceSeq },
          (err: Error | null, ack: Ack<Joined>) => {
            const at = now();
            if (err || !ack?.ok) {
              this.joinErrors++;
              const code = err ? 'TIMEOUT' : ack.ok ? 'UNKNOWN' : ack.error.code;
              this.joinErrorCodes.set(code, (this.joinErrorCodes.get(code) ?? 0) + 1);
              const retry =
                RETRYABLE.has(code) && attempt < MAX_JOIN_RETRIES && member.socket.connected;
              if (!retry) {
                resolve();
                return;
              }
              setTimeout(
                () => {
                  const since = sinceSeq === undefined ? undefined : member.lastSeq;
                  void this.join(member, since, attempt + 1).then(resolve);
                },
                1_000 + Math.random() * 2_000,
              );
              return;
            }
            // A message delivered twice (live and in the catch-up) is dropped by id, as clients do.
            for (const message of ack.data.messages) {
              if (!member.received.has(message.id) && message.sender_id !== member.userId) {
                member.received.set(message.id, 1);
              }
              if (message.seq > member.lastSeq) member.lastSeq = message.seq;
            }
            if (ack.data.last_seq > member.lastSeq) member.lastSeq = ack.data.last_seq;
            member.resyncRequired ||= ack.data.resync_required;
            member.joinedAt = at;
            member.joins++;
            resolve();
          },
        );
    });
  }

  /** Opens one socket: resolves once it is authenticated and joined. */
  private open(spec: MemberSpec, index: number): Promise<Member> {
    const socket = io(this.options.url, {
      auth: spec.token ? { token: spec.token } : { user_id: spec.userId },
      transports: ['websocket'],
      forceNew: true,
      reconnection: this.options.reconnection,
      reconnectionDelay: 1_000,
      reconnectionDelayMax: 5_000,
      timeout: 30_000,
    });
    const member: Member = {
      ...spec,
      index,
      socket,
      lastSeq: 0,
      received: new Map(),
      connects: 0,
      joinedAt: 0,
      joins: 0,
      resyncRequired: false,
      onMessage: null,
    };
    socket.on('new_message', (message: WireMessage) => this.record(member, message, now()));
    return new Promise<Member>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`socket ${index} not joined within 60 s`)),
        60_000,
      );
      let first = true;
      socket.on('connect', () => {
        member.connects++;
        // The first join carries no since_seq; a rejoin asks for everything after the last seq seen.
        const since = first ? undefined : member.lastSeq;
        const wasFirst = first;
        first = false;
        void this.join(member, since).then(() => {
          if (wasFirst) {
            clearTimeout(timer);
            resolve(member);
          }
        });
      });
      socket.on('auth_error', (e: { code: string }) => {
        this.authErrorCodes.set(e.code, (this.authErrorCodes.get(e.code) ?? 0) + 1);
        // The server turned the sign-in away for a passing reason (database saturated by a
        // reconnect storm) and closed the socket: a robust client connects again a little later.
        if (member.joins > 0 && this.options.reconnection && RETRYABLE.has(e.code)) {
          setTimeout(() => socket.connect(), 1_000 + Math.random() * 2_000);
          return;
        }
        clearTimeout(timer);
        reject(new Error(`auth_error ${e.code}`));
      });
      socket.on('connect_error', (error: Error) => {
        if (!this.options.reconnection) {
          clearTimeout(timer);
          reject(error);
        }
      });
    });
  }

  /** Opens every socket, `concurrency` at a time; reports progress. */
  async openAll(
    specs: readonly MemberSpec[],
    onCount?: (count: number) => void,
  ): Promise<{ ms: number }> {
    const started = now();
    const base = this.members.length;
    let next = 0;
    let done = 0;
    let lastReport = now();
    const worker = async () => {
      for (;;) {
        const index = next++;
        const spec = specs[index];
        if (!spec) return;
        const member = await this.open(spec, base + index);
        this.members[member.index] = member;
        done++;
        onCount?.(done);
        if (now() - lastReport > 2_000) {
          lastReport = now();
          progress(`${this.options.label}: ${done}/${specs.length} sockets joined`);
        }
      }
    };
    await Promise.all(
      Array.from({ length: Math.min(this.options.concurrency, specs.length) }, worker),
    );
    return { ms: now() - started };
  }

  closeAll(): void {
    for (const member of this.members) member.socket.disconnect();
    this.members.length = 0;
  }
}
