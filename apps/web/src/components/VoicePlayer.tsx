import { useEffect, useRef, useState } from 'react';
import { formatDuration } from '../lib/format';
import { PauseIcon, PlayIcon } from './Icons';

/**
 * A voice note played in place: play/pause, a seek bar and the time. The duration shown is the
 * server's (read from the audio), since a browser recording (WebM) often carries none itself.
 */
export function VoicePlayer(props: {
  src: string;
  duration: number;
  label: string;
  onBroken?: () => void;
}) {
  const audio = useRef<HTMLAudioElement>(null);
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const total = Math.max(props.duration, 0);

  useEffect(() => {
    const element = audio.current;
    if (!element) return;
    const onTime = () => setPosition(element.currentTime);
    const onPlay = () => setPlaying(true);
    const onPause = () => setPlaying(false);
    const onEnded = () => {
      setPlaying(false);
      setPosition(0);
    };
    element.addEventListener('timeupdate', onTime);
    element.addEventListener('play', onPlay);
    element.addEventListener('pause', onPause);
    element.addEventListener('ended', onEnded);
    return () => {
      element.removeEventListener('timeupdate', onTime);
      element.removeEventListener('play', onPlay);
      element.removeEventListener('pause', onPause);
      element.removeEventListener('ended', onEnded);
    };
  }, []);

  const toggle = () => {
    const element = audio.current;
    if (!element) return;
    if (element.paused) void element.play().catch(() => setPlaying(false));
    else element.pause();
  };

  const max = Math.max(total, position, 0.1);
  return (
    <div className="voice-player" data-testid="voice-player">
      {/* biome-ignore lint/a11y/useMediaCaption: a voice note has no caption track; its controls are below. */}
      <audio ref={audio} src={props.src} preload="metadata" onError={props.onBroken} />
      <button
        type="button"
        className="voice-toggle"
        onClick={toggle}
        aria-label={`${playing ? 'Pause' : 'Play'} ${props.label}`}
      >
        {playing ? <PauseIcon /> : <PlayIcon />}
      </button>
      <input
        type="range"
        className="voice-seek"
        min={0}
        max={max}
        step={0.1}
        value={Math.min(position, max)}
        aria-label={`Position in ${props.label}`}
        aria-valuetext={`${formatDuration(position)} of ${formatDuration(total)}`}
        onChange={(e) => {
          const element = audio.current;
          if (element) element.currentTime = Number(e.target.value);
          setPosition(Number(e.target.value));
        }}
      />
      <span className="voice-time" data-testid="voice-duration">
        {playing || position > 0 ? formatDuration(position) : formatDuration(total)}
      </span>
    </div>
  );
}
