import { useRef } from 'react';

/** A thumbnail that opens the full image in a modal dialog (Escape or the button closes it). */
export function ImageMessage(props: {
  thumbnailUrl: string;
  fullUrl: string;
  name: string;
  width?: number | undefined;
  height?: number | undefined;
  onBroken?: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button
        type="button"
        className="image-thumb"
        onClick={() => dialog.current?.showModal()}
        aria-label={`Open image ${props.name} full size`}
      >
        <img
          src={props.thumbnailUrl}
          alt={props.name}
          width={props.width}
          height={props.height}
          loading="lazy"
          onError={props.onBroken}
        />
      </button>
      <dialog
        ref={dialog}
        className="image-dialog"
        aria-label={props.name}
        onClick={(e) => {
          if (e.target === dialog.current) dialog.current?.close();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') dialog.current?.close();
        }}
      >
        <div className="image-dialog-bar">
          <span>{props.name}</span>
          <a href={props.fullUrl} target="_blank" rel="noreferrer">
            Open original
          </a>
          <button type="button" onClick={() => dialog.current?.close()}>
            Close
          </button>
        </div>
        <img src={props.fullUrl} alt={props.name} className="image-full" loading="lazy" />
      </dialog>
    </>
  );
}
