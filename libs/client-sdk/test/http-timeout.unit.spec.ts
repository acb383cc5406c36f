import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ChatError, ChatHttpClient } from '#libs/client-sdk';

test('an HTTP call the server never answers fails with TIMEOUT naming the call', async () => {
  const held: ServerResponse[] = [];
  // Takes the request and never answers (a frozen gateway behind a live socket).
  const server = createServer((_req: IncomingMessage, res: ServerResponse) => void held.push(res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    const http = new ChatHttpClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 300 });
    const started = Date.now();
    await assert.rejects(http.requestCode('+15550000000'), (err: unknown) => {
      assert.ok(err instanceof ChatError);
      assert.equal(err.code, 'TIMEOUT');
      assert.match(err.message, /POST \/v1\/\S+ got no answer within 300 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5000, 'gave up at the timeout, not at fetch’s own minutes');
  } finally {
    for (const res of held) res.destroy();
    server.close();
  }
});
