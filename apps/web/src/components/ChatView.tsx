import { type ChatClient, type Failure, tickFor, timelineItems } from '@chat/client';
import type { TChatMessage, TChatSessionDetail, TProfile } from '@chat/contracts';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { type ChatSession, type ChatSessionState, useChatSession } from '../hooks/useChatSession';
import { displayName, firstName } from '../lib/format';
import { buildRows, type Row } from '../state/grouping';
import { sessionTitle } from '../state/sessions';
import { Avatar } from './Avatar';
import { Composer } from './Composer';
import { MessageList, type MessageListHandle } from './MessageList';
import { MessageRow, type RowActions } from './MessageRow';

function useDocumentVisible(): boolean {
  const [visible, setVisible] = useState(() => document.visibilityState === 'visible');
  useEffect(() => {
    const onChange = () => setVisible(document.visibilityState === 'visible');
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, []);
  return visible;
}

function typingText(names: string[]): string | null {
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing...`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing...`;
  return 'Several people are typing...';
}

function announcement(message: TChatMessage, name: string): string {
  switch (message.type) {
    case 'voice':
      return `${name} sent a voice note`;
    case 'image':
      return `${name} sent an image`;
    case 'file':
      return `${name} sent a file: ${message.file_name ?? ''}`;
    case 'system':
      return `Notice: ${message.content ?? ''}`;
    default:
      return `${name}: ${message.content ?? ''}`;
  }
}

/** Participants by id, and the booking's people who are not (yet) participants. */
function useProfiles(detail: TChatSessionDetail | null): ReadonlyMap<string, TProfile> {
  return useMemo(() => {
    const map = new Map<string, TProfile>();
    for (const p of detail?.participant_profiles ?? []) map.set(p.id, p);
    for (const p of detail?.bookings?.profiles ?? []) if (!map.has(p.id)) map.set(p.id, p);
    return map;
  }, [detail]);
}

/** What a message row may show and do: names, avatars, ticks, reactions, retries. */
function useRowActions(
  chat: ChatSession,
  viewerId: string,
  profiles: ReadonlyMap<string, TProfile>,
  readOnly: boolean,
): RowActions {
  const { state, participantIds, toggleReaction, retry, discard, refreshMessage } = chat;
  const { cursors, status } = state;
  // Senders who are not participants (an admin's notice) are named by their messages.
  const nameOf = useCallback(
    (userId: string | null) => {
      if (!userId) return 'System';
      const profile = profiles.get(userId);
      if (profile) return displayName(profile);
      const message = state.timeline.stored.find((s) => s.message.sender_id === userId)?.message;
      return message?.profiles ? displayName(message.profiles) : 'Someone';
    },
    [profiles, state.timeline.stored],
  );
  return useMemo(
    () => ({
      viewerId,
      nameOf,
      avatarOf: (id) => (id ? (profiles.get(id)?.avatar_url ?? null) : null),
      tickOf: (row: Extract<Row, { kind: 'message' }>) =>
        row.own ? tickFor(row.item, viewerId, participantIds, cursors) : null,
      canReact: !readOnly && status === 'active',
      onToggleReaction: (id, reaction) => void toggleReaction(id, reaction),
      onRetry: retry,
      onDiscard: discard,
      onBrokenLink: (seq) => void refreshMessage(seq),
    }),
    [
      viewerId,
      nameOf,
      profiles,
      participantIds,
      cursors,
      readOnly,
      status,
      toggleReaction,
      retry,
      discard,
      refreshMessage,
    ],
  );
}

/** One open chat: header, history, typing line, alerts and the composer. */
export function ChatView(props: {
  sessionId: string;
  client: ChatClient;
  viewerId: string;
  viewerRole: TProfile['role'] | null;
  onBack: () => void;
}) {
  const { sessionId, client, viewerId } = props;
  const [atBottom, setAtBottom] = useState(true);
  const [announce, setAnnounce] = useState('');
  const visible = useDocumentVisible();
  const list = useRef<MessageListHandle>(null);

  const profilesRef = useRef<ReadonlyMap<string, TProfile>>(new Map());
  const onIncoming = useCallback((message: TChatMessage) => {
    const sender = message.sender_id ? profilesRef.current.get(message.sender_id) : undefined;
    setAnnounce(announcement(message, sender ? displayName(sender) : 'Someone'));
  }, []);

  const chat = useChatSession({ client, sessionId, seesNewest: atBottom && visible, onIncoming });
  const { state } = chat;
  const profiles = useProfiles(state.detail);
  profilesRef.current = profiles;
  const readOnly = props.viewerRole === 'monitor';
  const actions = useRowActions(chat, viewerId, profiles, readOnly);

  const rows = useMemo(
    () =>
      buildRows(timelineItems(state.timeline), viewerId, { unreadAfterSeq: state.unreadAfterSeq }),
    [state.timeline, viewerId, state.unreadAfterSeq],
  );
  const renderRow = useCallback(
    (row: Row) => <MessageRow row={row} actions={actions} />,
    [actions],
  );

  if (state.loadError || !state.detail) return <ChatPlaceholder loadError={state.loadError} />;

  const title = sessionTitle(state.detail, viewerId);
  const toBottom = () => requestAnimationFrame(() => list.current?.scrollToBottom());
  return (
    <section className="chat-view" aria-label={`Chat with ${title.name}`}>
      <ChatHeader state={state} detail={state.detail} viewerId={viewerId} onBack={props.onBack} />
      <div className="history">
        <MessageList
          key={state.generation}
          ref={list}
          rows={rows}
          hasOlder={state.hasOlder}
          loadingOlder={state.loadingOlder}
          onLoadOlder={() => void chat.loadOlder()}
          onAtBottomChange={setAtBottom}
          renderRow={renderRow}
        />
        {!atBottom && (
          <button
            type="button"
            className="jump-button"
            onClick={() => list.current?.scrollToBottom()}
          >
            ↓ Latest
          </button>
        )}
      </div>
      <TypingLine typing={state.typing} />
      <AlertList alerts={state.alerts} onDismiss={chat.dismissAlert} />
      <ChatComposer chat={chat} readOnly={readOnly} onSent={toBottom} />
      <div className="visually-hidden" aria-live="polite" data-testid="live-region">
        {announce}
      </div>
    </section>
  );
}

/** Before the chat is there: why it cannot be opened, or that it is loading. */
function ChatPlaceholder({ loadError }: { loadError: Failure | null }) {
  if (loadError) {
    return (
      <section className="chat-view" aria-label="Chat">
        <p className="alert pad" role="alert">
          {loadError.message}
        </p>
      </section>
    );
  }
  return (
    <section className="chat-view" aria-label="Chat" aria-busy="true">
      <p className="muted pad">Loading the chat…</p>
    </section>
  );
}

/** The other side's name and avatar, the booking's service, presence and the session's status. */
function ChatHeader(props: {
  state: ChatSessionState;
  detail: TChatSessionDetail;
  viewerId: string;
  onBack: () => void;
}) {
  const { state, detail, viewerId } = props;
  const title = sessionTitle(detail, viewerId);
  const presence = state.presence;
  const other = detail.participant_profiles.find((p) => p.id !== viewerId);
  const here =
    presence && other && presence.userId === other.id
      ? presence.state === 'joined'
        ? `${firstName(other)} is here`
        : `${firstName(other)} left`
      : null;
  return (
    <>
      <header className="chat-header">
        <button
          type="button"
          className="icon-button back-button"
          onClick={props.onBack}
          aria-label="Back to chats"
        >
          ←
        </button>
        <Avatar id={title.id} name={title.name} url={title.avatarUrl} />
        <div className="chat-title">
          <h2>{title.name}</h2>
          <span className="muted small" data-testid="chat-subtitle">
            {[title.service, here].filter(Boolean).join(' · ')}
          </span>
        </div>
        {state.status && state.status !== 'active' && <span className="tag">{state.status}</span>}
      </header>

      {presence && Date.now() - presence.at < 60_000 && (
        <PresenceNotice
          key={presence.at}
          text={`${presence.name} ${presence.state === 'joined' ? 'joined' : 'left'} the chat`}
        />
      )}
    </>
  );
}

function TypingLine({ typing }: { typing: ReadonlyMap<string, string> }) {
  const names = [...typing.values()].map((name) => name.split(' ')[0] ?? name);
  return (
    <div className="typing-line" aria-live="polite" data-testid="typing-indicator">
      {typingText(names)}
    </div>
  );
}

function AlertList(props: { alerts: ChatSessionState['alerts']; onDismiss: (id: string) => void }) {
  if (props.alerts.length === 0) return null;
  return (
    <div className="alerts">
      {props.alerts.map((alert) => (
        <div key={alert.id} className="alert alert-row" role="alert" data-testid="chat-alert">
          <span>{alert.text}</span>
          <button
            type="button"
            className="icon-button"
            aria-label="Dismiss"
            onClick={() => props.onDismiss(alert.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** The composer, or why there is none (a monitor reads only; a closed chat takes nothing new). */
function ChatComposer(props: { chat: ChatSession; readOnly: boolean; onSent: () => void }) {
  const { chat, onSent } = props;
  const status = chat.state.status;
  const disabledReason = props.readOnly
    ? 'You are viewing this chat as a monitor: you can read but not write.'
    : status && status !== 'active'
      ? `This chat is ${status}: no new messages can be sent.`
      : null;
  return (
    <Composer
      disabledReason={disabledReason}
      onSend={(text) => {
        chat.sendText(text);
        onSent();
      }}
      onTyping={chat.emitTyping}
      onAttach={(file) => {
        chat.sendUpload({ kind: 'file', blob: file, fileName: file.name });
        onSent();
      }}
      onVoiceNote={(note) => {
        chat.sendUpload({
          kind: 'voice',
          blob: note.blob,
          fileName: note.fileName,
          duration: note.duration,
        });
        onSent();
      }}
      onError={chat.addAlert}
    />
  );
}

/** "Samia joined the chat": shown for a few seconds. */
function PresenceNotice({ text }: { text: string }) {
  const [shown, setShown] = useState(true);
  useEffect(() => {
    const timer = setTimeout(() => setShown(false), 6_000);
    return () => clearTimeout(timer);
  }, []);
  if (!shown) return null;
  return (
    <div className="presence-notice" data-testid="presence-notice">
      {text}
    </div>
  );
}
