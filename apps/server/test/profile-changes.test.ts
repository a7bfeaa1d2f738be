import { createTRPCClient, httpBatchLink, TRPCClientError } from '@trpc/client';
import { describe, expect, it } from 'vitest';
import { sql } from '../src/db/database.js';
import type { ProfileRow } from '../src/domain/types.js';
import type { AppRouter } from '../src/transport/trpc/app.router.js';
import { expectError, rest } from './support/rest.js';
import { type ClientSocket, collect, connectClient, nextEvent } from './support/sockets.js';
import { type TestUser, useTestApp } from './support/test-app.js';

/**
 * Issue 12, finding 3: an open socket kept the role it had when it connected. Roles and profiles
 * are changed the way a marketplace's backend changes them, with SQL on the database (never
 * through this service's API), and what the user's open socket, REST and tRPC then allow is
 * checked over the wire. Runs on PGlite, and on PostgreSQL with DATABASE_URL.
 */

/** How long the change may take to reach the socket (a notification, then one profile read). */
const HEARD_MS = 5_000;
const ACK_MS = 3_000;

const open: ClientSocket[] = [];

const t = useTestApp({}, { sockets: open });

async function connect(user: TestUser): Promise<ClientSocket> {
  const socket = await connectClient(t.baseUrl, user.token);
  open.push(socket);
  return socket;
}

/** What the marketplace does: `UPDATE profiles SET role = ...`, straight on the database. */
async function setRole(user: TestUser, role: ProfileRow['role']): Promise<void> {
  await t.database.db.execute(sql`UPDATE profiles SET role = ${role} WHERE id = ${user.id}`);
}

async function deleteProfile(user: TestUser): Promise<void> {
  await t.database.db.execute(sql`DELETE FROM profiles WHERE id = ${user.id}`);
}

/** The socket is told who its user is now: the server has applied the change to it. */
const roleBecomes = (socket: ClientSocket, role: ProfileRow['role']) =>
  nextEvent(socket, 'authenticated', ({ user }) => user.role === role, HEARD_MS);

const join = (socket: ClientSocket, sessionId: string) =>
  socket.timeout(ACK_MS).emitWithAck('join_chat', { session_id: sessionId });

const postSystem = (socket: ClientSocket, sessionId: string, content: string) =>
  socket
    .timeout(ACK_MS)
    .emitWithAck('send_message', { session_id: sessionId, message: { content, type: 'system' } });

function trpcFor(user: TestUser) {
  return createTRPCClient<AppRouter>({
    links: [httpBatchLink({ url: `${t.baseUrl}/trpc`, headers: () => user.auth })],
  });
}

/** The service's error code of a refused tRPC call. */
async function trpcErrorCode(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => new Error('expected the call to be refused'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCClientError);
  return ((error as TRPCClientError<AppRouter>).data as unknown as { errorCode: string }).errorCode;
}

