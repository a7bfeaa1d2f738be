import type { TProfile } from '@chat/contracts';

type Named = Pick<TProfile, 'id' | 'first_name' | 'last_name'>;

export function displayName(profile: Named): string {
  const name = [profile.first_name, profile.last_name].filter(Boolean).join(' ');
  return name || profile.id;
}

export function firstName(profile: Named): string {
  return profile.first_name || displayName(profile);
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts.at(-1)] : [parts[0]];
  return letters
    .map((p) => [...(p ?? '')][0] ?? '')
    .join('')
    .toUpperCase();
}

/** A stable hue per user id, so an avatar keeps its colour everywhere. */
export function hueFor(id: string): number {
  // FNV-1a: ids that differ in one repeated digit still land far apart.
  let hash = 0x811c9dc5;
  for (const char of id) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % 360;
}

/** `m:ss` for voice notes and the recording timer. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '0:00';
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, '0')}`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const shortDate = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });

export function formatTime(iso: string): string {
  return timeFormat.format(new Date(iso));
}

/** Session list: the time for today, else the date. */
export function formatListTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  return date.toDateString() === now.toDateString()
    ? timeFormat.format(date)
    : shortDate.format(date);
}
