import { describe, expect, it } from 'vitest';
import type { Actor, MessageRow, SessionRow } from '../domain/types.js';
import { ChatError } from '../errors.js';
import type { MessageWithSender } from '../repositories/messages.repository.js';
import type { Repositories } from '../repositories/store.js';
import type { Budget, RateLimiter } from './rate-limiter.js';
import {
  authorizeUpload,
  receiveUnderGrant,
  settleGrant,
  type UploadClearance,
  type UploadGrant,
  type UploadGrantDeps,
  uploadRetryAnswer,
} from './upload-grant.js';

const ACTIVE = '00000000-0000-4000-8000-0000000000a1';
const OTHER = '00000000-0000-4000-8000-0000000000a2';
const CLOSED = '00000000-0000-4000-8000-0000000000c1';
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';
const CAROL = '00000000-0000-4000-8000-00000000000c';
const STORED = '00000000-0000-4000-8000-0000000000f1';
const BOBS = '00000000-0000-4000-8000-0000000000f2';
const NEW_ID = '00000000-0000-4000-8000-0000000000f3';

const actor = (id: string): Actor => ({
  id,
  role: 'client',
  firstName: null,
  lastName: null,
  avatarUrl: null,
});
const alice = actor(ALICE);

function session(id: string, status: SessionRow['status']): SessionRow {
  return {
    id,
    bookingId: null,
    sessionType: 'booking',
    status,
    metadata: {},
    lastSeq: 1,
    lastMessageAt: null,
    createdAt: new Date(0),
    createdBy: null,
  };
}

function fileMessage(id: string, sessionId: string, senderId: string): MessageWithSender {
  const row: MessageRow = {
    id,
    sessionId,
    seq: 1,
    senderId,
    type: 'file',
    content: null,
    storageKey: `${sessionId}/${id}/a.pdf`,
    fileName: 'a.pdf',
    fileSize: 10,
    mimeType: 'application/pdf',
    metadata: {},
    createdAt: new Date(0),
    editedAt: null,
    deletedAt: null,
  };
  return { ...row, sender: { id: senderId, firstName: null, lastName: null, avatarUrl: null } };
}

/**
 * Grants over fake repositories: Alice and Bob take part in ACTIVE, OTHER and CLOSED; Alice
 * stored STORED in ACTIVE, Bob stored BOBS. The budget counts what is taken and given back.
 */
function setup({ budget = 10 } = {}) {
  const sessions = new Map([
    [ACTIVE, session(ACTIVE, 'active')],
    [OTHER, session(OTHER, 'active')],
    [CLOSED, session(CLOSED, 'closed')],
  ]);
  const messages = new Map([
    [STORED, fileMessage(STORED, ACTIVE, ALICE)],
    [BOBS, fileMessage(BOBS, ACTIVE, BOB)],
  ]);
  const used: Partial<Record<Budget, number>> = {};
  const calls = { refunds: 0, lookups: 0 };
  const rateLimiter: RateLimiter = {
    async consume(name) {
      if ((used[name] ?? 0) >= budget) throw new ChatError('RATE_LIMIT_EXCEEDED');
      used[name] = (used[name] ?? 0) + 1;
    },
    async refund(name) {
      calls.refunds += 1;
      used[name] = (used[name] ?? 0) - 1;
    },
  };
  const repos = {
    sessions: {
      findById: async (id: string) => sessions.get(id) ?? null,
      participants: async () => [],
    },
    messages: {
      findById: async (id: string) => {
        calls.lookups += 1;
        return messages.get(id) ?? null;
      },
      findWithSender: async (ids: string[]) => ids.flatMap((id) => messages.get(id) ?? []),
      reactionsFor: async () => [],
    },
    audit: { record: async () => {} },
  } as unknown as Repositories;
  const rosters = {
    get: async (id: string) => {
      if (!sessions.has(id)) throw new ChatError('SESSION_NOT_FOUND');
      return { participantIds: [ALICE, BOB] };
    },
  };
  const fileUrls = { builderFor: () => () => null };
  const deps: UploadGrantDeps = { repos, rosters, rateLimiter, fileUrls };
  return { deps, used, calls };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  return error instanceof ChatError ? error.code : String(error);
}

