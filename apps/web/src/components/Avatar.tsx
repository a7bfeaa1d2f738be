import { hueFor, initials } from '../lib/format';

/** A picture when the profile has one, else initials on a colour that is stable per user. */
export function Avatar(props: {
  id: string;
  name: string;
  url?: string | null;
  size?: 'sm' | 'md';
}) {
  const size = props.size ?? 'md';
  if (props.url) {
    return <img className={`avatar avatar-${size}`} src={props.url} alt="" aria-hidden="true" />;
  }
  return (
    <span
      className={`avatar avatar-${size}`}
      aria-hidden="true"
      style={{ backgroundColor: `hsl(${hueFor(props.id)} 55% 45%)` }}
    >
      {initials(props.name)}
    </span>
  );
}
