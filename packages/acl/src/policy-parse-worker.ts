import { parentPort } from 'node:worker_threads';
import { PolicyError } from './errors.js';
import { parsePolicy } from './parse-policy.js';
import type { ParseReply, ParseRequest } from './policy-parse-protocol.js';

// One policy parser thread of a `PolicyParsePool`: runs the very same
// `parsePolicy` as the main thread (hence the same ACLs) and answers with the
// parsed policy or the error's kind and message. Loading the GopherJS parser
// (~150 ms) happens here, on the first request.
const port = parentPort;
if (port === null) throw new Error('policy-parse-worker must run as a worker thread');

port.on('message', (req: ParseRequest) => {
  let reply: ParseReply;
  try {
    reply = { id: req.id, ok: true, policy: parsePolicy(req.rules, { strict: req.strict }) };
  } catch (err) {
    const kind = err instanceof PolicyError ? 'policy' : err instanceof TypeError ? 'type' : 'other';
    reply = { id: req.id, ok: false, kind, message: err instanceof Error ? err.message : String(err) };
  }
  port.postMessage(reply);
});
