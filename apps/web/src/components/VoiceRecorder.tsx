import { useCallback, useEffect, useRef, useState } from 'react';
import { MAX_RECORDING_SECONDS, pickRecordingType, voiceNoteFileName } from '../lib/audio-format';
import { formatDuration } from '../lib/format';
import { MicIcon } from './Icons';

export interface VoiceNote {
  blob: Blob;
  fileName: string;
  duration: number;
}

type RecorderState =
  | { phase: 'idle' }
  | { phase: 'starting' }
  | { phase: 'recording'; elapsed: number }
  | { phase: 'capped'; note: VoiceNote };

interface Session {
  recorder: MediaRecorder;
  stream: MediaStream;
  chunks: Blob[];
  startedAt: number;
  timer: ReturnType<typeof setInterval>;
}

/**
 * Records a voice note with MediaRecorder: a timer, a 60-second cap (the recording stops and
 * waits to be sent or discarded), cancel, send. The file is named by the container the browser
 * really recorded (WebM in Chromium, Ogg in Firefox).
 */
export function VoiceRecorder(props: {
  disabled: boolean;
  onSend: (note: VoiceNote) => void;
  onError: (message: string) => void;
  onActiveChange: (active: boolean) => void;
}) {
  const { onSend, onError, onActiveChange } = props;
  const [state, setState] = useState<RecorderState>({ phase: 'idle' });
  const session = useRef<Session | null>(null);

  useEffect(() => onActiveChange(state.phase !== 'idle'), [state.phase, onActiveChange]);

  const release = useCallback(() => {
    const current = session.current;
    if (!current) return;
    clearInterval(current.timer);
    for (const track of current.stream.getTracks()) track.stop();
    session.current = null;
  }, []);

  /** Stops the recorder and resolves with the whole recording. */
  const finish = useCallback((): Promise<VoiceNote | null> => {
    const current = session.current;
    if (!current) return Promise.resolve(null);
    const duration = (performance.now() - current.startedAt) / 1000;
    return new Promise((resolve) => {
      const done = () => {
        const type = current.recorder.mimeType || current.chunks[0]?.type || 'audio/webm';
        const blob = new Blob(current.chunks, { type });
        release();
        resolve({
          blob,
          fileName: voiceNoteFileName(type),
          duration: Math.min(duration, MAX_RECORDING_SECONDS),
        });
      };
      if (current.recorder.state === 'inactive') done();
      else {
        current.recorder.addEventListener('stop', done, { once: true });
        current.recorder.stop();
      }
    });
  }, [release]);

  useEffect(
    () => () => {
      const current = session.current;
      if (current && current.recorder.state !== 'inactive') current.recorder.stop();
      release();
    },
    [release],
  );

  const start = async () => {
    if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
      onError('This browser cannot record audio here (recording needs https or localhost).');
      return;
    }
    setState({ phase: 'starting' });
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const mimeType = pickRecordingType((t) => MediaRecorder.isTypeSupported(t));
      const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
      const chunks: Blob[] = [];
      recorder.addEventListener('dataavailable', (e) => {
        if (e.data.size > 0) chunks.push(e.data);
      });
      const startedAt = performance.now();
      const timer = setInterval(() => {
        const elapsed = (performance.now() - startedAt) / 1000;
        if (elapsed >= MAX_RECORDING_SECONDS) {
          void finish().then((note) =>
            setState(note ? { phase: 'capped', note } : { phase: 'idle' }),
          );
          return;
        }
        setState({ phase: 'recording', elapsed });
      }, 250);
      session.current = { recorder, stream, chunks, startedAt, timer };
      recorder.start(250);
      setState({ phase: 'recording', elapsed: 0 });
    } catch (error) {
      release();
      setState({ phase: 'idle' });
      const denied = error instanceof DOMException && error.name === 'NotAllowedError';
      onError(
        denied
          ? 'Microphone access was refused. Allow it in the browser to record voice notes.'
          : 'No microphone could be opened for recording.',
      );
    }
  };

  const cancel = async () => {
    await finish();
    setState({ phase: 'idle' });
  };

  const send = async () => {
    const note = state.phase === 'capped' ? state.note : await finish();
    setState({ phase: 'idle' });
    if (note && note.blob.size > 0) onSend(note);
    else if (note) onError('The recording was empty.');
  };

  if (state.phase === 'idle' || state.phase === 'starting') {
    return (
      <button
        type="button"
        className="icon-button"
        aria-label="Record a voice note"
        title="Record a voice note"
        disabled={props.disabled || state.phase === 'starting'}
        onClick={() => void start()}
      >
        <MicIcon />
      </button>
    );
  }

  const elapsed = state.phase === 'recording' ? state.elapsed : state.note.duration;
  return (
    <div className="recorder" data-testid="recorder">
      <span className={`rec-dot${state.phase === 'recording' ? ' live' : ''}`} aria-hidden="true" />
      <span className="rec-time" role="timer" aria-label="Recording time">
        {formatDuration(Math.floor(elapsed))} / {formatDuration(MAX_RECORDING_SECONDS)}
      </span>
      <span className="muted small rec-state">
        {state.phase === 'recording' ? 'Recording…' : 'Limit reached: send or discard'}
      </span>
      <button type="button" className="secondary" onClick={() => void cancel()}>
        {state.phase === 'recording' ? 'Cancel' : 'Discard'}
      </button>
      <button type="button" className="primary" onClick={() => void send()}>
        Send voice note
      </button>
    </div>
  );
}
