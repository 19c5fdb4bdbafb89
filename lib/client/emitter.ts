/** A listener of event `E` of an event map. */
export type Listener<T> = (value: T) => void;

/**
 * A minimal typed event emitter that runs in browsers and Node alike (no `events` import).
 * A listener that throws does not stop the others: the error goes to `onListenerError`.
 */
export class TypedEmitter<Events extends object> {
  private readonly listeners = new Map<keyof Events, Set<Listener<never>>>();

  constructor(private readonly onListenerError: (error: unknown, event: keyof Events) => void) {}

  /**
   * Calls `listener` on every `event`.
   * @returns a function that removes the listener (calling it twice is harmless).
   */
  on<E extends keyof Events>(event: E, listener: Listener<Events[E]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    // A wrapper makes every registration distinct, so the same function added twice runs twice
    // and each off function removes exactly its own registration.
    const entry: Listener<Events[E]> = (value) => listener(value);
    set.add(entry as Listener<never>);
    return () => {
      set.delete(entry as Listener<never>);
    };
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof Events): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  /** Calls every listener of `event` with `value`, in registration order. */
  emit<E extends keyof Events>(event: E, value: Events[E]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set] as Listener<Events[E]>[]) {
      try {
        listener(value);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
