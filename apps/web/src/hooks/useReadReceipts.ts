import type { ChatRoom, RoomState } from '@chat/client';
import { useEffect } from 'react';

/** When the newest messages are on screen, moves the read cursor to the newest. */
export function useReadReceipts(room: ChatRoom, state: RoomState, seesNewest: boolean): void {
  const newest = state.timeline.stored.at(-1)?.message;
  useEffect(() => {
    if (seesNewest && newest) room.markNewestRead();
  }, [room, seesNewest, newest]);
}