describe('a role changed in the database reaches open sockets, REST and tRPC at once', () => {
  it("a demoted admin's open socket can no longer join a session it is not in, nor post `type: system`", async () => {
    const admin = await t.factory.user('admin');
    const watched = await t.factory.bookingChat();
    const other = await t.factory.bookingChat();
    const socket = await connect(admin);
    const participant = await connect(watched.client);
    expect((await join(participant, watched.sessionId)).ok).toBe(true);

    // As an admin the socket watches a session it is not part of and posts in it.
    expect((await join(socket, watched.sessionId)).ok).toBe(true);
    expect((await postSystem(socket, watched.sessionId, 'Support is here')).ok).toBe(true);

    const toldLost = nextEvent(
      socket,
      'error',
      (e) =>
        e.code === 'CHAT_ACCESS_DENIED' &&
        (e.details ?? []).some((d) => d.includes(watched.sessionId)),
      HEARD_MS,
    );
    const demoted = roleBecomes(socket, 'client');
    await setRole(admin, 'client');
    expect((await demoted).user).toMatchObject({ id: admin.id, role: 'client' });
    await toldLost;

    const joinOther = await join(socket, other.sessionId);
    expect(joinOther).toMatchObject({ ok: false, error: { code: 'CHAT_ACCESS_DENIED' } });
    const joinAgain = await join(socket, watched.sessionId);
    expect(joinAgain).toMatchObject({ ok: false, error: { code: 'CHAT_ACCESS_DENIED' } });
    const system = await postSystem(socket, watched.sessionId, 'Still support?');
    expect(system).toMatchObject({ ok: false, error: { code: 'CHAT_ACCESS_DENIED' } });

    // The session's room was left: its next message reaches the participant, not the ex-admin.
    const missed = collect(socket, 'new_message');
    const atParticipant = nextEvent(participant, 'new_message');
    await t.factory.message(watched.client, watched.sessionId, 'after the demotion');
    expect((await atParticipant).content).toBe('after the demotion');
    expect(missed).toEqual([]);
  });

  it("a demoted monitor's open socket stops reading the sessions it watched as monitor; a participant keeps theirs", async () => {
    const monitor = await t.factory.user('monitor');
    const watched = await t.factory.bookingChat();
    const own = await t.factory.bookingChat();
    const reader = await connect(own.reader);
    expect((await join(reader, own.sessionId)).ok).toBe(true);
    const watchedClient = await connect(watched.client);
    expect((await join(watchedClient, watched.sessionId)).ok).toBe(true);
    const socket = await connect(monitor);
    expect((await join(socket, watched.sessionId)).ok).toBe(true);

    // A participant demoted to client keeps their own session.
    const readerDemoted = roleBecomes(reader, 'client');
    const monitorDemoted = roleBecomes(socket, 'client');
    await setRole(own.reader, 'client');
    await setRole(monitor, 'client');
    await readerDemoted;
    await monitorDemoted;

    const missed = collect(socket, 'new_message');
    const atReader = nextEvent(reader, 'new_message');
    await t.factory.message(own.client, own.sessionId, 'still yours');
    expect((await atReader).content).toBe('still yours');
    const atClient = nextEvent(watchedClient, 'new_message');
    await t.factory.message(watched.reader, watched.sessionId, 'not for the ex-monitor');
    expect((await atClient).content).toBe('not for the ex-monitor');
    expect((await join(socket, watched.sessionId)).ok).toBe(false);
    expect(missed).toEqual([]);
  });

  it("a deleted profile's open socket gets auth_error and is closed; its token is refused over REST", async () => {
    const user = await t.factory.user('client');
    const socket = await connect(user);
    const refused = nextEvent(socket, 'auth_error', () => true, HEARD_MS);
    const closed = new Promise<string>((resolve) => socket.once('disconnect', resolve));
    await deleteProfile(user);
    expect(await refused).toEqual({ code: 'AUTHENTICATION_REQUIRED', message: 'Unknown user' });
    expect(await closed).toBe('io server disconnect');
    expectError(await rest(t.app, user).get('/api/chat/sessions'), 'AUTHENTICATION_REQUIRED');
  });

  it('a promoted client becomes admin on its open socket: joins any session and posts `type: system`', async () => {
    const user = await t.factory.user('client');
    const { sessionId } = await t.factory.bookingChat();
    const socket = await connect(user);
    expect(await join(socket, sessionId)).toMatchObject({
      ok: false,
      error: { code: 'CHAT_ACCESS_DENIED' },
    });

    const promoted = roleBecomes(socket, 'admin');
    await setRole(user, 'admin');
    expect((await promoted).user).toMatchObject({ id: user.id, role: 'admin' });
    expect((await join(socket, sessionId)).ok).toBe(true);
    expect((await postSystem(socket, sessionId, 'Moderator here')).ok).toBe(true);
  });

  it('REST and tRPC use the new role right after the change, not once the profile cache expires', async () => {
    const admin = await t.factory.user('admin');
    const client = await t.factory.user('client');
    const adminSocket = await connect(admin);
    const clientSocket = await connect(client);
    const allSessions = '/api/chat/sessions?scope=all&limit=1';

    // Both profiles are now in the authentication cache with their old roles.
    expect((await rest(t.app, admin).get(allSessions)).statusCode).toBe(200);
    expectError(await rest(t.app, client).get(allSessions), 'CHAT_ACCESS_DENIED');
    await trpcFor(admin).sessions.list.query({ scope: 'all', limit: 1 });

    const demoted = roleBecomes(adminSocket, 'client');
    const promoted = roleBecomes(clientSocket, 'admin');
    await setRole(admin, 'client');
    await setRole(client, 'admin');
    // The node has heard both changes once their sockets are told.
    await demoted;
    await promoted;

    expectError(await rest(t.app, admin).get(allSessions), 'CHAT_ACCESS_DENIED');
    expect(
      await trpcErrorCode(trpcFor(admin).sessions.list.query({ scope: 'all', limit: 1 })),
    ).toBe('CHAT_ACCESS_DENIED');
    expect((await rest(t.app, client).get(allSessions)).statusCode).toBe(200);
    const listed = await trpcFor(client).sessions.list.query({ scope: 'all', limit: 1 });
    expect(listed.sessions.length).toBeLessThanOrEqual(1);
  });

  it('a profile update that leaves the role as it was changes nothing on open sockets', async () => {
    const admin = await t.factory.user('admin');
    const socket = await connect(admin);
    const told = collect(socket, 'authenticated');
    await t.database.db.execute(
      sql`UPDATE profiles SET role = 'admin', first_name = 'Renamed' WHERE id = ${admin.id}`,
    );
    // A later change is heard after it: the earlier update announced nothing.
    const demoted = roleBecomes(socket, 'client');
    await setRole(admin, 'client');
    await demoted;
    expect(told.map(({ user }) => user.role)).toEqual(['client']);
  });
});
