// Internal to the fan-out layer (the client's table of calls in flight); not part of the API.

/** @internal At most this many calls in flight per client. */
export declare const MAX_CALLS: number;

/** @internal One call in flight. */
export declare class Call {
  id: number;
  code: number;
  key: string | null;
  a: number;
  abandoned: boolean;
  resolve: ((value: unknown) => void) | undefined;
  reject: ((reason: unknown) => void) | undefined;
  off: (() => void) | undefined;
}

/** @internal A slot table of calls keyed by round-tagged wire ids. */
export declare class CallTable {
  size: number;
  open(): Call | undefined;
  get(id: number): Call | undefined;
  close(call: Call): void;
  live(): Call[];
}
