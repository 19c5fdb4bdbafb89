/** Words of a name: runs of letters and digits, so `chat-rooms.v2` → `chat`, `rooms`, `v2`. */
function words(text: string): string[] {
  return text.match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** `chat/rooms` → `ChatRooms`. */
export function pascalCase(text: string): string {
  return words(text)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** `chat/rooms` → `chatRooms`. */
export function camelCase(text: string): string {
  const pascal = pascalCase(text);
  return pascal && pascal[0].toLowerCase() + pascal.slice(1);
}

/** Keeps what component keys allow (`^[\w.-]+$`). */
export function componentKey(text: string): string {
  return text.replace(/[^\w.-]+/g, '_') || '_';
}

/**
 * Hands out ids that are unique within one document. Callers ask in a fixed order (reserved
 * ids first, then sorted declarations), so the same declarations always get the same ids.
 */
export class IdAllocator {
  private readonly taken = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const id of reserved) this.taken.add(id);
  }

  /** The first candidate still free; failing that, the last one with a counter (`x2`, `x3`…). */
  claim(...candidates: string[]): string {
    const last = candidates[candidates.length - 1];
    let id = candidates.find((candidate) => !this.taken.has(candidate));
    for (let n = 2; id === undefined; n++) {
      if (!this.taken.has(`${last}${n}`)) id = `${last}${n}`;
    }
    this.taken.add(id);
    return id;
  }
}

/** A gateway path as an id fragment: `/ws` → `ws`, `/` → `root`. */
export function pathSlug(path: string): string {
  return camelCase(path) || 'root';
}

/** Code-unit order, the same in every locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
