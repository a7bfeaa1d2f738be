// The bare HTTP upload baseline: the same multipart POST the voice-note benchmark sends, to a
// plain node:http server that reads the whole body and answers 201 with a small JSON body. No
// framework, no parsing, no disk, no database: the floor of "an HTTP upload of these bytes" on
// this machine, from the same client.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 0);
const http = createServer((request, response) => {
  if (request.url === '/healthz') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end('{"ok":true}');
    return;
  }
  let bytes = 0;
  request.on('data', (chunk) => {
    bytes += chunk.length;
  });
  request.on('end', () => {
    response.writeHead(201, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ success: true, bytes }));
  });
});
http.listen(port, '127.0.0.1');
const stop = () => {
  http.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
