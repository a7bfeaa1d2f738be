import type { TMessageType } from '@chat/contracts';
import { ChatError } from '../errors.js';
import type { NewMessage } from '../repositories/messages.repository.js';
import type { Repositories, Store } from '../repositories/store.js';

export interface MessageDraft {
  id: string;
  sessionId: string;
  senderId: string;
  type: TMessageType;
  content: string | null;
  file: { storageKey: string; fileName: string; fileSize: number; mimeType: string } | null;
  metadata: Record<string, unknown>;
  /** Sending moves the sender's read cursor (participants only). */
  advanceSenderCursor: boolean;
}

/** The id is already stored (a retry, or another sender's id): the caller resolves which. */
export class DuplicateMessageId extends Error {}

/** Where a committed message landed: its seq in the session and its commit time. */
export interface Committed {
  seq: number;
  createdAt: Date;
}

interface Pending {
  draft: MessageDraft;
  resolve: (committed: Committed) => void;
  reject: (error: unknown) => void;
}

export interface MessageCommitter {
  /**
   * Resolves once the message is committed with the session's next `seq` (gap-free), the
   * session's activity time and the sender's read cursor. Rejects with SESSION_INACTIVE,
   * DuplicateMessageId, or the database's error (then nothing of it was stored).
   */
  append(draft: MessageDraft): Promise<Committed>;
}

/** Most messages committed in one transaction. */
const MAX_BATCH = 256;
/**
 * Transactions in flight at once. Two overlap one batch's round trips with the next one's
 * (sessions they share serialise on the session row lock, taken in id order, as between
 * nodes); more would only shrink the batches.
 */
const MAX_IN_FLIGHT = 2;

/**
 * Group commit: messages that arrive while a transaction is in flight are committed together
 * in the next one, so one commit (and one fsync) serves many senders. A lone message is not
 * delayed: it starts a transaction at once. Every caller still learns the outcome of its own
 * message only after that message's transaction committed.
 */
export function createMessageCommitter(store: Store): MessageCommitter {
  let queue: Pending[] = [];
  let inFlight = 0;

  async function flush(): Promise<void> {
    if (inFlight >= MAX_IN_FLIGHT || queue.length === 0) return;
    inFlight++;
    const batch = queue.slice(0, MAX_BATCH);
    queue = queue.slice(MAX_BATCH);
    try {
      await commitBatch(batch);
    } finally {
      inFlight--;
      if (queue.length > 0) void flush();
    }
  }

  async function commitBatch(batch: Pending[], attempt = 1): Promise<void> {
    let outcomes: Map<Pending, Committed | Error>;
    try {
      outcomes = store.oneStatementAppend
        ? await appendInOneStatement(store.repos, batch)
        : await store.transaction((repos) => writeBatch(repos, batch));
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && isRetryable(error)) {
        // A deadlock, or another node storing one of these ids after this statement's
        // snapshot: the retry sees the current state (the stored id becomes a duplicate).
        return commitBatch(batch, attempt + 1);
      }
      if (batch.length > 1 && (error instanceof ConcurrentDuplicate || isDataError(error))) {
        // One row is unacceptable to the database: commit each alone, so only that one fails.
        for (const p of batch) await commitBatch([p]);
        return;
      }
      const failure = error instanceof ConcurrentDuplicate ? new DuplicateMessageId() : error;
      for (const p of batch) p.reject(failure);
      return;
    }
    for (const p of batch) {
      const outcome = outcomes.get(p) ?? new Error('group commit lost a message');
      if (outcome instanceof Error) p.reject(outcome);
      else p.resolve(outcome);
    }
  }

  return {
    append(draft) {
      return new Promise<Committed>((resolve, reject) => {
        queue.push({ draft, resolve, reject });
        void flush();
      });
    },
  };
}

class ConcurrentDuplicate extends Error {}

/** A draft's stored columns (its file flattened), without the seq and time the commit gives. */
function messageColumns(draft: MessageDraft) {
  return {
    id: draft.id,
    sessionId: draft.sessionId,
    senderId: draft.senderId,
    type: draft.type,
    content: draft.content,
    storageKey: draft.file?.storageKey ?? null,
    fileName: draft.file?.fileName ?? null,
    fileSize: draft.file?.fileSize ?? null,
    mimeType: draft.file?.mimeType ?? null,
    metadata: draft.metadata,
  };
}

