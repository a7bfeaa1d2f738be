import { useCallback, useEffect, useState } from 'react';
import { useChatClient } from '../hooks/useChatClient';
import type { Auth } from '../state/auth';
import { Avatar } from './Avatar';
import { ChatView } from './ChatView';
import { NetworkBanner } from './NetworkBanner';
import { SessionList } from './SessionList';

const CHAT_ROUTE = /^#\/chat\/([0-9a-f-]{36})$/i;

function sessionFromHash(): string | null {
  return CHAT_ROUTE.exec(window.location.hash)?.[1] ?? null;
}

/** Signed in: the chats on the left, the open chat on the right (one at a time on a phone). */
export function ChatApp({ auth, onSignOut }: { auth: Auth; onSignOut: (notice?: string) => void }) {
  const { client, connection, user, authError } = useChatClient(auth);
  const [selected, setSelected] = useState<string | null>(sessionFromHash);
  const [devMode, setDevMode] = useState(false);

  useEffect(() => {
    const onHash = () => setSelected(sessionFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    client.rest.devUsers(abort.signal).then(
      (users) => setDevMode(users !== null),
      () => setDevMode(false),
    );
    return () => abort.abort();
  }, [client]);

  useEffect(() => {
    if (authError) onSignOut(`Signed out: ${authError}`);
  }, [authError, onSignOut]);

  const select = useCallback((id: string | null) => {
    window.location.hash = id ? `#/chat/${id}` : '';
    setSelected(id);
  }, []);

  const name = user?.name ?? auth.name;
  return (
    <div className={`app${selected ? ' has-selection' : ''}`}>
      <header className="app-header">
        <span className="brand">Booking chat</span>
        <NetworkBanner connection={connection} />
        <span className="me" data-testid="signed-in-as">
          <Avatar id={auth.userId} name={name} url={user?.avatar ?? null} size="sm" />
          <span>{name}</span>
        </span>
        <button type="button" className="secondary small-button" onClick={() => onSignOut()}>
          Sign out
        </button>
      </header>
      <div className="panes">
        <SessionList
          client={client}
          viewerId={auth.userId}
          selectedId={selected}
          onSelect={select}
          devMode={devMode && user?.role !== 'monitor'}
        />
        <main className="main-pane">
          {selected ? (
            <ChatView
              key={selected}
              sessionId={selected}
              client={client}
              viewerId={auth.userId}
              viewerRole={user?.role ?? null}
              onBack={() => select(null)}
            />
          ) : (
            <div className="empty-state">
              <p>Pick a chat to start talking.</p>
            </div>
          )}
        </main>
      </div>
    </div>
  );
}
