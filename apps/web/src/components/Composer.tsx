import { MAX_MESSAGE_CHARS } from '@chat/contracts';
import {
  type ChangeEvent,
  type KeyboardEvent,
  type RefObject,
  useCallback,
  useEffect,
  useRef,
  useState,
} from 'react';
import { ATTACHABLE_TYPES, precheckFile } from '../lib/files';
import { PaperclipIcon } from './Icons';
import { type VoiceNote, VoiceRecorder } from './VoiceRecorder';

/** Re-announce typing this often while typing goes on (the server forgets after 6 s). */
const TYPING_REFRESH_MS = 3_000;
/** Typing stops this long after the last key. */
const TYPING_IDLE_MS = 3_000;

/**
 * Tells the room about typing: a start, refreshed while typing goes on, and a stop when idle (or
 * when `stop` is called: on send, on blur, on unmount).
 */
function useTypingSignal(onTyping: (typing: boolean) => void) {
  const typingSince = useRef(0);
  const idleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const stop = useCallback(() => {
    clearTimeout(idleTimer.current);
    if (typingSince.current === 0) return;
    typingSince.current = 0;
    onTyping(false);
  }, [onTyping]);

  useEffect(() => stop, [stop]);

  const typed = (value: string) => {
    if (value.trim() === '') {
      stop();
      return;
    }
    const now = Date.now();
    if (now - typingSince.current > TYPING_REFRESH_MS) {
      typingSince.current = now;
      onTyping(true);
    }
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(stop, TYPING_IDLE_MS);
  };
  return { typed, stop };
}

/** The paperclip: a hidden file input, checked before anything is uploaded. */
function AttachButton(props: {
  onAttach: (file: File) => void;
  onError: (message: string) => void;
}) {
  const fileInput = useRef<HTMLInputElement>(null);
  const onFile = (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    const problem = precheckFile(file);
    if (problem) props.onError(problem);
    else props.onAttach(file);
  };
  return (
    <>
      <input
        ref={fileInput}
        type="file"
        accept={ATTACHABLE_TYPES.join(',')}
        className="visually-hidden"
        tabIndex={-1}
        aria-hidden="true"
        onChange={onFile}
        data-testid="file-input"
      />
      <button
        type="button"
        className="icon-button"
        aria-label="Attach an image or PDF"
        title="Attach an image or PDF (up to 10 MB)"
        onClick={() => fileInput.current?.click()}
      >
        <PaperclipIcon />
      </button>
    </>
  );
}

/** The message text box, growing with its text up to the CSS max-height. */
function MessageField(props: {
  field: RefObject<HTMLTextAreaElement | null>;
  text: string;
  onChange: (e: ChangeEvent<HTMLTextAreaElement>) => void;
  onKeyDown: (e: KeyboardEvent<HTMLTextAreaElement>) => void;
  onBlur: () => void;
}) {
  const { field, text } = props;
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure whenever the text changes.
  useEffect(() => {
    const el = field.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${el.scrollHeight}px`;
  }, [text]);
  return (
    <>
      <label htmlFor="composer-text" className="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-text"
        ref={field}
        className="composer-text"
        rows={1}
        value={text}
        placeholder="Write a message…"
        onChange={props.onChange}
        onKeyDown={props.onKeyDown}
        onBlur={props.onBlur}
        aria-describedby="composer-hint"
      />
      <span id="composer-hint" className="visually-hidden">
        Enter sends, Shift+Enter starts a new line.
      </span>
    </>
  );
}

/**
 * Text with Enter to send and Shift+Enter for a new line, an attach button (images, PDFs) and
 * the voice recorder. Tells the room about typing: a start, refreshed while typing, and a stop
 * when idle, on send or when the field loses focus.
 */
export function Composer(props: {
  disabledReason: string | null;
  onSend: (text: string) => void;
  onTyping: (typing: boolean) => void;
  onAttach: (file: File) => void;
  onVoiceNote: (note: VoiceNote) => void;
  onError: (message: string) => void;
}) {
  const [text, setText] = useState('');
  const [recording, setRecording] = useState(false);
  const field = useRef<HTMLTextAreaElement>(null);
  const { typed, stop: stopTyping } = useTypingSignal(props.onTyping);
  const disabled = props.disabledReason !== null;

  const onChange = (e: ChangeEvent<HTMLTextAreaElement>) => {
    setText(e.target.value);
    typed(e.target.value);
  };

  const send = () => {
    const value = text.trim();
    if (!value || disabled) return;
    if ([...value].length > MAX_MESSAGE_CHARS) {
      props.onError(`A message can be at most ${MAX_MESSAGE_CHARS} characters.`);
      return;
    }
    props.onSend(value);
    setText('');
    stopTyping();
    field.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  return (
    <div className="composer">
      {props.disabledReason && <p className="composer-disabled muted">{props.disabledReason}</p>}
      {!props.disabledReason && (
        <div className="composer-row">
          {!recording && (
            <>
              <AttachButton onAttach={props.onAttach} onError={props.onError} />
              <MessageField
                field={field}
                text={text}
                onChange={onChange}
                onKeyDown={onKeyDown}
                onBlur={stopTyping}
              />
            </>
          )}
          <VoiceRecorder
            disabled={disabled}
            onSend={props.onVoiceNote}
            onError={props.onError}
            onActiveChange={setRecording}
          />
          {!recording && (
            <button
              type="button"
              className="primary send-button"
              onClick={send}
              disabled={text.trim() === ''}
              aria-label="Send message"
            >
              Send
            </button>
          )}
        </div>
      )}
    </div>
  );
}
