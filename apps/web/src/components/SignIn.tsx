import { createRestClient, describeError } from '@chat/client';
import type { TProfile } from '@chat/contracts';
import { type FormEvent, useEffect, useState } from 'react';
import { displayName } from '../lib/format';
import { type Auth, readTokenClaims } from '../state/auth';
import { Avatar } from './Avatar';

type DevUsers =
  | { state: 'loading' }
  | { state: 'off' }
  | { state: 'on'; users: TProfile[] }
  | { state: 'error'; message: string };

/** The sign-in calls need no token: development sign-in, and checking a pasted token. */
const anonymous = createRestClient();

const ROLE_HINT: Record<TProfile['role'], string> = {
  client: 'Client: books readings',
  reader: 'Reader: answers clients',
  admin: 'Admin: moderates every chat',
  monitor: 'Monitor: reads every chat',
};

/** The demo users when the server has development sign-in on ('off' when it runs real auth). */
function useDevUsers(): DevUsers {
  const [users, setUsers] = useState<DevUsers>({ state: 'loading' });
  useEffect(() => {
    const abort = new AbortController();
    anonymous.devUsers(abort.signal).then(
      (list) => setUsers(list ? { state: 'on', users: list } : { state: 'off' }),
      (e: unknown) => {
        if (!abort.signal.aborted) setUsers({ state: 'error', message: describeError(e) });
      },
    );
    return () => abort.abort();
  }, []);
  return users;
}

/** Signing in, by a demo user (development sign-in) or by a pasted token the server accepts. */
function useSignIn(onSignedIn: (auth: Auth) => void) {
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  /** One sign-in try: busy on `key` until it settles; a failure is explained. */
  const attempt = async (key: string, signIn: () => Promise<Auth>) => {
    setBusy(key);
    setError(null);
    try {
      onSignedIn(await signIn());
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
    }
  };

  const pick = (user: TProfile) =>
    attempt(user.id, async () => {
      const result = await anonymous.devSignIn(user.id);
      return { token: result.token, userId: result.user.id, name: displayName(result.user) };
    });

  const submitToken = async (token: string) => {
    const value = token.trim();
    const claims = readTokenClaims(value);
    if (!claims) {
      setError('That does not look like a user token (a JWT whose subject is a user id).');
      return;
    }
    await attempt('token', async () => {
      // One cheap authenticated call: the server says whether it accepts the token.
      await createRestClient({ token: value }).listSessions({ limit: 1 });
      return { token: value, userId: claims.sub, name: 'You' };
    });
  };

  return { busy, error, pick, submitToken };
}

/**
 * With development sign-in (a server without JWT settings) a picker of the demo users; otherwise
 * a box for a token the marketplace issued (a Supabase session's access token).
 */
export function SignIn({
  onSignedIn,
  notice,
}: {
  onSignedIn: (auth: Auth) => void;
  notice?: string | null;
}) {
  const users = useDevUsers();
  const [token, setToken] = useState('');
  const { busy, error, pick, submitToken } = useSignIn(onSignedIn);

  return (
    <main className="signin">
      <div className="signin-card">
        <h1>Booking chat</h1>
        <p className="muted">Talk with your reader or client about a booking.</p>
        {notice && (
          <p className="alert" role="alert">
            {notice}
          </p>
        )}
        {users.state === 'loading' && <p className="muted">Loading…</p>}
        {users.state === 'error' && (
          <p className="alert" role="alert">
            The server did not answer: {users.message}
          </p>
        )}
        {users.state === 'on' && (
          <DemoUsers users={users.users} busy={busy} onPick={(user) => void pick(user)} />
        )}
        {users.state === 'off' && (
          <TokenForm
            token={token}
            onChange={setToken}
            busy={busy !== null}
            onSubmit={(e) => {
              e.preventDefault();
              void submitToken(token);
            }}
          />
        )}
        {error && (
          <p className="alert" role="alert">
            {error}
          </p>
        )}
        <p className="muted small">
          API documentation: <a href="/docs">/docs</a>
        </p>
      </div>
    </main>
  );
}

function DemoUsers(props: {
  users: TProfile[];
  busy: string | null;
  onPick: (user: TProfile) => void;
}) {
  const { busy } = props;
  return (
    <section aria-labelledby="demo-users">
      <h2 id="demo-users">Sign in as a demo user</h2>
      <ul className="demo-users">
        {props.users.map((user) => (
          <li key={user.id}>
            <button
              type="button"
              className="demo-user"
              onClick={() => props.onPick(user)}
              disabled={busy !== null}
              aria-label={`Sign in as ${displayName(user)} (${user.role})`}
            >
              <Avatar id={user.id} name={displayName(user)} url={user.avatar_url} />
              <span className="demo-user-text">
                <strong>{displayName(user)}</strong>
                <span className="muted">{ROLE_HINT[user.role]}</span>
              </span>
              {busy === user.id && <span className="spinner" aria-hidden="true" />}
            </button>
          </li>
        ))}
      </ul>
      <p className="muted small">
        Development sign-in is on because the server has no JWT settings.
      </p>
    </section>
  );
}

function TokenForm(props: {
  token: string;
  onChange: (token: string) => void;
  busy: boolean;
  onSubmit: (event: FormEvent) => void;
}) {
  return (
    <form onSubmit={props.onSubmit} className="token-form">
      <h2>Sign in with a token</h2>
      <label htmlFor="token">Access token</label>
      <textarea
        id="token"
        value={props.token}
        onChange={(e) => props.onChange(e.target.value)}
        rows={4}
        placeholder="eyJhbGciOi…"
        spellCheck={false}
        autoComplete="off"
        required
      />
      <p className="muted small">
        Paste the access token of the marketplace’s session (for Supabase:{' '}
        <code>session.access_token</code>).
      </p>
      <button type="submit" className="primary" disabled={props.busy || props.token.trim() === ''}>
        Sign in
      </button>
    </form>
  );
}
