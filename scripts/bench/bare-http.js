// The baseline for the authorize benchmark: a bare node:http server that
// answers every request with a fixed JSON body of the same shape as an
// authorize answer, after reading the request body (as any real handler must).
import { createServer } from 'node:http';

const body = JSON.stringify({
  AccessorID: '00000000-0000-0000-0000-000000000000',
  Results: [{ Allowed: true, Reason: 'allowed by policy "bench" namespace "default"' }],
});
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ msg: 'listening', port: server.address().port }) + '\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
