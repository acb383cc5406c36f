/**
 * Upload and download throughput of a 16 MB video through the local stack: an upload slot, a PUT to the
 * presigned URL, completion (the server streams the object through SHA-256), a media message, and the
 * recipient's download through a presigned GET. Starts its own isolated gateway and projector (ChatStack)
 * on the shared servers, prints a table and writes JSON to bench/results/.
 *
 *   npm run build && node dist/bench/media-throughput.bench.js [rounds]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { ChatStack } from '../test/support/chat-stack.js';
import { signUp } from '../test/support/chat-users.js';
import { fileOf, httpOf, putTo, sha256 } from '../test/media/media-helpers.js';

const MB = 1024 * 1024;
const SIZE = 16 * MB;
const rounds = Number(process.argv[2] ?? 5);

const stack = await ChatStack.start();
try {
  const [alice, bob] = [await signUp(stack), await signUp(stack)];
  await Promise.all([alice.connect(), bob.connect()]);
  const { conversationId } = await alice.chat.openDirect(bob.userId);
  const http = httpOf(stack);
  const rows: Array<Record<string, number>> = [];
  for (let round = 1; round <= rounds; round++) {
    const body = fileOf('video/mp4', SIZE);
    const digest = sha256(body);
    const t0 = performance.now();
    const slot = await http.createUpload(alice.tokens.accessToken, {
      kind: 'video',
      contentType: 'video/mp4',
      size: SIZE,
      sha256: digest,
    });
    const t1 = performance.now();
    if ((await putTo(slot, body)) !== 200) throw new Error('upload refused');
    const t2 = performance.now();
    await http.completeUpload(alice.tokens.accessToken, slot.mediaId);
    const t3 = performance.now();
    const sent = await alice.chat.sendMedia(conversationId, { mediaId: slot.mediaId, durationSeconds: 10 });
    await bob.waitForMessages(conversationId, round);
    const t4 = performance.now();
    const { url } = await http.mediaDownloadUrl(
      bob.tokens.accessToken,
      slot.mediaId,
      conversationId,
      sent.messageId,
    );
    const got = Buffer.from(await (await fetch(url)).arrayBuffer());
    const t5 = performance.now();
    if (createHash('sha256').update(got).digest('hex') !== digest) throw new Error('downloaded bytes differ');
    const mbps = (ms: number): number => Math.round((SIZE / MB / (ms / 1000)) * 10) / 10;
    rows.push({
      round,
      slotMs: Math.round(t1 - t0),
      putMs: Math.round(t2 - t1),
      completeMs: Math.round(t3 - t2),
      uploadMBps: mbps(t3 - t0),
      putOnlyMBps: mbps(t2 - t1),
      deliverMs: Math.round(t4 - t3),
      downloadMs: Math.round(t5 - t4),
      downloadMBps: mbps(t5 - t4),
    });
  }
  const median = (k: string): number => {
    const v = rows.map((r) => r[k]!).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)]!;
  };
  console.table(rows);
  const summary = {
    uploadMBps: median('uploadMBps'),
    putOnlyMBps: median('putOnlyMBps'),
    downloadMBps: median('downloadMBps'),
    completeMs: median('completeMs'),
  };
  console.log('median (16 MB video):', summary);
  mkdirSync(new URL('results/', import.meta.url).pathname.replace('/dist/bench/', '/bench/'), {
    recursive: true,
  });
  const file = new URL(
    `results/media-throughput-${new Date().toISOString().replace(/[:.]/g, '-')}.json`,
    import.meta.url,
  ).pathname.replace('/dist/bench/', '/bench/');
  writeFileSync(
    file,
    JSON.stringify(
      { bench: 'media-throughput', sizeBytes: SIZE, at: new Date().toISOString(), rounds: rows, summary },
      null,
      2,
    ),
  );
  console.log(`written ${file}`);
  await Promise.all([alice, bob].map((d) => d.disconnect()));
} finally {
  await stack.stop();
}
