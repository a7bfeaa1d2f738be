import type { TChatMessage } from '@chat/contracts';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api/errors';
import { sendMessage, uploadFile } from '../api/http';
import { addPending, emptyTimeline, mergeStored, type PendingItem } from '../state/timeline';
import { message, SARAH, SESSION } from '../test/factories';
import { attemptPending, type ChatSessionState, initialState } from './useChatSession';

vi.mock('../api/http', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../api/http')>()),
  sendMessage: vi.fn(),
  uploadFile: vi.fn(),
}));

const ITEM_ID = '99999999-9999-4999-8999-999999999999';

function pendingText(content: string): PendingItem {
  return {
    kind: 'pending',
    id: ITEM_ID,
    sessionId: SESSION,
    senderId: SARAH,
    type: 'text',
    content,
    createdAt: '2024-12-02T10:00:00.000Z',
    status: 'sending',
  };
}

const plan = {
  kind: 'file' as const,
  blob: new Blob(['png'], { type: 'image/png' }),
  fileName: 'plan.png',
};

function pendingUpload(): PendingItem {
  return {
    ...pendingText(plan.fileName),
    type: 'image',
    upload: { fileName: plan.fileName, size: plan.blob.size, progress: 0 },
  };
}

/** A chat holding one pending item, wired as the hook wires it; `attempt` is a send or a retry. */
function chatWith(item: PendingItem, files: Array<[string, typeof plan]> = []) {
  let state: ChatSessionState = {
    ...initialState,
    status: 'active',
    timeline: addPending(emptyTimeline, item),
  };
  const alerts: string[] = [];
  const uploads = new Map(files);
  const context = {
    token: 'token',
    sessionId: SESSION,
    uploads,
    update: (change: (s: ChatSessionState) => ChatSessionState) => {
      state = change(state);
    },
    takeMessages: (messages: readonly TChatMessage[]) => {
      state = { ...state, timeline: mergeStored(state.timeline, messages) };
    },
    addAlert: (text: string) => alerts.push(text),
  };
  const pending = () => state.timeline.pending.find((p) => p.id === item.id);
  return {
    state: () => state,
    pending,
    alerts,
    uploads,
    attempt: () => {
      const current = pending();
      if (!current) throw new Error('no pending item to send');
      return attemptPending(current, context);
    },
  };
}

beforeEach(() => {
  vi.resetAllMocks();
});

describe('sending a text', () => {
  it('waits quietly when the network is down, and its retry stores it once under the same id', async () => {
    const chat = chatWith(pendingText('Are you there?'));
    const seenWhileSending: Array<PendingItem | undefined> = [];
    vi.mocked(sendMessage)
      .mockImplementationOnce(async () => {
        seenWhileSending.push(chat.pending());
        throw new ApiError('NETWORK_ERROR', 'fetch failed');
      })
      .mockImplementationOnce(async () => {
        seenWhileSending.push(chat.pending());
        return message(1, { id: ITEM_ID, content: 'Are you there?' });
      });

    await chat.attempt();
    expect(chat.pending()).toMatchObject({
      status: 'failed',
      error: { code: 'NETWORK_ERROR', message: 'No connection to the server.' },
    });
    expect(chat.alerts).toEqual([]);

    await chat.attempt();
    expect(seenWhileSending.map((p) => [p?.status, p?.error])).toEqual([
      ['sending', undefined],
      ['sending', undefined],
    ]);
    expect(chat.state().timeline.pending).toEqual([]);
    expect(chat.state().timeline.stored.map((s) => s.message.id)).toEqual([ITEM_ID]);
    const body = { id: ITEM_ID, session_id: SESSION, content: 'Are you there?' };
    expect(vi.mocked(sendMessage).mock.calls).toEqual([
      ['token', body],
      ['token', body],
    ]);
  });

  it('refused because the chat closed: fails, closes the chat and says why', async () => {
    const chat = chatWith(pendingText('One more thing'));
    vi.mocked(sendMessage).mockRejectedValueOnce(new ApiError('SESSION_INACTIVE', 'closed'));

    await chat.attempt();
    const closed = 'This chat is closed: no new messages can be sent.';
    expect(chat.pending()).toMatchObject({
      status: 'failed',
      error: { code: 'SESSION_INACTIVE', message: closed },
    });
    expect(chat.state().status).toBe('closed');
    expect(chat.alerts).toEqual([closed]);
  });

  it('an answer that is no API error fails as BAD_RESPONSE and is shown', async () => {
    const chat = chatWith(pendingText('Hello'));
    vi.mocked(sendMessage).mockRejectedValueOnce(new Error('Unexpected token <'));

    await chat.attempt();
    expect(chat.pending()?.error).toEqual({ code: 'BAD_RESPONSE', message: 'Unexpected token <' });
    expect(chat.state().status).toBe('active');
    expect(chat.alerts).toEqual(['Unexpected token <']);
  });
});

describe('sending an upload', () => {
  it('names the file that failed, and its retry starts again from 0 and stores it under the same id', async () => {
    const chat = chatWith(pendingUpload(), [[ITEM_ID, plan]]);
    const seenWhileSending: Array<PendingItem | undefined> = [];
    vi.mocked(uploadFile)
      .mockImplementationOnce((_token, _kind, _fields, _blob, _name, onProgress) => {
        onProgress(0.5);
        seenWhileSending.push(chat.pending());
        return { promise: Promise.reject(new ApiError('SCANNER_UNAVAILABLE', 'down')), abort() {} };
      })
      .mockImplementationOnce(() => {
        seenWhileSending.push(chat.pending());
        const stored = message(2, { id: ITEM_ID, type: 'image', file_name: plan.fileName });
        return { promise: Promise.resolve(stored), abort() {} };
      });

    await chat.attempt();
    expect(chat.pending()).toMatchObject({
      status: 'failed',
      error: { code: 'SCANNER_UNAVAILABLE' },
      upload: { fileName: 'plan.png', size: 3, progress: 0.5 },
    });
    expect(chat.alerts).toEqual([
      '“plan.png” was not sent. Files cannot be checked for viruses right now. Try again later.',
    ]);
    expect(chat.uploads.has(ITEM_ID)).toBe(true);

    await chat.attempt();
    expect(seenWhileSending.map((p) => [p?.status, p?.error, p?.upload?.progress])).toEqual([
      ['sending', undefined, 0.5],
      ['sending', undefined, 0],
    ]);
    expect(chat.state().timeline.pending).toEqual([]);
    expect(chat.state().timeline.stored.map((s) => s.message.id)).toEqual([ITEM_ID]);
    expect(chat.uploads.size).toBe(0);
    const fields = { id: ITEM_ID, session_id: SESSION, duration: undefined };
    expect(vi.mocked(uploadFile).mock.calls.map((call) => call.slice(0, 5))).toEqual([
      ['token', 'file', fields, plan.blob, 'plan.png'],
      ['token', 'file', fields, plan.blob, 'plan.png'],
    ]);
    expect(sendMessage).not.toHaveBeenCalled();
  });

  it('a discarded upload is not sent again', async () => {
    const chat = chatWith({ ...pendingUpload(), status: 'failed' });
    const before = chat.state();

    await chat.attempt();
    expect(uploadFile).not.toHaveBeenCalled();
    expect(sendMessage).not.toHaveBeenCalled();
    expect(chat.state()).toBe(before);
  });
});
