// The baseline for the authorize benchmark: a bare node:http server that
// answers every request with a fixed JSON body of the same shape as an
// authorize answer, after reading the request body (as any real handler must).
// With BENCH_TLS_CERT and BENCH_TLS_KEY it serves HTTPS instead (the baseline
// of the TLS figure). BENCH_BARE_RESULTS=N answers N results (the baseline
// of the 10-checks figure).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

const body = JSON.stringify({
  AccessorID: '00000000-0000-0000-0000-000000000000',
  Results: Array.from({ length: Number(process.env.BENCH_BARE_RESULTS ?? 1) }, () => ({
    Allowed: true,
    Reason: 'allowed by policy "bench" namespace "default"',
  })),
});
const handler = (req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
};
const { BENCH_TLS_CERT: cert, BENCH_TLS_KEY: key } = process.env;
const server = cert && key ? createHttpsServer({ cert: readFileSync(cert), key: readFileSync(key) }, handler) : createServer(handler);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ msg: 'listening', port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
