import type { Executor } from '../db/database.js';
import { chatAuditLog } from '../db/schema.js';

export interface AuditEntry {
  actorId: string;
  actorRole: string;
  action: string;
  sessionId?: string | null;
  messageId?: string | null;
  details?: Record<string, unknown>;
}

export function createAuditRepository(db: Executor) {
  return {
    async record(entry: AuditEntry): Promise<void> {
      await db.insert(chatAuditLog).values({
        actorId: entry.actorId,
        actorRole: entry.actorRole,
        action: entry.action,
        sessionId: entry.sessionId ?? null,
        messageId: entry.messageId ?? null,
        details: entry.details ?? {},
      });
    },
  };
}
export type AuditRepository = ReturnType<typeof createAuditRepository>;
