import { useCallback, useState } from 'react';
import { ChatApp } from './components/ChatApp';
import { SignIn } from './components/SignIn';
import { type Auth, loadAuth, saveAuth } from './state/auth';

export function App() {
  const [auth, setAuth] = useState<Auth | null>(loadAuth);
  const [notice, setNotice] = useState<string | null>(null);

  const signIn = useCallback((next: Auth) => {
    saveAuth(next);
    setNotice(null);
    setAuth(next);
  }, []);

  const signOut = useCallback((reason?: string) => {
    saveAuth(null);
    setNotice(reason ?? null);
    setAuth(null);
    window.location.hash = '';
  }, []);

  if (!auth) return <SignIn onSignedIn={signIn} notice={notice} />;
  return <ChatApp key={auth.token} auth={auth} onSignOut={signOut} />;
}