/** Tries of one batch when it fails for a reason a retry resolves. */
const MAX_ATTEMPTS = 3;

function sqlState(error: unknown): string | undefined {
  const code =
    (error as { code?: unknown } | null)?.code ??
    (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Deadlock, serialization failure, or a unique violation (an id stored meanwhile). */
function isRetryable(error: unknown): boolean {
  const code = sqlState(error);
  return code === '40P01' || code === '40001' || code === '23505';
}

/**
 * PostgreSQL's "data exception" (22) and "integrity constraint" (23) classes: a problem with one
 * row, not with the database. (A lost connection fails every message, and retrying each alone
 * would only multiply the wait.)
 */
function isDataError(error: unknown): boolean {
  const code = sqlState(error);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/** The whole batch in one statement (node-postgres): see `messages.appendBatch`. */
async function appendInOneStatement(
  repos: Repositories,
  batch: Pending[],
): Promise<Map<Pending, Committed | Error>> {
  const outcomes = new Map<Pending, Committed | Error>();
  const seen = new Set<string>();
  const unique: Pending[] = [];
  for (const p of batch) {
    // The same id twice in one batch: the first is the message, the second a retry of it.
    if (seen.has(p.draft.id)) outcomes.set(p, new DuplicateMessageId());
    else {
      seen.add(p.draft.id);
      unique.push(p);
    }
  }
  const results = await repos.messages.appendBatch(
    unique.map(({ draft }) => ({
      ...messageColumns(draft),
      advanceSenderCursor: draft.advanceSenderCursor,
    })),
  );
  for (const p of unique) {
    const result = results.get(p.draft.id);
    outcomes.set(
      p,
      result === 'duplicate'
        ? new DuplicateMessageId()
        : result === 'inactive' || result === undefined
          ? new ChatError('SESSION_INACTIVE')
          : result,
    );
  }
  return outcomes;
}

/** One transaction for the whole batch; returns each message's own failure (or null). */
async function writeBatch(
  repos: Repositories,
  batch: Pending[],
): Promise<Map<Pending, Committed | Error>> {
  const outcomes = new Map<Pending, Committed | Error>();
  const existing = await repos.messages.existingIds(batch.map((p) => p.draft.id));
  const seen = new Set<string>();
  const accepted: Pending[] = [];
  for (const p of batch) {
    if (existing.has(p.draft.id) || seen.has(p.draft.id)) outcomes.set(p, new DuplicateMessageId());
    else {
      seen.add(p.draft.id);
      accepted.push(p);
    }
  }

  const bySession = new Map<string, Pending[]>();
  for (const p of accepted) {
    const list = bySession.get(p.draft.sessionId);
    if (list) list.push(p);
    else bySession.set(p.draft.sessionId, [p]);
  }
  const rows: NewMessage[] = [];
  const cursors = new Map<string, { sessionId: string; userId: string; seq: number }>();
  // One statement reserves every session's seqs (rows locked in id order: no deadlock with
  // other nodes' batches), instead of a round trip per session.
  const sessionIds = [...bySession.keys()].sort();
  const reservations = await repos.sessions.reserveSeqsMany(
    sessionIds.map((sessionId) => ({ sessionId, count: bySession.get(sessionId)?.length ?? 0 })),
  );
  for (const sessionId of sessionIds) {
    const pending = bySession.get(sessionId) ?? [];
    const reserved = reservations.get(sessionId);
    if (!reserved) {
      for (const p of pending) outcomes.set(p, new ChatError('SESSION_INACTIVE'));
      continue;
    }
    pending.forEach((p, i) => {
      const seq = reserved.firstSeq + i;
      const { draft } = p;
      rows.push({ ...messageColumns(draft), seq, createdAt: reserved.at });
      // Replying means you have seen what came before; your own messages are never unread.
      if (draft.advanceSenderCursor) {
        cursors.set(`${draft.sessionId}:${draft.senderId}`, {
          sessionId: draft.sessionId,
          userId: draft.senderId,
          seq,
        });
      }
      outcomes.set(p, { seq, createdAt: reserved.at });
    });
  }
  const inserted = await repos.messages.insertMany(rows);
  // A seq was reserved for every row: a row the insert skipped would leave a gap. Roll back.
  if (inserted.size !== rows.length) throw new ConcurrentDuplicate();
  await repos.sessions.advanceCursors([...cursors.values()]);
  return outcomes;
}
