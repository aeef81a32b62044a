/**
 * Puts `value` back at the head of `key` (uses `space.outFront` when the space has it). If the space
 * refuses (closed), throws its error with the entries it could not put back in `err.values`.
 */
export declare function putFront(
  space: { out(key: string, value: unknown): void; tryTake(key: string): unknown; outFront?(key: string, value: unknown): void },
  key: string,
  value: unknown,
): void;
