import { ResponseError } from 'vscode-jsonrpc';
import { CodeRequestCancelled, ErrorCodeNames, ErrorDataMap } from './protocol';

/**
 * An error response of the daemon (or a transport failure that
 * vscode-jsonrpc reports with a code), with the JSON-RPC code, message and
 * data. For codes listed in ErrorDataMap, `data` has that type: narrow it
 * with `err.is(CodeSessionNotFound)`.
 */
export class SwitchboardError<D = unknown> extends Error {
  readonly code: number;
  readonly data: D;
  /** The method of the request that failed, when known. */
  readonly method?: string;

  constructor(code: number, message: string, data?: D, method?: string) {
    super(message);
    this.name = 'SwitchboardError';
    this.code = code;
    this.data = data as D;
    this.method = method;
  }

  /** The name of the code ("SessionNotFound"), or "" for a code the protocol does not define. */
  get codeName(): string {
    return ErrorCodeNames[this.code] ?? '';
  }

  /** Whether the request was cancelled (-32800). */
  get cancelled(): boolean {
    return this.code === CodeRequestCancelled;
  }

  /** Narrows the error to a code and its typed data. */
  is<C extends keyof ErrorDataMap>(code: C): this is SwitchboardError<ErrorDataMap[C]>;
  is(code: number): boolean;
  is(code: number): boolean {
    return this.code === code;
  }

  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** Turns what vscode-jsonrpc rejected with into a SwitchboardError. */
export function toSwitchboardError(err: unknown, method?: string): unknown {
  if (err instanceof SwitchboardError) return err;
  if (err instanceof ResponseError) {
    return new SwitchboardError(err.code, err.message, err.data, method);
  }
  return err;
}
