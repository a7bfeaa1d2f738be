import type { ChatClient, RoomState } from '@chat/client';
import type { TChatMessage } from '@chat/contracts';
import { useMemo } from 'react';
import { type Alert, useAlerts } from './useAlerts';
import { useChatRoom } from './useChatRoom';
import { useReadReceipts } from './useReadReceipts';
import { useStore } from './useStore';

export type ChatSessionState = RoomState & { alerts: Alert[] };

/**
 * Everything one open chat needs, from the SDK's `ChatRoom`: history over REST, the live feed
 * (rejoined with `since_seq` after every reconnect), sending with client-made ids, uploads,
 * reactions and read receipts; plus the alerts this view shows.
 */
export function useChatSession(options: {
  client: ChatClient;
  sessionId: string;
  /** Whether the person can see the newest message (list at the bottom, tab visible). */
  seesNewest: boolean;
  onIncoming?: (message: TChatMessage) => void;
}) {
  const { alerts, addAlert, dismissAlert } = useAlerts();
  const room = useChatRoom(options.client, options.sessionId, {
    incoming: options.onIncoming,
    problem: (problem) => addAlert(problem.message),
  });
  const roomState = useStore(room);
  useReadReceipts(room, roomState, options.seesNewest);

  const state: ChatSessionState = useMemo(() => ({ ...roomState, alerts }), [roomState, alerts]);
  const participantIds = useMemo(() => state.detail?.participants ?? [], [state.detail]);
  return {
    state,
    participantIds,
    loadOlder: room.loadOlder,
    sendText: room.sendText,
    sendUpload: room.sendUpload,
    retry: room.retry,
    discard: room.discard,
    toggleReaction: room.toggleReaction,
    refreshMessage: room.refreshMessage,
    emitTyping: room.setTyping,
    dismissAlert,
    addAlert,
  };
}

export type ChatSession = ReturnType<typeof useChatSession>;
