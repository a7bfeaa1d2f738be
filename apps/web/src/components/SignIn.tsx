import type { TProfile } from '@chat/contracts';
import { type FormEvent, useEffect, useState } from 'react';
import { describeError } from '../api/errors';
import { devSignIn, fetchDevUsers, listSessions } from '../api/http';
import { displayName } from '../lib/format';
import { type Auth, readTokenClaims } from '../state/auth';
import { Avatar } from './Avatar';

type DevUsers =
  | { state: 'loading' }
  | { state: 'off' }
  | { state: 'on'; users: TProfile[] }
  | { state: 'error'; message: string };

const ROLE_HINT: Record<TProfile['role'], string> = {
  client: 'Client: books readings',
  reader: 'Reader: answers clients',
  admin: 'Admin: moderates every chat',
  monitor: 'Monitor: reads every chat',
};

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
  const [users, setUsers] = useState<DevUsers>({ state: 'loading' });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState('');

  useEffect(() => {
    const abort = new AbortController();
    fetchDevUsers(abort.signal).then(
      (list) => setUsers(list ? { state: 'on', users: list } : { state: 'off' }),
      (e: unknown) => {
        if (!abort.signal.aborted) setUsers({ state: 'error', message: describeError(e) });
      },
    );
    return () => abort.abort();
  }, []);

  const pick = async (user: TProfile) => {
    setBusy(user.id);
    setError(null);
    try {
      const result = await devSignIn(user.id);
      onSignedIn({ token: result.token, userId: result.user.id, name: displayName(result.user) });
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
    }
  };

  const submitToken = async (event: FormEvent) => {
    event.preventDefault();
    const value = token.trim();
    const claims = readTokenClaims(value);
    if (!claims) {
      setError('That does not look like a user token (a JWT whose subject is a user id).');
      return;
    }
    setBusy('token');
    setError(null);
    try {
      // One cheap authenticated call: the server says whether it accepts the token.
      await listSessions(value, { limit: 1 });
      onSignedIn({ token: value, userId: claims.sub, name: 'You' });
    } catch (e) {
      setError(describeError(e));
      setBusy(null);
    }
  };

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
          <section aria-labelledby="demo-users">
            <h2 id="demo-users">Sign in as a demo user</h2>
            <ul className="demo-users">
              {users.users.map((user) => (
                <li key={user.id}>
                  <button
                    type="button"
                    className="demo-user"
                    onClick={() => void pick(user)}
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
        )}
        {users.state === 'off' && (
          <form onSubmit={(e) => void submitToken(e)} className="token-form">
            <h2>Sign in with a token</h2>
            <label htmlFor="token">Access token</label>
            <textarea
              id="token"
              value={token}
              onChange={(e) => setToken(e.target.value)}
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
            <button
              type="submit"
              className="primary"
              disabled={busy !== null || token.trim() === ''}
            >
              Sign in
            </button>
          </form>
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
