import type { TProfile } from '@chat/contracts';
import { useEffect, useState } from 'react';
import { displayName, fetchDevUsers, fetchHealth, type Health } from './api';

type Users =
  | { state: 'loading' }
  | { state: 'off' }
  | { state: 'on'; users: TProfile[] }
  | { state: 'error'; message: string };

export function App() {
  const [health, setHealth] = useState<Health | 'checking'>('checking');
  const [users, setUsers] = useState<Users>({ state: 'loading' });

  useEffect(() => {
    const abort = new AbortController();
    fetchHealth(abort.signal).then(setHealth, () => setHealth('down'));
    fetchDevUsers(abort.signal).then(
      (list) => setUsers(list ? { state: 'on', users: list } : { state: 'off' }),
      (error: unknown) => {
        if (abort.signal.aborted) return;
        setUsers({
          state: 'error',
          message: error instanceof Error ? error.message : String(error),
        });
      },
    );
    return () => abort.abort();
  }, []);

  return (
    <main>
      <h1>Booking chat</h1>
      <p>
        Server: <strong data-testid="health">{health}</strong>
      </p>
      <section aria-labelledby="demo-users">
        <h2 id="demo-users">Demo users</h2>
        {users.state === 'loading' && <p>Loading…</p>}
        {users.state === 'off' && <p>Development sign-in is off: this server uses real tokens.</p>}
        {users.state === 'error' && <p role="alert">{users.message}</p>}
        {users.state === 'on' && (
          <ul>
            {users.users.map((user) => (
              <li key={user.id}>
                {displayName(user)} <em>({user.role})</em>
              </li>
            ))}
          </ul>
        )}
      </section>
      <p>
        API documentation: <a href="/docs">/docs</a>
      </p>
    </main>
  );
}
