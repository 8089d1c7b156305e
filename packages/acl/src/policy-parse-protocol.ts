import type { Policy } from './policy.js';

/** A parse request sent to a policy parser thread. */
export interface ParseRequest {
  readonly id: number;
  readonly rules: string;
  readonly strict: boolean;
}

/**
 * A parser thread's answer: the parsed policy (structured-cloned, so no
 * longer frozen), or the error's kind and message.
 */
export type ParseReply =
  | { readonly id: number; readonly ok: true; readonly policy: Policy }
  | { readonly id: number; readonly ok: false; readonly kind: 'policy' | 'type' | 'other'; readonly message: string };
