import { describe, expect, it } from 'vitest';
import { readTokenClaims } from '../state/auth';
import { pickRecordingType, voiceNoteFileName } from './audio-format';
import { precheckFile } from './files';
import { formatDuration, initials } from './format';

describe('voice note files', () => {
  it('names a recording by the container the recorder produced', () => {
    const now = new Date('2024-12-02T10:00:00.000Z');
    expect(voiceNoteFileName('audio/webm;codecs=opus', now)).toMatch(/\.webm$/);
    expect(voiceNoteFileName('audio/ogg; codecs=opus', now)).toMatch(/\.ogg$/);
    expect(voiceNoteFileName('audio/wav', now)).toMatch(/\.wav$/);
  });

  it('prefers Opus in WebM, then Ogg', () => {
    expect(pickRecordingType(() => true)).toBe('audio/webm;codecs=opus');
    expect(pickRecordingType((t) => t.startsWith('audio/ogg'))).toBe('audio/ogg;codecs=opus');
    expect(pickRecordingType(() => false)).toBeUndefined();
  });
});

describe('precheckFile', () => {
  it('explains files the server would refuse', () => {
    expect(
      precheckFile({ name: 'big.png', size: 10 * 1024 * 1024 + 1, type: 'image/png' }),
    ).toMatch(/10 MB/);
    expect(precheckFile({ name: 'notes.docx', size: 10, type: 'application/msword' })).toMatch(
      /only images/,
    );
    expect(precheckFile({ name: 'scan.pdf', size: 10, type: 'application/pdf' })).toBeNull();
    expect(precheckFile({ name: 'photo.JPG', size: 10, type: '' })).toBeNull();
  });
});

describe('format', () => {
  it('formats durations and initials', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(61.4)).toBe('1:01');
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('0:00');
    expect(initials('Samia Reader')).toBe('SR');
    expect(initials('Ada')).toBe('A');
  });
});

describe('readTokenClaims', () => {
  it('reads the user id of a JWT without verifying it', () => {
    const payload = btoa(
      JSON.stringify({ sub: '11111111-1111-4111-8111-111111111111', aud: 'authenticated' }),
    )
      .replace(/=+$/, '')
      .replace(/\+/g, '-')
      .replace(/\//g, '_');
    expect(readTokenClaims(`e30.${payload}.sig`)?.sub).toBe('11111111-1111-4111-8111-111111111111');
    expect(readTokenClaims('not a token')).toBeNull();
  });
});
