import type { ChatClient, ChatRoom, RoomProblem } from '@chat/client';
import type { TChatMessage } from '@chat/contracts';
import { useEffect, useMemo, useRef } from 'react';

/** One open chat of the SDK: started (loaded and joined) while mounted, left on unmount. */
export function useChatRoom(
  client: ChatClient,
  sessionId: string,
  on: {
    incoming?: ((message: TChatMessage) => void) | undefined;
    problem: (p: RoomProblem) => void;
  },
): ChatRoom {
  const room = useMemo(() => client.room(sessionId), [client, sessionId]);
  const listeners = useRef(on);
  listeners.current = on;
  useEffect(() => {
    const stopIncoming = room.onIncoming((message) => listeners.current.incoming?.(message));
    const stopProblems = room.onProblem((problem) => listeners.current.problem(problem));
    room.start();
    return () => {
      room.stop();
      stopIncoming();
      stopProblems();
    };
  }, [room]);
  return room;
}
