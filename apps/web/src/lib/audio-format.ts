/** Containers the server accepts for voice notes that browsers' MediaRecorder can produce. */
const RECORDING_TYPES = [
  'audio/webm;codecs=opus',
  'audio/ogg;codecs=opus',
  'audio/webm',
  'audio/ogg',
];

/** The first recording type this browser supports, or undefined to let it choose. */
export function pickRecordingType(isSupported: (type: string) => boolean): string | undefined {
  return RECORDING_TYPES.find((type) => isSupported(type));
}

/**
 * The file name of a recording, by the container the recorder really produced (its `mimeType`),
 * not by a wished-for one: the server sniffs the bytes and refuses a name that contradicts them.
 */
export function voiceNoteFileName(mimeType: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const base = `voice-note-${stamp}`;
  const type = mimeType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'audio/ogg' || type === 'application/ogg') return `${base}.ogg`;
  if (type === 'audio/mpeg' || type === 'audio/mp3') return `${base}.mp3`;
  if (type === 'audio/wav' || type === 'audio/wave' || type === 'audio/x-wav') return `${base}.wav`;
  return `${base}.webm`;
}

/** Longest voice note: the recorder stops by itself here. */
export const MAX_RECORDING_SECONDS = 60;
