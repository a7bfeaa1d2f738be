import type { TReactionSummary } from '@chat/contracts';
import { useEffect, useId, useRef, useState } from 'react';
import { SmileIcon } from './Icons';

/** The picker's choices: a small set people use in a support chat. */
export const QUICK_REACTIONS = ['👍', '❤️', '😂', '😮', '😢', '🙏'] as const;

/** Counts per emoji with who reacted (in the tooltip and the label); pressing one toggles it. */
export function ReactionChips(props: {
  reactions: TReactionSummary;
  viewerId: string;
  nameOf: (userId: string) => string;
  onToggle: (reaction: string) => void;
}) {
  if (props.reactions.length === 0) return null;
  return (
    <ul className="reactions" aria-label="Reactions">
      {props.reactions.map((r) => {
        const mine = r.user_ids.includes(props.viewerId);
        const who = r.user_ids
          .map((id) => (id === props.viewerId ? 'You' : props.nameOf(id)))
          .join(', ');
        return (
          <li key={r.reaction}>
            <button
              type="button"
              className={`reaction-chip${mine ? ' mine' : ''}`}
              aria-pressed={mine}
              aria-label={`${r.reaction} ${r.count}: ${who}`}
              title={who}
              onClick={() => props.onToggle(r.reaction)}
              data-testid="reaction-chip"
            >
              <span aria-hidden="true">{r.reaction}</span>
              <span className="reaction-count" aria-hidden="true">
                {r.count}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** A small emoji picker: a button that opens a row of reactions; Escape closes it. */
export function ReactionPicker(props: { onPick: (reaction: string) => void; disabled?: boolean }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const trigger = useRef<HTMLButtonElement>(null);
  const panel = useRef<HTMLFieldSetElement>(null);

  useEffect(() => {
    if (!open) return;
    panel.current?.querySelector('button')?.focus();
    const onDown = (e: PointerEvent) => {
      if (!panel.current?.contains(e.target as Node) && e.target !== trigger.current)
        setOpen(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [open]);

  const close = () => {
    setOpen(false);
    trigger.current?.focus();
  };

  return (
    <span className="reaction-picker">
      <button
        ref={trigger}
        type="button"
        className="icon-button react-button"
        aria-label="Add reaction"
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        disabled={props.disabled}
        onClick={() => setOpen((o) => !o)}
      >
        <SmileIcon />
      </button>
      {open && (
        <fieldset
          ref={panel}
          id={id}
          className="reaction-panel"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation();
              close();
            }
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
              const buttons = [...(panel.current?.querySelectorAll('button') ?? [])];
              const index = buttons.indexOf(document.activeElement as HTMLButtonElement);
              const next =
                buttons[
                  (index + (e.key === 'ArrowRight' ? 1 : -1) + buttons.length) % buttons.length
                ];
              next?.focus();
            }
          }}
        >
          <legend className="visually-hidden">Pick a reaction</legend>
          {QUICK_REACTIONS.map((reaction) => (
            <button
              key={reaction}
              type="button"
              className="reaction-option"
              aria-label={`React with ${reaction}`}
              onClick={() => {
                props.onPick(reaction);
                close();
              }}
            >
              {reaction}
            </button>
          ))}
        </fieldset>
      )}
    </span>
  );
}