describe('authorize: access, status, retry, then budget', () => {
  it('a new upload is counted once against its own endpoint’s budget', async () => {
    const { deps, used } = setup();
    const grant = await authorizeUpload(deps, alice, 'voice', { sessionId: ACTIVE, id: NEW_ID });
    expect(grant).toMatchObject({ sessionId: ACTIVE, checkedId: NEW_ID, stored: null });
    expect(grant.isParticipant).toBe(true);
    expect(used).toEqual({ voice_notes: 1 });
  });

  it('a retry of a stored upload carries its message and is counted nowhere, even out of budget', async () => {
    const { deps, used } = setup({ budget: 0 });
    const grant = await authorizeUpload(deps, alice, 'file', { sessionId: ACTIVE, id: STORED });
    expect(grant.stored?.id).toBe(STORED);
    expect(used).toEqual({});
  });

  it('what is refused counts nothing: a stranger, a closed session, another sender’s id, no budget left', async () => {
    const { deps, used } = setup();
    const target = { sessionId: ACTIVE, id: undefined };
    expect(await codeOf(authorizeUpload(deps, actor(CAROL), 'file', target))).toBe(
      'CHAT_ACCESS_DENIED',
    );
    expect(
      await codeOf(authorizeUpload(deps, alice, 'file', { sessionId: CLOSED, id: undefined })),
    ).toBe('SESSION_INACTIVE');
    expect(
      await codeOf(authorizeUpload(deps, alice, 'file', { sessionId: ACTIVE, id: BOBS })),
    ).toBe('VALIDATION_ERROR');
    expect(used).toEqual({});
    const spent = setup({ budget: 0 });
    expect(await codeOf(authorizeUpload(spent.deps, alice, 'file', target))).toBe(
      'RATE_LIMIT_EXCEEDED',
    );
    expect(spent.used).toEqual({});
  });
});

describe('receiveUnder: the budget goes back when the body fails', () => {
  it('a body that fails after clearance gives its budget back and keeps its error', async () => {
    const { deps, used } = setup();
    const failed = receiveUnderGrant(deps, alice, 'file', async (authorize) => {
      expect(await authorize({ sessionId: ACTIVE, id: undefined })).toBe('receive');
      throw new ChatError('FILE_TOO_LARGE');
    });
    expect(await codeOf(failed)).toBe('FILE_TOO_LARGE');
    expect(used).toEqual({ files: 0 });
  });

  it('a body that fails before clearance has nothing to give back', async () => {
    const { deps, used, calls } = setup();
    const failed = receiveUnderGrant(deps, alice, 'file', async () => {
      throw new ChatError('VALIDATION_ERROR');
    });
    expect(await codeOf(failed)).toBe('VALIDATION_ERROR');
    expect(calls.refunds).toBe(0);
    expect(used).toEqual({});
  });

  it('a retry’s bytes are read past (discard), and its failure gives nothing back', async () => {
    const { deps, calls } = setup();
    let clearance: UploadClearance | undefined;
    const failed = receiveUnderGrant(deps, alice, 'file', async (authorize) => {
      clearance = await authorize({ sessionId: ACTIVE, id: STORED });
      throw new ChatError('VALIDATION_ERROR');
    });
    expect(await codeOf(failed)).toBe('VALIDATION_ERROR');
    expect(clearance).toBe('discard');
    expect(calls.refunds).toBe(0);
  });

  it('a body that arrives keeps its grant and its count', async () => {
    const { deps, used } = setup();
    const { received, grant } = await receiveUnderGrant(deps, alice, 'voice', async (authorize) => {
      await authorize({ sessionId: ACTIVE, id: undefined });
      return 'spooled';
    });
    expect(received).toBe('spooled');
    expect(grant?.sessionId).toBe(ACTIVE);
    expect(used).toEqual({ voice_notes: 1 });
  });
});

