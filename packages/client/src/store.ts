/** What every stateful part of the SDK offers a UI framework: a snapshot and change notices. */
export interface Readable<S> {
  /** The current state; the same object until something changed (safe for `useSyncExternalStore`). */
  getState(): S;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}

/** A value that changes only through `setState`, telling its subscribers when it did. */
export class Store<S> implements Readable<S> {
  #state: S;
  readonly #listeners = new Set<() => void>();

  constructor(initial: S) {
    this.#state = initial;
  }

  // Arrow properties: `getState` and `subscribe` are handed around unbound (React's
  // useSyncExternalStore, Svelte's stores).
  readonly getState = (): S => this.#state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  protected setState(next: S): void {
    if (Object.is(next, this.#state)) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener();
  }
}

/** A set of listeners of one kind of notice. */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();

  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  emit(value: T): void {
    for (const listener of [...this.#listeners]) listener(value);
  }
}
