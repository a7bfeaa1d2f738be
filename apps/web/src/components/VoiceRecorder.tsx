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
 * Opens the microphone and starts recording (Opus in WebM where supported, else Ogg); `tick`
 * hears the seconds recorded every 250 ms.
 */
async function openRecorder(tick: (elapsed: number) => void): Promise<Session> {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
  let timer: ReturnType<typeof setInterval> | undefined;
  try {
    const mimeType = pickRecordingType((t) => MediaRecorder.isTypeSupported(t));
    const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
    const chunks: Blob[] = [];
    recorder.addEventListener('dataavailable', (e) => {
      if (e.data.size > 0) chunks.push(e.data);
    });
    const startedAt = performance.now();
    timer = setInterval(() => tick((performance.now() - startedAt) / 1000), 250);
    recorder.start(250);
    return { recorder, stream, chunks, startedAt, timer };
  } catch (error) {
    // The microphone was opened: close it again.
    clearInterval(timer);
    for (const track of stream.getTracks()) track.stop();
    throw error;
  }
}

/** Stops a recording and resolves with all of it, named by the container really recorded. */
function stopRecording(current: Session, release: () => void): Promise<VoiceNote> {
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
}

/** The recording in progress: released (microphone off) when done and on unmount. */
function useRecordingSession() {
  const session = useRef<Session | null>(null);

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
    return stopRecording(current, release);
  }, [release]);

  useEffect(
    () => () => {
      const current = session.current;
      if (current && current.recorder.state !== 'inactive') current.recorder.stop();
      release();
    },
    [release],
  );
  return { session, release, finish };
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
  const { session, release, finish } = useRecordingSession();

  useEffect(() => onActiveChange(state.phase !== 'idle'), [state.phase, onActiveChange]);

  const start = async () => {
    if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) {
      onError('This browser cannot record audio here (recording needs https or localhost).');
      return;
    }
    setState({ phase: 'starting' });
    try {
      session.current = await openRecorder((elapsed) => {
        if (elapsed >= MAX_RECORDING_SECONDS) {
          void finish().then((note) =>
            setState(note ? { phase: 'capped', note } : { phase: 'idle' }),
          );
          return;
        }
        setState({ phase: 'recording', elapsed });
      });
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

  return (
    <RecordingPanel
      recording={state.phase === 'recording'}
      elapsed={state.phase === 'recording' ? state.elapsed : state.note.duration}
      onCancel={() => void cancel()}
      onSend={() => void send()}
    />
  );
}

/** The timer while recording (or once capped), with cancel (discard) and send. */
function RecordingPanel(props: {
  recording: boolean;
  elapsed: number;
  onCancel: () => void;
  onSend: () => void;
}) {
  const { recording } = props;
  return (
    <div className="recorder" data-testid="recorder">
      <span className={`rec-dot${recording ? ' live' : ''}`} aria-hidden="true" />
      <span className="rec-time" role="timer" aria-label="Recording time">
        {formatDuration(Math.floor(props.elapsed))} / {formatDuration(MAX_RECORDING_SECONDS)}
      </span>
      <span className="muted small rec-state">
        {recording ? 'Recording…' : 'Limit reached: send or discard'}
      </span>
      <button type="button" className="secondary" onClick={props.onCancel}>
        {recording ? 'Cancel' : 'Discard'}
      </button>
      <button type="button" className="primary" onClick={props.onSend}>
        Send voice note
      </button>
    </div>
  );
}
