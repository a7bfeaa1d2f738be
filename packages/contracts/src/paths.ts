/** Documented REST paths (Fastify-style `:param`). Public: never change one. */
export const API_PATHS = {
  sessions: '/api/chat/sessions',
  session: '/api/chat/sessions/:id',
  messages: '/api/chat/messages',
  message: '/api/chat/messages/:id',
  messageRead: '/api/chat/messages/:id/read',
  messageReactions: '/api/chat/messages/:id/reactions',
  messageReaction: '/api/chat/messages/:id/reactions/:reaction',
  voiceNotes: '/api/chat/voice-notes',
  files: '/api/chat/files',
  fileDownload: '/api/chat/files/:message_id',
  devUsers: '/api/dev/users',
  devSignIn: '/api/dev/sign-in',
} as const;

/** Success texts from the reference; clients may show them. */
export const SUCCESS_MESSAGES = {
  sessionCreated: 'Chat session created successfully',
  sessionExists: 'Chat session already exists',
  sessionUpdated: 'Chat session updated',
  messageSent: 'Message sent successfully',
  messageRead: 'Message marked as read',
  messageDeleted: 'Message deleted',
  reactionAdded: 'Reaction added',
  reactionRemoved: 'Reaction removed',
  voiceNoteUploaded: 'Voice note uploaded successfully',
  fileUploaded: 'File uploaded successfully',
} as const;