describe('settle: the grant once every field is in', () => {
  const held = async (deps: UploadGrantDeps, id?: string) =>
    authorizeUpload(deps, alice, 'file', { sessionId: ACTIVE, id });

  it('the grant taken as the file started is kept for the same session', async () => {
    const { deps, used } = setup();
    const grant = await held(deps);
    expect(
      await settleGrant(deps, alice, 'file', grant, { sessionId: ACTIVE, id: undefined }),
    ).toBe(grant);
    expect(used).toEqual({ files: 1 });
  });

  it('a second session_id after the file gives the first grant back and clears the new target', async () => {
    const { deps, used, calls } = setup();
    const grant = await held(deps);
    const settled = await settleGrant(deps, alice, 'file', grant, {
      sessionId: OTHER,
      id: undefined,
    });
    expect(settled.sessionId).toBe(OTHER);
    expect(calls.refunds).toBe(1);
    expect(used).toEqual({ files: 1 });
  });

  it('a retry read past whose id or session_id changed after the file is refused, nothing given back', async () => {
    const { deps, calls } = setup();
    const retry = await held(deps, STORED);
    const changed = [
      { sessionId: OTHER, id: STORED },
      { sessionId: ACTIVE, id: NEW_ID },
    ];
    for (const target of changed) {
      expect(await codeOf(settleGrant(deps, alice, 'file', retry, target))).toBe(
        'VALIDATION_ERROR',
      );
    }
    expect(calls.refunds).toBe(0);
  });

  it('with the file first there is no grant yet: one is taken now', async () => {
    const { deps, used } = setup();
    const settled = await settleGrant(deps, alice, 'voice', undefined, {
      sessionId: ACTIVE,
      id: NEW_ID,
    });
    expect(settled.checkedId).toBe(NEW_ID);
    expect(used).toEqual({ voice_notes: 1 });
  });
});

describe('retryAnswer: an id sent after the file', () => {
  const counted = async (deps: UploadGrantDeps): Promise<UploadGrant> =>
    authorizeUpload(deps, alice, 'file', { sessionId: ACTIVE, id: undefined });

  it('a stored id is answered with its message, and the budget goes back', async () => {
    const { deps, used } = setup();
    const grant = await counted(deps);
    const answer = await uploadRetryAnswer(deps, alice, grant, { sessionId: ACTIVE, id: STORED });
    expect(answer?.id).toBe(STORED);
    expect(used).toEqual({ files: 0 });
  });

  it('another sender’s id is refused, and the budget goes back', async () => {
    const { deps, used } = setup();
    const grant = await counted(deps);
    expect(
      await codeOf(uploadRetryAnswer(deps, alice, grant, { sessionId: ACTIVE, id: BOBS })),
    ).toBe('VALIDATION_ERROR');
    expect(used).toEqual({ files: 0 });
  });

  it('a new id is no retry: nothing answered, the upload stays counted', async () => {
    const { deps, used } = setup();
    const grant = await counted(deps);
    expect(
      await uploadRetryAnswer(deps, alice, grant, { sessionId: ACTIVE, id: NEW_ID }),
    ).toBeNull();
    expect(used).toEqual({ files: 1 });
  });

  it('the id the grant looked up is not looked up again; a retry grant answers its own message', async () => {
    const { deps, calls } = setup();
    const grant = await authorizeUpload(deps, alice, 'file', { sessionId: ACTIVE, id: NEW_ID });
    const retry = await authorizeUpload(deps, alice, 'file', { sessionId: ACTIVE, id: STORED });
    const lookups = calls.lookups;
    expect(
      await uploadRetryAnswer(deps, alice, grant, { sessionId: ACTIVE, id: NEW_ID }),
    ).toBeNull();
    expect(
      (await uploadRetryAnswer(deps, alice, retry, { sessionId: ACTIVE, id: STORED }))?.id,
    ).toBe(STORED);
    expect(calls.lookups).toBe(lookups);
  });
});
